"""Brand days as datetime bounds, computed in Python so that queries compare plain timestamps.

Date arithmetic inside the database differs between SQLite and PostgreSQL; the analyses therefore
turn "the last 28 brand days" into two aware datetimes here and filter `created_at` between them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from brand.selectors import brand_timezone


def brand_tz() -> zoneinfo.ZoneInfo:
    """The brand's timezone (its profile; a bad name fails loudly there)."""
    return brand_timezone()


def day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """Midnight at the start of a brand day, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def days_window(today: dt.date, days: int, tz: dt.tzinfo, *, offset: int = 0) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the `days` whole brand days ending the day before `today - offset`."""
    end_day = today - dt.timedelta(days=offset)
    return day_start(end_day - dt.timedelta(days=days), tz), day_start(end_day, tz)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` away from `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
