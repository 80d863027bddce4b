"""The importers write per chunk, not per row: the query count follows the chunks, not the rows."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brand import models as bm
from brand.importers import import_file
from brand.selectors import brand_profile
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

HEADER = ["Name", "Email", "Created at", "Billing Name", "Accepts Marketing", "Total", "Subtotal"]
HEADER += ["Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku"]


def write_orders(path: Path, count: int, *, start: int = 1, customers: int = 37) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(start, start + count):
            first = [
                f"#{number}",
                f"c{number % customers}@example.com",
                f"2024-03-{1 + number % 28:02d} 10:00:00 +0000",
            ]
            writer.writerow([*first, "Ann Bee", "yes", "50.00", "50.00", 1, "Mug", "24.00", "SCALE-1"])
            writer.writerow([f"#{number}", "", "", "", "", "", "", 2, "Candle", "13.00", "SCALE-2"])
    return path


def queries_for(path: Path, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        import_file(kind="shopify-orders", path=path, **kwargs)
    return len(captured)


def test_query_count_does_not_grow_with_the_rows(tmp_path):
    VariantFactory(sku="SCALE-1")
    VariantFactory(sku="SCALE-2")
    brand_profile()  # created on first use: not part of what is measured
    # New customers in both files, so that both take the same paths (creations only).
    small = queries_for(write_orders(tmp_path / "small.csv", 60, customers=10**6))
    large = queries_for(write_orders(tmp_path / "large.csv", 180, start=1000, customers=10**6))

    assert bm.Order.objects.count() == 240 and bm.OrderLine.objects.count() == 480
    # Three times the orders: a few more INSERT batches (SQLite caps the parameters per query),
    # nowhere near one query per order or per line.
    assert small <= large <= small + 6


def test_chunks_cut_between_orders_and_each_costs_a_few_queries(tmp_path):
    VariantFactory(sku="SCALE-1")
    VariantFactory(sku="SCALE-2")
    path = write_orders(tmp_path / "orders.csv", 100)

    # 200 rows in chunks of 25 rows: 8 chunks. An order's two rows never straddle two chunks.
    count = queries_for(path, chunk_size=25)

    assert count <= 8 * 12 + 10
    assert all(order.lines.count() == 2 for order in bm.Order.objects.prefetch_related("lines"))
    # Re-importing in other chunks changes nothing and writes nothing.
    with CaptureQueriesContext(connection) as captured:
        result = import_file(kind="shopify-orders", path=path, chunk_size=7)
    assert result.created == {} and result.updated == {}
    assert result.unchanged == {"customer": 37, "order": 100, "orderline": 200}
    assert not [q for q in captured if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
