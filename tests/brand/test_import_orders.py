"""Importing Shopify's orders export: one row per line item, order fields on an order's first row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from brand import models as bm
from brand.importers import ImportRefused, import_file
from tests.brand.import_helpers import FILES, snapshot

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def catalogue(db):
    import_file(kind="shopify-products", path=FILES / "products_export.csv")


def test_orders_export_creates_customers_orders_and_lines(catalogue):
    result = import_file(kind="shopify-orders", path=FILES / "orders_export.csv")

    assert result.rows == 7
    assert result.created == {"customer": 3, "order": 4, "orderline": 7}
    first = bm.Order.objects.get(name="#1001")
    assert first.created_at == dt.datetime(2024, 3, 5, 19, 22, 11, tzinfo=UTC)
    assert first.paid_at == dt.datetime(2024, 3, 5, 19, 22, 40, tzinfo=UTC)
    assert (first.subtotal, first.total, first.discount_code, first.discount_amount) == (
        Decimal("98.00"),
        Decimal("96.20"),
        "WELCOME10",
        Decimal("9.80"),
    )
    assert first.financial_status == "paid" and first.currency == "USD"
    assert [(line.position, line.variant.sku, line.quantity, line.price) for line in first.lines.all()] == [
        (1, "CDL-FIG-8", 2, Decimal("28.00")),
        (2, "APR-NAT", 1, Decimal("42.00")),
    ]
    refunded = bm.Order.objects.get(name="#1002")
    assert (refunded.financial_status, refunded.refunded_amount) == ("partially_refunded", Decimal("24.00"))
    assert [line.position for line in bm.Order.objects.get(name="#1003").lines.all()] == [1, 2, 3]
    pickup = bm.Order.objects.get(name="#1004")
    assert pickup.paid_at is None
    assert pickup.created_at == dt.datetime(2024, 3, 9, 8, 1, tzinfo=UTC)


def test_customers_are_upserted_on_email_with_their_first_order_date(catalogue):
    import_file(kind="shopify-orders", path=FILES / "orders_export.csv")

    ana = bm.Customer.objects.get(email="ana.lopez@example.com")
    assert (ana.first_name, ana.last_name) == ("Ana", "Lopez")
    assert ana.created_at == dt.datetime(2024, 3, 5, 19, 22, 11, tzinfo=UTC)
    # Her latest order (#1003) says she no longer accepts marketing.
    assert ana.accepts_marketing is False
    assert set(ana.orders.values_list("name", flat=True)) == {"#1001", "#1003"}
    # E-mail addresses are matched case-insensitively: stored lower-case.
    carla = bm.Customer.objects.get(email="carla.nguyen@example.com")
    assert carla.accepts_marketing is True
    assert bm.Order.objects.get(name="#1004").customer == carla


def test_reimporting_orders_changes_nothing(catalogue):
    import_file(kind="shopify-orders", path=FILES / "orders_export.csv")
    before = snapshot()

    result = import_file(kind="shopify-orders", path=FILES / "orders_export.csv")

    assert result.created == {} and result.updated == {} and result.deleted == {}
    assert result.unchanged == {"customer": 3, "order": 4, "orderline": 7}
    assert snapshot() == before


def test_a_changed_order_is_updated_and_its_dropped_lines_removed(catalogue, tmp_path):
    import_file(kind="shopify-orders", path=FILES / "orders_export.csv")
    lines = (FILES / "orders_export.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    # Line 8 is #1003's third line item (the Slate mug); the refund of #1002 grows.
    edited = [line for number, line in enumerate(lines, start=1) if number != 8]
    text = "".join(edited).replace("Shopify Payments,24.00,Clay Street", "Shopify Payments,48.00,Clay Street")
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")

    result = import_file(kind="shopify-orders", path=path)

    assert result.updated == {"order": 1}
    assert result.deleted == {"orderline": 1}
    assert bm.Order.objects.get(name="#1002").refunded_amount == Decimal("48.00")
    assert bm.Order.objects.get(name="#1003").lines.count() == 2


def test_broken_orders_file_is_refused_whole_naming_every_bad_line(catalogue):
    before = snapshot()

    with pytest.raises(ImportRefused) as refused:
        import_file(kind="shopify-orders", path=FILES / "orders_broken.csv")

    path = str(FILES / "orders_broken.csv")
    assert refused.value.result.error_lines() == [
        f"{path}:5: column 'Lineitem sku': value 'CDL-XXX-8' is not a known SKU (import the products first)",
        f"{path}:6: column 'Created at': value '05/03/2024 10:00' is not a date and time"
        " (expected e.g. 2024-03-05 14:22:11 -0500 or ISO 8601)",
        f"{path}:7: column 'Lineitem quantity': value '-1' must not be negative",
        f"{path}:7: column 'Lineitem price': value 'free' is not a number",
        f"{path}:8: column 'Created at': value '' is empty (required)",
        f"{path}:9: column 'Email': value 'not-an-email' is not an e-mail address",
    ]
    assert snapshot() == before


def test_orders_before_the_catalogue_are_refused(db):
    with pytest.raises(ImportRefused) as refused:
        import_file(kind="shopify-orders", path=FILES / "orders_export.csv")
    assert [error.line for error in refused.value.result.errors] == [2, 4, 5, 6, 7, 8, 9]
    assert not bm.Order.objects.exists() and not bm.Customer.objects.exists()


@pytest.mark.postgres
def test_an_import_brings_the_planner_statistics_up_to_date(catalogue):
    """Without it the planner would size the analyses' joins for the empty tables it last saw."""
    from django.db import connection

    def estimated_rows() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'brand_order'")
            return cursor.fetchone()[0]

    import_file(kind="shopify-orders", path=FILES / "orders_export.csv")
    assert estimated_rows() == bm.Order.objects.count() > 0
