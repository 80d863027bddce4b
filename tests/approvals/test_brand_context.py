"""What approvals gets from the domain app through `registry.configure`: its clock and its money words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals import policy, registry
from brand import clock
from brand.selectors import brand_profile

pytestmark = pytest.mark.django_db


def test_the_spend_days_are_the_brand_clocks_days():
    profile = brand_profile()
    profile.timezone = "America/New_York"
    profile.save()
    tz = clock.brand_tz()
    # 2026-03-08 is 23 hours long in New York (clocks go forward): one clock for both apps.
    now = dt.datetime(2026, 3, 8, 12, tzinfo=tz)
    assert policy.brand_day_bounds(now) == clock.day_bounds(dt.date(2026, 3, 8), tz)
    start, end = policy.brand_day_bounds(now)
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=23)
    late = dt.datetime(2026, 3, 9, 3, 30, tzinfo=dt.UTC)  # still the 8th in New York
    assert policy.brand_day_bounds(late)[0].date() == dt.date(2026, 3, 8)


def test_money_in_the_console_is_the_brands_money_words():
    assert registry.money_words(Decimal("1240.00"), currency="EUR") == "€1,240"
    assert registry.money_words(None, currency="USD") == "-"
    assert timezone.is_aware(policy.brand_day_bounds(timezone.now())[0])
