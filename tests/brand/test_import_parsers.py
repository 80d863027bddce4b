"""The cell parsers the importers share: what a spreadsheet or an export writes, they read back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brand.importers.common import parse_bool, parse_date, parse_datetime, parse_decimal, parse_int

cents = st.decimals(min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"), places=2)
NEW_YORK = ZoneInfo("America/New_York")


@given(cents)
def test_decimal_round_trips_plain_and_with_thousands_separators(value):
    assert parse_decimal(str(value), negative=True) == value
    assert parse_decimal(f"{value:,.2f}", negative=True) == value
    assert parse_decimal(f"  {value:.2f} ", negative=True) == value


@given(cents.filter(lambda value: value < 0))
def test_negative_amounts_are_refused_unless_allowed(value):
    with pytest.raises(ValueError, match="must not be negative"):
        parse_decimal(str(value))


@given(st.integers(min_value=-(2**31) + 1, max_value=2**31 - 1))
def test_int_round_trips(value):
    assert parse_int(str(value), negative=True) == value
    assert parse_int(f"{value:,}", negative=True) == value
    assert parse_int(f"{value}.0", negative=True) == value


@given(st.text(alphabet="0123456789.,-+eE$ xa", max_size=12))
def test_numbers_either_parse_or_say_why(text):
    for parser in (parse_decimal, parse_int):
        try:
            parser(text, negative=True)
        except ValueError as exc:
            assert str(exc) in {"is not a number", "is not a whole number", "is too large"}


@pytest.mark.parametrize("text", ["12,5", "1,23", "1.2.3", "NaN", "Infinity", "1e5", "$5", "-", ".", "1 000"])
def test_malformed_numbers(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)))
def test_datetime_in_shopify_and_iso_forms(moment):
    moment = moment.replace(microsecond=0)
    local = moment.astimezone(NEW_YORK)
    assert parse_datetime(local.strftime("%Y-%m-%d %H:%M:%S %z"), dt.UTC) == moment
    assert parse_datetime(local.isoformat(), dt.UTC) == moment
    assert parse_datetime(moment.isoformat().replace("+00:00", "Z"), dt.UTC) == moment


def test_a_datetime_without_offset_is_in_the_brand_zone():
    assert parse_datetime("2024-03-05 14:22:11", NEW_YORK) == dt.datetime(2024, 3, 5, 19, 22, 11, tzinfo=dt.UTC)
    assert parse_datetime("2024-07-01", NEW_YORK) == dt.datetime(2024, 7, 1, 4, 0, tzinfo=dt.UTC)
    assert parse_datetime("", NEW_YORK) is None


@given(st.dates())
def test_dates_round_trip(day):
    assert parse_date(day.isoformat()) == day


@pytest.mark.parametrize("text", ["05/03/2024", "2024-13-01", "March 5", "2024-03-05T10:00"])
def test_malformed_dates(text):
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(text)


def test_booleans_as_shopify_writes_them():
    assert [parse_bool(text) for text in ["TRUE", "false", "yes", "No", ""]] == [True, False, True, False, None]
    with pytest.raises(ValueError):
        parse_bool("maybe")
