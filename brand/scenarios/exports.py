"""A generated shop written as its platforms export it (column sets in the platforms' order, a subset
of the columns people export; see /work/shared/FORMATS.md)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from .generate import Shop

PRODUCT_COLUMNS = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published", "Option1 Name",
    "Option1 Value", "Variant SKU", "Variant Grams", "Variant Inventory Tracker", "Variant Inventory Qty",
    "Variant Inventory Policy", "Variant Price", "Variant Compare At Price", "Variant Requires Shipping",
    "Cost per item", "Status",
]  # fmt: skip
ORDER_COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Accepts Marketing", "Currency",
    "Subtotal", "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount", "Created at",
    "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku", "Billing Name", "Refunded Amount",
]  # fmt: skip
AD_COLUMNS = [
    "Campaign name", "Day", "Amount spent (USD)", "Impressions", "Link clicks", "Purchases",
    "Purchases conversion value",
]  # fmt: skip


def _time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def write_exports(shop: Shop, directory: Path) -> dict[str, Path]:
    """The products and orders exports and one ads export per channel; their paths by key."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"products": directory / "products_export.csv", "orders": directory / "orders_export.csv"}
    with paths["products"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PRODUCT_COLUMNS)
        for item in shop.items:
            writer.writerow([
                item.handle, item.title, f"<p>{item.title}</p>", "Scenario Goods", "", "Home", "", "TRUE", "Title",
                "Default Title", item.sku, "500", "shopify", item.stock, "deny", f"{item.price:.2f}", "", "TRUE",
                f"{item.cost:.2f}", "active",
            ])  # fmt: skip
    with paths["orders"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ORDER_COLUMNS)
        for order in shop.orders:
            total = order.total
            refunded = f"{total:.2f}" if order.refunded else "0.00"
            for position, (item, quantity) in enumerate(order.lines):
                head = (
                    [
                        "refunded" if order.refunded else "paid", _time(order.created_at), "fulfilled",
                        "yes" if order.email in shop.consent else "no", "USD",
                        f"{order.subtotal:.2f}", "0.00", "0.00", f"{total:.2f}", order.code, f"{order.discount:.2f}",
                        _time(order.created_at),
                    ]
                    if position == 0
                    else [""] * 12
                )  # fmt: skip
                tail = ["", refunded] if position == 0 else ["", ""]
                writer.writerow(
                    [order.name, order.email, *head, quantity, item.title, f"{item.price:.2f}", item.sku, *tail]
                )
    for channel in sorted({c.channel for c in shop.campaigns}):
        paths[channel] = directory / f"ads_{channel}.csv"
        with paths[channel].open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(AD_COLUMNS)
            for row in sorted(shop.ads, key=lambda a: (a.campaign.name, a.day)):
                if row.campaign.channel == channel:
                    writer.writerow([
                        row.campaign.name, row.day.isoformat(), f"{row.spend:.2f}", row.impressions, row.clicks,
                        row.purchases, f"{row.revenue:.2f}",
                    ])  # fmt: skip
    return paths
