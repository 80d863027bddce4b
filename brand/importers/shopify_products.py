"""Shopify's products export: several rows per product, product fields on the first row of a handle.

Variant rows repeat the handle with the product columns empty; image rows carry only the handle
and an image. Products are upserted on the handle, variants on the SKU.
"""

from __future__ import annotations

from typing import Any

from ..models import Product, Variant
from .common import (
    BaseImporter,
    Column,
    Row,
    assign_changes,
    max_length,
    parse_bool,
    parse_decimal,
    parse_int,
    parse_text,
)

OPTION_KEYS = ("option1", "option2", "option3")
# Shopify's name for the single variant of a product without options.
DEFAULT_TITLE = "default title"
ACTIVE_STATUSES = {"active"}
KNOWN_STATUSES = {"active", "draft", "archived"}


class ShopifyProductsImporter(BaseImporter):
    kind = "shopify-products"
    columns = (
        Column("handle", "Handle", required=True),
        Column("title", "Title", required=True),
        Column("vendor", "Vendor"),
        Column("type", "Type", aliases=("product type",)),
        Column("category", "Product Category"),
        Column("tags", "Tags"),
        Column("published", "Published"),
        Column("status", "Status"),
        Column("option1", "Option1 Value"),
        Column("option2", "Option2 Value"),
        Column("option3", "Option3 Value"),
        Column("sku", "Variant SKU", required=True),
        Column("stock", "Variant Inventory Qty"),
        Column("price", "Variant Price", required=True),
        Column("compare_at_price", "Variant Compare At Price"),
        Column("cost", "Cost per item"),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The catalogue is small next to the orders: remembering its keys lets every product and
        # SKU be counted once and a SKU used twice in the file be caught across chunks.
        self.seen_handles: set[str] = set()
        self.seen_skus: dict[str, int] = {}

    def group_key(self, row: Row) -> str:
        return row.raw("handle").strip()

    def skip(self, row: Row) -> bool:
        # An image row: no SKU, no price, no option; only the handle and the picture.
        return not any(row.raw(key).strip() for key in ("sku", "price", *OPTION_KEYS, "title"))

    def _product_values(self, row: Row) -> dict[str, Any] | None:
        """The product columns of a handle's first row (None on the other rows)."""
        if not row.raw("title").strip():
            return None
        values: dict[str, Any] = {"title": row.parse("title", parse_text, max_length=max_length(Product, "title"))}
        if row.has("vendor"):
            values["vendor"] = row.parse("vendor", parse_text, max_length=max_length(Product, "vendor"))
        if row.has("type") or row.has("category"):
            source = "type"
            product_type = row.raw("type").strip() if row.has("type") else ""
            if not product_type and row.has("category"):
                # "Home & Garden > Kitchen & Dining > Cookware": the most specific part is the type.
                source, product_type = "category", row.raw("category").split(">")[-1].strip()
            limit = max_length(Product, "product_type")
            if len(product_type) > limit:
                row.error(source, f"is too long (at most {limit} characters)")
            values["product_type"] = product_type
        if row.has("tags"):
            values["tags"] = row.parse("tags", parse_text, max_length=max_length(Product, "tags"))
        return values

    def _active(self, row: Row) -> bool | None:
        """Whether the product sells, from Status (newer exports) or Published (older ones)."""
        if row.has("status") and row.raw("status").strip():
            status = row.raw("status").strip().lower()
            if status not in KNOWN_STATUSES:
                row.error("status", "is not a product status (expected active, draft or archived)")
                return None
            return status in ACTIVE_STATUSES
        if row.has("published") and row.raw("published").strip():
            return row.parse("published", parse_bool)
        return None

    def _variant_values(self, row: Row) -> dict[str, Any] | None:
        sku = row.raw("sku").strip()
        if not sku:
            row.error("sku", "is empty (a variant row needs a SKU)")
            return None
        if len(sku) > max_length(Variant, "sku"):
            row.error("sku", f"is too long (at most {max_length(Variant, 'sku')} characters)")
        elif sku in self.seen_skus:
            row.error("sku", f"is a duplicate (the SKU is already on line {self.seen_skus[sku]})")
        else:
            self.seen_skus[sku] = row.line
        options = [row.raw(key).strip() for key in OPTION_KEYS if row.raw(key).strip()]
        title = " / ".join(option for option in options if option.lower() != DEFAULT_TITLE)
        if len(title) > max_length(Variant, "title"):
            row.error("option1", f"makes a variant title longer than {max_length(Variant, 'title')} characters")
        values: dict[str, Any] = {
            "sku": sku,
            "title": title,
            "price": row.parse("price", parse_decimal, required=True),
        }
        if row.has("compare_at_price"):
            values["compare_at_price"] = row.parse("compare_at_price", parse_decimal)
        if row.has("cost"):
            values["cost"] = row.parse("cost", parse_decimal)
        stock = row.parse("stock", parse_int, negative=True) if row.has("stock") else None
        if stock is not None:  # an untracked variant keeps the stock it has
            values["stock"] = stock
        return values

    def process_chunk(self, rows: list[Row]) -> None:
        products: dict[str, tuple[Row, dict[str, Any]]] = {}
        variants: list[tuple[Row, str, dict[str, Any]]] = []
        active_by_handle: dict[str, bool] = {}
        first_row_of: dict[str, Row] = {}
        for row in rows:
            handle = row.parse("handle", parse_text, required=True, max_length=max_length(Product, "handle"))
            if not handle:
                continue
            first_row_of.setdefault(handle, row)
            product_values = self._product_values(row)
            if product_values is not None:
                products[handle] = (row, product_values)
                active = self._active(row)
                if active is not None:
                    active_by_handle[handle] = active
            variant_values = self._variant_values(row)
            if variant_values is not None and not row.bad:
                variants.append((row, handle, variant_values))

        existing = Product.objects.in_bulk(list(first_row_of), field_name="handle")
        to_create: list[Product] = []
        to_update: list[Product] = []
        for handle, (row, values) in products.items():
            if row.bad:
                continue
            first_time = handle not in self.seen_handles
            self.seen_handles.add(handle)
            product = existing.get(handle)
            if product is None:
                product = Product(handle=handle, **values)
                to_create.append(product)
                existing[handle] = product
                self.result.created["product"] += 1
            elif assign_changes(product, values):
                to_update.append(product)
                if first_time:
                    self.result.updated["product"] += 1
            elif first_time:
                self.result.unchanged["product"] += 1
        for handle, row in first_row_of.items():
            if handle not in existing and not row.bad:
                row.error("title", "is empty: a new product needs a title on the first row of its handle")
        self.bulk_create(Product, to_create)
        self.bulk_update(Product, to_update, ["title", "vendor", "product_type", "tags"])

        existing_variants = Variant.objects.in_bulk([values["sku"] for _, _, values in variants], field_name="sku")
        new_variants: list[Variant] = []
        changed_variants: list[Variant] = []
        fields: set[str] = {"product_id"}
        for row, handle, values in variants:
            product = existing.get(handle)
            if product is None or row.bad:
                continue
            values = {**values, "product_id": product.pk}
            if handle in active_by_handle:
                values["is_active"] = active_by_handle[handle]
            fields.update(name for name in values if name != "sku")
            variant = existing_variants.get(values["sku"])
            if variant is None:
                new_variants.append(Variant(**values))
                self.result.created["variant"] += 1
            elif assign_changes(variant, values):
                changed_variants.append(variant)
                self.result.updated["variant"] += 1
            else:
                self.result.unchanged["variant"] += 1
        self.bulk_create(Variant, new_variants)
        self.bulk_update(Variant, changed_variants, sorted(fields))
