"""The demo's history written as the files a real brand would export: Shopify and Ads Manager CSVs.

Layouts follow the real exports: the products export repeats the handle on every variant row
with the product columns on the first one only; the orders export has one row per line item with
the order's money and status on its first row (Name and Email repeat, as Shopify does); the ads
export is one row per campaign and day.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from . import catalog as cat
from .generate import TZ, Dataset

PRODUCT_COLUMNS = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published", "Option1 Name", "Option1 Value",
    "Variant SKU", "Variant Inventory Qty", "Variant Price", "Variant Compare At Price", "Cost per item", "Status",
]  # fmt: skip
ORDER_COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Created at", "Currency", "Subtotal", "Shipping", "Taxes",
    "Total", "Discount Code", "Discount Amount", "Refunded Amount", "Billing Name", "Accepts Marketing",
    "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku",
]  # fmt: skip
AD_COLUMNS = [
    "Campaign name", "Day", "Amount spent (USD)", "Impressions", "Link clicks", "Purchases",
    "Purchases conversion value",
]  # fmt: skip
FILES = {
    "products": "shopify-products.csv",
    "orders": "shopify-orders.csv",
    "meta": "ads-meta.csv",
    "google": "ads-google.csv",
    "tiktok": "ads-tiktok.csv",
}


def _shopify_time(moment: dt.datetime) -> str:
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S %z")


def write_products(ds: Dataset, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PRODUCT_COLUMNS)
        seen: set[str] = set()
        for v in cat.CATALOG:
            first = v.handle not in seen
            seen.add(v.handle)
            writer.writerow([
                v.handle,
                v.product_title if first else "",
                f"<p>{v.product_title}, made for everyday cooking and gathering.</p>" if first else "",
                "Hearth & Pine" if first else "",
                v.product_type if first else "",
                v.tags if first else "",
                "TRUE" if first else "",
                v.option_name if first else "",
                v.option_value,
                v.sku,
                ds.stock[v.sku],
                f"{v.price:.2f}",
                f"{v.compare_at:.2f}" if v.compare_at else "",
                f"{v.cost:.2f}",
                "active" if first else "",
            ])  # fmt: skip


def write_orders(ds: Dataset, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ORDER_COLUMNS)
        for order in ds.orders:
            customer = ds.customers[order.customer]
            created = ds.created_at(order)
            subtotal, discount, total = order.subtotal(), order.discount(), order.total()
            for position, (sku, quantity) in enumerate(order.lines):
                v = cat.BY_SKU[sku]
                if position == 0:
                    head = [
                        "refunded" if order.refunded else "paid",
                        _shopify_time(created + dt.timedelta(seconds=7)),
                        _shopify_time(created),
                        "USD",
                        f"{subtotal:.2f}",
                        "0.00",
                        "0.00",
                        f"{total:.2f}",
                        order.code,
                        f"{discount:.2f}",
                        f"{total:.2f}" if order.refunded else "0.00",
                        f"{customer.first_name} {customer.last_name}",
                        "yes" if customer.accepts_marketing else "no",
                    ]
                else:
                    head = [""] * 13
                writer.writerow([order.name, customer.email, *head, quantity, v.line_name, f"{v.price:.2f}", sku])


def write_ads(ds: Dataset, channel: str, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(AD_COLUMNS)
        for name, campaign_channel, *_rest in cat.CAMPAIGNS:
            if campaign_channel != channel:
                continue
            for day, m in sorted(ds.ads[name].items()):
                writer.writerow(
                    [name, day.isoformat(), f"{m.spend:.2f}", m.impressions, m.clicks, m.purchases, f"{m.revenue:.2f}"]
                )


def write_all(ds: Dataset, directory: Path) -> dict[str, Path]:
    """Write the five export files; returns their paths by key (products, orders, meta, google, tiktok)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {key: directory / name for key, name in FILES.items()}
    write_products(ds, paths["products"])
    write_orders(ds, paths["orders"])
    for channel in ("meta", "google", "tiktok"):
        write_ads(ds, channel, paths[channel])
    return paths
