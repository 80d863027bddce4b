"""Load a generated shop: its export files through the importers, then what exports never carry
(suppliers and lead times, daily budgets) when its scenario has them."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from .. import models as bm
from ..importers import import_file
from .exports import write_exports
from .generate import Shop


def load_shop(shop: Shop, directory: Path) -> dict[str, Path]:
    """Write the exports under `directory` and import them; returns the files by key."""
    paths = write_exports(shop, directory)
    import_file(kind="shopify-products", path=paths["products"])
    import_file(kind="shopify-orders", path=paths["orders"])
    for channel in sorted({c.channel for c in shop.campaigns}):
        import_file(kind="meta-ads", path=paths[channel], channel=channel)
    with transaction.atomic():
        if shop.lead_times:
            suppliers = {
                days: bm.Supplier.objects.get_or_create(name=f"Supplier {days}d", defaults={"lead_time_days": days})[0]
                for days in sorted(set(shop.lead_times.values()))
            }
            for variant in bm.Variant.objects.filter(sku__in=shop.lead_times):
                variant.supplier = suppliers[shop.lead_times[variant.sku]]
                variant.save(update_fields=["supplier"])
        if shop.scenario.budgets:
            for campaign in shop.campaigns:
                bm.AdCampaign.objects.filter(name=campaign.name).update(daily_budget=campaign.budget)
    return paths
