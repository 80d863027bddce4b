"""Import fuzzing: generated and mutated Shopify and Meta files end in a correct import or a clear
refusal naming line and column; never a partial import, never a traceback.

Each example starts from a well-formed export (the platforms' column order, FORMATS.md) and applies
a few mutations a real upload meets: another encoding, a column missing, renamed or duplicated, a
quoted newline, a huge cell, a negative quantity, an odd date, a row repeated further down (across
chunks: the importer runs with a tiny chunk size), a truncated file, a stray NUL.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from brand import models as bm
from brand.importers import ImportRefused, import_file
from tests import factories as f
from tests.brand.import_helpers import snapshot

pytestmark = pytest.mark.django_db

ORDER_COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfillment Date", "Accepts Marketing",
    "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount", "Shipping Method",
    "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem compare at price",
    "Lineitem sku", "Lineitem requires shipping", "Lineitem taxable", "Lineitem fulfillment status", "Billing Name",
    "Notes", "Refunded Amount", "Vendor", "Id",
]  # fmt: skip
META_COLUMNS = [
    "Campaign name", "Day", "Amount spent (USD)", "Impressions", "Reach", "Link clicks", "Purchases",
    "Purchases conversion value", "Budget", "Budget type",
]  # fmt: skip
PRODUCT_COLUMNS = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published", "Option1 Name",
    "Option1 Value", "Variant SKU", "Variant Grams", "Variant Inventory Qty", "Variant Price",
    "Variant Compare At Price", "Image Src", "Cost per item", "Status",
]  # fmt: skip
SKUS = ["FZ-1", "FZ-2", "FZ-3"]
FUZZ = settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    deadline=None,
)


@pytest.fixture
def catalogue(db):
    for sku in SKUS:
        f.VariantFactory(sku=sku, price=Decimal("20.00"))


def order_rows(count: int) -> list[dict[str, str]]:
    rows = []
    for n in range(count):
        name = f"#{2000 + n}"
        for position in range(1 + n % 2):
            first = position == 0
            rows.append(
                {
                    "Name": name,
                    "Email": f"buyer{n % 5}@example.com",
                    "Financial Status": "paid" if first else "",
                    "Accepts Marketing": "yes" if first else "",
                    "Currency": "USD" if first else "",
                    "Subtotal": "40.00" if first else "",
                    "Total": "40.00" if first else "",
                    "Created at": f"2026-05-{1 + n % 28:02d} 10:00:00 +0200",
                    "Lineitem quantity": str(1 + position),
                    "Lineitem name": "Fuzz item",
                    "Lineitem price": "20.00",
                    "Lineitem sku": SKUS[(n + position) % len(SKUS)],
                    "Billing Name": "Ana Lopez" if first else "",
                    "Notes": "",
                }
            )
    return rows


def product_rows(count: int) -> list[dict[str, str]]:
    rows = []
    for n in range(count):
        for position in range(1 + n % 3):
            first = position == 0
            rows.append(
                {
                    "Handle": f"fuzz-product-{n}",
                    "Title": f"Fuzz product {n}" if first else "",
                    "Body (HTML)": "<p>Made by hand.</p>" if first else "",
                    "Option1 Name": "Colour" if first else "",
                    "Option1 Value": ["Sage", "Blue", "Sand"][position],
                    "Variant SKU": f"FP-{n}-{position}",
                    "Variant Inventory Qty": str(10 * n),
                    "Variant Price": "24.00",
                    "Cost per item": "9.50",
                    "Status": "active" if first else "",
                }
            )
    return rows


def meta_rows(count: int) -> list[dict[str, str]]:
    return [
        {
            "Campaign name": f"Fuzz campaign {n % 3}",
            "Day": f"2026-05-{1 + n // 3:02d}",
            "Amount spent (USD)": f"{10 + n}.50",
            "Impressions": "1,200",
            "Link clicks": "30",
            "Purchases": "2",
            "Purchases conversion value": "80.00",
        }
        for n in range(count)
    ]


def render(header: list[str], rows: list[dict[str, str]]) -> list[list[str]]:
    return [header, *([row.get(column, "") for column in header] for row in rows)]


# --- mutations: each takes the table (header + rows) and returns a new one ---------------------------

cell_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["-3", "1e9", "12,34", "2026-02-30", "31/12/2026", "NaN", "", "  ", "0x1F", '"', "\r\n", "=1+1"]),
    st.text(alphabet='ab\n\r",', min_size=1, max_size=20),
)


@st.composite
def mutation(draw: st.DrawFn):
    kind = draw(
        st.sampled_from(["cell", "drop_column", "rename", "duplicate_column", "repeat_row", "swap", "blank", "huge"])
    )
    a = draw(st.integers(min_value=0, max_value=10_000))
    b = draw(st.integers(min_value=0, max_value=10_000))
    text = draw(cell_text)

    def apply(table: list[list[str]]) -> list[list[str]]:
        header, body = table[0], table[1:]
        width = len(header)
        if not body or not width:
            return table
        col, row = a % width, b % len(body)
        if kind == "cell":
            body[row] = [*body[row][:col], text, *body[row][col + 1 :]]
        elif kind == "drop_column":
            table = [[*r[:col], *r[col + 1 :]] for r in table]
        elif kind == "rename":
            table = [[*header[:col], text or "Renamed", *header[col + 1 :]], *body]
        elif kind == "duplicate_column":
            table = [[*r, r[col] if col < len(r) else ""] for r in table]
        elif kind == "repeat_row":
            body.append(list(body[row]))
            table = [header, *body]
        elif kind == "swap":
            other = a % len(body)
            body[row], body[other] = body[other], body[row]
        elif kind == "blank":
            body.insert(row, [""] * width)
        elif kind == "huge":
            body[row] = [*body[row][:col], "x" * 300_000, *body[row][col + 1 :]]
        return table

    return kind, apply


@st.composite
def export(draw: st.DrawFn, kind: str):
    size = draw(st.integers(1, 10))
    rows, header = {
        "shopify-orders": (order_rows(size), ORDER_COLUMNS),
        "shopify-products": (product_rows(size), PRODUCT_COLUMNS),
        "meta-ads": (meta_rows(size), META_COLUMNS),
    }[kind]
    table = render(list(header), rows)
    for _, apply in draw(st.lists(mutation(), max_size=3)):
        table = apply(table)
    out = io.StringIO()
    csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(table)
    data = out.getvalue().encode("utf-8")
    ending = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "truncate", "nul"]))
    if ending == "utf-8-sig":
        data = b"\xef\xbb\xbf" + data
    elif ending == "latin-1":
        data = out.getvalue().replace("Fuzz", "Fuzz é").encode("latin-1", errors="replace")
    elif ending == "utf-16":
        data = out.getvalue().encode("utf-16")
    elif ending == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif ending == "nul":
        data = data[: len(data) // 2] + b"\x00" + data[len(data) // 2 :]
    return data


def import_and_check(kind: str, data: bytes, path: Path) -> None:
    path.write_bytes(data)
    before = snapshot()
    try:
        result = import_file(kind=kind, path=path, chunk_size=2)
    except ImportRefused as refused:
        errors = refused.result.errors
        assert errors, "a refusal names at least one problem"
        for error in errors:
            assert error.line >= 0 and error.message, error
            # Every message reads as a sentence about a place in the file.
            assert str(path) in error.format(str(path))
        assert snapshot() == before, "a refused file writes nothing"
        event(f"refused: {errors[0].message[:30]}")
        return
    event("imported")
    assert result.ok
    assert result.rows >= 0


@FUZZ
@given(data=export("shopify-orders"))
def test_mutated_orders_exports_import_whole_or_are_refused_naming_the_place(catalogue, tmp_path, data):
    import_and_check("shopify-orders", data, tmp_path / "orders.csv")


@FUZZ
@given(data=export("shopify-products"))
def test_mutated_products_exports_import_whole_or_are_refused_naming_the_place(db, tmp_path, data):
    import_and_check("shopify-products", data, tmp_path / "products.csv")


@FUZZ
@given(data=export("meta-ads"))
def test_mutated_meta_exports_import_whole_or_are_refused_naming_the_place(db, tmp_path, data):
    import_and_check("meta-ads", data, tmp_path / "ads.csv")


def write(tmp_path: Path, name: str, table: list[list[str]]) -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(table)
    return path


def test_an_order_that_comes_back_in_a_later_chunk_is_refused_not_merged(catalogue, tmp_path):
    rows = order_rows(6)
    rows.append(dict(rows[0]))  # "#2000" again, after five other orders and far past the chunk size
    path = write(tmp_path, "orders.csv", render(ORDER_COLUMNS, rows))
    with pytest.raises(ImportRefused) as refused:
        import_file(kind="shopify-orders", path=path, chunk_size=2)
    [error] = refused.value.result.errors
    assert (error.line, error.column, error.value) == (len(rows) + 1, "Name", "#2000")
    assert "must be next to each other" in error.message
    assert not bm.Order.objects.exists()


def test_a_campaign_day_repeated_in_a_later_chunk_is_a_duplicate(db, tmp_path):
    rows = meta_rows(9)
    rows.append(dict(rows[1]))
    path = write(tmp_path, "ads.csv", render(META_COLUMNS, rows))
    with pytest.raises(ImportRefused) as refused:
        import_file(kind="meta-ads", path=path, chunk_size=2)
    [error] = refused.value.result.errors
    assert (error.line, error.column) == (len(rows) + 1, "Day")
    assert "duplicate" in error.message and "line 3" in error.message
    assert not bm.AdMetric.objects.exists()


def test_a_column_given_twice_is_refused_with_both_positions(catalogue, tmp_path):
    header = [*ORDER_COLUMNS, "Lineitem sku"]
    path = write(tmp_path, "orders.csv", render(header, order_rows(2)))
    with pytest.raises(ImportRefused) as refused:
        import_file(kind="shopify-orders", path=path)
    [error] = refused.value.result.errors
    assert error.line == 1 and error.column == "Lineitem sku"
    assert f"columns {ORDER_COLUMNS.index('Lineitem sku') + 1} and {len(header)}" in error.message


def test_a_quoted_newline_keeps_later_line_numbers_exact(catalogue, tmp_path):
    rows = order_rows(3)
    rows[0]["Notes"] = "Gift wrap, please.\nLeave at the door."
    rows[-1]["Lineitem quantity"] = "-2"
    path = write(tmp_path, "orders.csv", render(ORDER_COLUMNS, rows))
    with pytest.raises(ImportRefused) as refused:
        import_file(kind="shopify-orders", path=path)
    [error] = refused.value.result.errors
    # Header on line 1, the first row spans lines 2-3, so the last of four rows is on line 6.
    assert len(rows) == 4
    assert (error.line, error.column, error.value) == (6, "Lineitem quantity", "-2")
    assert error.message == "must not be negative"


def test_a_file_in_another_encoding_is_refused_with_the_line_and_the_byte(catalogue, tmp_path):
    rows = order_rows(2)
    rows[1]["Lineitem name"] = "Crème brûlée set"
    path = tmp_path / "orders.csv"
    out = io.StringIO()
    csv.writer(out).writerows(render(ORDER_COLUMNS, rows))
    path.write_bytes(out.getvalue().encode("latin-1"))
    with pytest.raises(ImportRefused) as refused:
        import_file(kind="shopify-orders", path=path)
    [error] = refused.value.result.errors
    assert error.line == 3 and "is not UTF-8 text" in error.message and "CSV UTF-8" in error.message
