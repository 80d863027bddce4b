"""Reads of the brand's data that other apps share."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import BrandProfile

# A deployment serves one brand: its profile is always the row with this key, so two processes
# racing to create it end up with one row rather than two.
BRAND_PROFILE_PK = 1


def brand_profile() -> BrandProfile:
    """The brand's profile, created with the defaults on first use."""
    profile = BrandProfile.objects.filter(pk=BRAND_PROFILE_PK).first()
    if profile is not None:
        return profile
    try:
        with transaction.atomic():
            return BrandProfile.objects.create(pk=BRAND_PROFILE_PK)
    except IntegrityError:
        return BrandProfile.objects.get(pk=BRAND_PROFILE_PK)


def brand_timezone(profile: BrandProfile | None = None) -> ZoneInfo:
    """The brand's time zone; a bad name in the profile fails loudly with the value."""
    profile = profile or brand_profile()
    try:
        return ZoneInfo(profile.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"BrandProfile.timezone={profile.timezone!r} is not a time zone (e.g. 'Europe/Paris')."
        ) from exc


def brand_today() -> dt.date:
    """Today's date where the brand is: the day its reports and cycles belong to."""
    return timezone.localdate(timezone=brand_timezone())
