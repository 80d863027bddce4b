"""Reads of the brand's data that other apps share."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from atlas_project.request_cache import forget, per_request

from .models import BrandProfile

# A deployment serves one brand: its profile is always the row with this key, so two processes
# racing to create it end up with one row rather than two.
BRAND_PROFILE_PK = 1


def stored_brand_profile() -> BrandProfile | None:
    """The brand's profile if it exists yet; read once per request (every date and amount on a page
    asks for its time zone or currency)."""
    return per_request("brand_profile", lambda: BrandProfile.objects.filter(pk=BRAND_PROFILE_PK).first())


def brand_profile() -> BrandProfile:
    """The brand's profile, created with the defaults on first use."""
    profile = stored_brand_profile()
    if profile is not None:
        return profile
    forget("brand_profile")
    try:
        with transaction.atomic():
            return BrandProfile.objects.create(pk=BRAND_PROFILE_PK)
    except IntegrityError:
        return BrandProfile.objects.get(pk=BRAND_PROFILE_PK)
