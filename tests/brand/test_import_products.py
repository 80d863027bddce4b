"""Importing Shopify's products export: several rows per product, image rows, a multi-line body."""

from __future__ import annotations

from decimal import Decimal

import pytest

from brand import models as bm
from brand.importers import ImportRefused, import_file
from tests.brand.import_helpers import FILES, snapshot
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db


def test_products_export_creates_products_and_variants():
    result = import_file(kind="shopify-products", path=FILES / "products_export.csv")

    assert result.rows == 7  # header excluded; the multi-line body is one record
    assert result.skipped == 1  # the lifestyle picture of the candle
    assert result.created == {"product": 3, "variant": 6}
    candle = bm.Product.objects.get(handle="hand-poured-soy-candle")
    assert candle.title == "Hand-Poured Soy Candle"
    assert candle.vendor == "Ember & Oak"
    assert candle.product_type == "Candles"
    assert candle.tags == "candle, gift, soy"
    assert [(v.sku, v.title, v.stock) for v in candle.variants.order_by("sku")] == [
        ("CDL-CED-8", "Cedar / 8 oz", 45),
        ("CDL-FIG-8", "Fig / 8 oz", 120),
        ("CDL-LAV-8", "Lavender / 8 oz", 0),
    ]
    fig = bm.Variant.objects.get(sku="CDL-FIG-8")
    assert (fig.price, fig.compare_at_price, fig.cost, fig.is_active) == (
        Decimal("28.00"),
        Decimal("34.00"),
        Decimal("9.50"),
        True,
    )
    assert bm.Variant.objects.get(sku="CDL-LAV-8").compare_at_price is None
    # A product without options has Shopify's "Default Title" variant: no variant title here.
    assert bm.Variant.objects.get(sku="APR-NAT").title == ""
    mug = bm.Product.objects.get(handle="stoneware-mug")
    # No Type: the most specific part of the product category stands in.
    assert mug.product_type == "Mugs"
    sand = bm.Variant.objects.get(sku="MUG-SND")
    assert sand.stock == -2  # oversold, as Shopify allows with "continue"
    assert sand.is_active is False  # the product is a draft
    assert bm.Variant.objects.get(sku="MUG-SLT").cost is None


def test_reimporting_the_same_file_changes_nothing():
    import_file(kind="shopify-products", path=FILES / "products_export.csv")
    before = snapshot()

    result = import_file(kind="shopify-products", path=FILES / "products_export.csv")

    assert result.created == {} and result.updated == {}
    assert result.unchanged == {"product": 3, "variant": 6}
    assert snapshot() == before  # no row and no history row written


def test_history_rows_name_the_import_and_updates_are_counted(tmp_path):
    import_file(kind="shopify-products", path=FILES / "products_export.csv")
    assert bm.Variant.history.filter(sku="CDL-FIG-8").count() == 1
    assert bm.Variant.history.get(sku="CDL-FIG-8").history_actor == "import:shopify-products"
    changed = tmp_path / "products.csv"
    text = (FILES / "products_export.csv").read_text(encoding="utf-8-sig")
    changed.write_text(text.replace("CDL-FIG-8,340,shopify,120", "CDL-FIG-8,340,shopify,95"), encoding="utf-8")

    result = import_file(kind="shopify-products", path=changed)

    assert result.updated == {"variant": 1}
    assert result.unchanged == {"product": 3, "variant": 5}
    assert bm.Variant.objects.get(sku="CDL-FIG-8").stock == 95
    assert list(bm.Variant.history.filter(sku="CDL-FIG-8").values_list("history_type", "stock")) == [
        ("~", 95),
        ("+", 120),
    ]


def test_existing_variant_keeps_its_supplier_and_moves_to_the_exported_product():
    variant = VariantFactory(sku="APR-NAT", stock=3)
    supplier = variant.supplier

    import_file(kind="shopify-products", path=FILES / "products_export.csv")

    variant.refresh_from_db()
    assert variant.product.handle == "linen-apron"
    assert variant.stock == 60
    assert variant.supplier == supplier


def test_broken_products_file_is_refused_whole_with_every_bad_line():
    VariantFactory(sku="EXISTING-1", price=Decimal("10.00"))
    before = snapshot()

    with pytest.raises(ImportRefused) as refused:
        import_file(kind="shopify-products", path=FILES / "products_broken.csv")

    lines = refused.value.result.error_lines()
    path = str(FILES / "products_broken.csv")
    assert lines == [
        f"{path}:3: column 'Variant Price': value '12,5' is not a number",
        f"{path}:4: column 'Variant Inventory Qty': value 'ten' is not a whole number",
        f"{path}:5: column 'Variant SKU': value 'TOTE-NAT' is a duplicate (the SKU is already on line 2)",
        f"{path}:6: column 'Variant SKU': value '' is empty (a variant row needs a SKU)",
        f"{path}:8: column 'Title': value '' is empty: a new product needs a title on the first row of its handle",
        f"{path}:9: column 'Variant Compare At Price': value '-5.00' must not be negative",
        f"{path}:9: column 'Status': value 'live' is not a product status (expected active, draft or archived)",
    ]
    assert snapshot() == before


def test_products_file_without_a_required_column_names_it():
    with pytest.raises(ImportRefused) as refused:
        import_file(kind="shopify-products", path=FILES / "orders_export.csv")
    messages = [(e.line, e.column, e.message) for e in refused.value.result.errors]
    assert (1, "Handle", "is missing from the header") in messages
    assert (1, "Variant SKU", "is missing from the header") in messages
