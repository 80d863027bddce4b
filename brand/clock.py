"""The brand's clock: its time zone, its today, where its days start, and windows of whole days.

One helper for the concept, used by every app above `brand`: analyses, budgets, schedules and
actions all agree on what "today" and "the last 28 days" mean. Date arithmetic inside the database
differs between SQLite and PostgreSQL, so windows are turned into two aware datetimes here and
queries compare plain timestamps.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

if TYPE_CHECKING:
    from .models import BrandProfile


def brand_tz(profile: BrandProfile | None = None) -> ZoneInfo:
    """The brand's time zone; a bad name in the profile fails loudly with the value, never UTC."""
    from .selectors import brand_profile

    profile = profile or brand_profile()
    try:
        return ZoneInfo(profile.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"BrandProfile.timezone={profile.timezone!r} is not a time zone (e.g. 'Europe/Paris')."
        ) from exc


def brand_today() -> dt.date:
    """Today's date where the brand is: the day its reports and cycles belong to."""
    return timezone.localdate(timezone=brand_tz())


def day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """Midnight at the start of a brand day, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def brand_day_start(day: dt.date | None = None) -> dt.datetime:
    """Midnight of the brand day (today by default), as an aware datetime: budgets count from here."""
    tz = brand_tz()
    return day_start(day or timezone.localdate(timezone=tz), tz)


def day_bounds(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of one brand day, as aware datetimes."""
    return day_start(day, tz), day_start(day + dt.timedelta(days=1), tz)


def days_window(today: dt.date, days: int, tz: dt.tzinfo, *, offset: int = 0) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the `days` whole brand days ending the day before `today - offset`."""
    if days < 0:
        raise ValueError(f"days_window: days must not be negative, got {days}")
    end_day = today - dt.timedelta(days=offset)
    return day_start(end_day - dt.timedelta(days=days), tz), day_start(end_day, tz)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` away from `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
