"""Load a generated shop: its export files through the importers, then what exports never carry
(suppliers and lead times, daily budgets, finance's channel budgets, the e-mail tool's segments and
sends) when its scenario has them. Consent to marketing travels in the orders export."""

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
        month = shop.end_date.replace(day=1)
        for channel, amount in sorted(shop.channel_budgets.items()):
            bm.ChannelBudget.objects.update_or_create(channel=channel, month=month, defaults={"amount": amount})
        _load_email_history(shop)
    return paths


def _load_email_history(shop: Shop) -> None:
    customers = dict(bm.Customer.objects.values_list("email", "pk"))
    segments = {}
    for key, emails in sorted(shop.segments.items()):
        segment, _ = bm.Segment.objects.update_or_create(
            key=key, defaults={"name": key.replace("-", " ").capitalize(), "built_at": shop.sends[0].at}
        )
        segment.customers.set([customers[e] for e in emails if e in customers])
        segments[key] = segment
    for send in shop.sends:
        recipients = len([e for e in shop.segments[send.segment] if e in shop.consent])
        bm.EmailCampaign.objects.create(
            name=send.name,
            segment=segments[send.segment],
            subject=send.name,
            body_text=f"{send.name}.",
            status=bm.EmailStatus.SENT if send.sent else bm.EmailStatus.SCHEDULED,
            scheduled_at=send.at,
            sent_at=send.at if send.sent else None,
            recipients=recipients if send.sent else 0,
        )
