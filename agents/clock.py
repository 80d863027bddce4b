"""The brand's clock: its timezone, its date and where its day starts (from `brand.selectors`)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def brand_tz() -> ZoneInfo:
    from brand.selectors import brand_timezone

    return brand_timezone()


def brand_today() -> dt.date:
    from brand.selectors import brand_today as today

    return today()


def brand_day_start(day: dt.date | None = None) -> dt.datetime:
    """Midnight of the brand day, as an aware datetime: budgets count from here."""
    day = day or brand_today()
    return dt.datetime.combine(day, dt.time.min, tzinfo=brand_tz())
