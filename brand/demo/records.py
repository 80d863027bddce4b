"""What the exports do not carry, set through the ORM: profile, suppliers, campaign settings,
budgets, targets, discounts, segments, e-mails, the calendar and the draft PO.

Every write goes through `sync`, which saves only when a value differs, so a second run with the
same seed writes nothing (and leaves no new history rows).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models
from django.db.models import Count
from django.utils import timezone

from .. import models as bm
from ..selectors import BRAND_PROFILE_PK
from . import catalog as cat
from . import past
from .generate import TZ, Dataset
from .plan import channel_budgets, sales_targets

M = TypeVar("M", bound=models.Model)

PO_NUMBER = "PO-DEMO-0001"
VIP_EARLY_ACCESS = "VIP Early Access"
VIP_RESTOCK_ALERT = "VIP Restock Alert"


def sync(model: type[M], lookup: dict[str, Any], values: dict[str, Any]) -> M:
    """get-or-create on `lookup`, then save only the fields of `values` that differ."""
    # _default_manager is `objects` on every brand model, and typed for a generic model.
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    return obj


def sync_m2m(manager: Any, wanted: set[int]) -> None:
    current = set(manager.values_list("pk", flat=True))
    if current != wanted:
        manager.set(wanted)


def brand_at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def profile_set() -> None:
    sync(
        bm.BrandProfile,
        {"pk": BRAND_PROFILE_PK},
        {"name": "Hearth & Pine", "currency": "USD", "timezone": "America/New_York", "morning_hour": 7,
         "orchestrator_name": "Alexia"},
    )  # fmt: skip


def suppliers_set() -> None:
    for name, values in cat.SUPPLIERS.items():
        sync(bm.Supplier, {"name": name}, dict(values))
    suppliers = {s.name: s.pk for s in bm.Supplier.objects.filter(name__in=cat.SUPPLIERS)}
    for v in bm.Variant.objects.filter(sku__in=cat.BY_SKU):
        spec = cat.BY_SKU[v.sku]
        # HP-104's lead time is Ironworks Foundry's (21 days) and says so on the SKU as well.
        values = {"supplier_id": suppliers[spec.supplier], "lead_time_days": 21 if v.sku == cat.SKILLET_10 else None}
        changed = [name for name, value in values.items() if getattr(v, name) != value]
        if changed:
            for name in changed:
                setattr(v, name, values[name])
            v.save(update_fields=changed)


def campaigns_set() -> None:
    variants = dict(bm.Variant.objects.values_list("sku", "pk"))
    copy = {
        cat.SPRING_GLOW: "Spring tables, set in linen. Napkins and runners in the new season's colours.",
        cat.COZY_NIGHTS: "Long evenings, soft light: soy candles and linen throws for the cozy nights in.",
        cat.HEARTH_POT: "The 10in cast iron skillet: seasoned, sturdy, yours for life.",
        cat.EVERGREEN: "Still thinking about the Dutch oven? It is waiting in your cart.",
    }
    budgets_applied = set(
        bm.AdCampaign.objects.filter(
            pk__in=[
                int(pk)
                for pk in bm.AppliedAction.objects.filter(action_type="ads.set_daily_budget").values_list(
                    "result__campaign_id", flat=True
                )
                if pk is not None
            ]
        ).values_list("name", flat=True)
    )
    for name, channel, budget, _pace, _roas, _ctr, _cpm, skus in cat.CAMPAIGNS:
        status = bm.CampaignStatus.PAUSED if name == cat.WINTER_WARMERS else bm.CampaignStatus.ACTIVE
        values = {"channel": channel, "status": status, "daily_budget": Decimal(budget).quantize(Decimal("0.01")),
                  "ad_copy": copy.get(name, f"{name}: Hearth & Pine, made for the everyday kitchen.")}  # fmt: skip
        if name in budgets_applied:
            # An approved budget change (the demo's past cut, a person's decision) stands over the seed's.
            del values["daily_budget"]
        campaign = sync(bm.AdCampaign, {"name": name}, values)
        sync_m2m(campaign.skus, {variants[sku] for sku in skus})


def budgets_and_targets_set(ds: Dataset) -> None:
    for (channel, month), amount in channel_budgets(ds).items():
        sync(bm.ChannelBudget, {"channel": channel, "month": month}, {"amount": amount})
    for month, revenue in sales_targets(ds).items():
        sync(bm.SalesTarget, {"month": month}, {"revenue": revenue})


def discounts_set(ds: Dataset) -> None:
    end = ds.end_date
    for code, percent, started in (
        ("WELCOME40", Decimal("40"), end - dt.timedelta(days=89)),
        ("SPRING10", Decimal("10"), end - dt.timedelta(days=59)),
        ("THANKYOU15", Decimal("15"), end - dt.timedelta(days=179)),
        (past.WINBACK_CODE, past.WINBACK_PERCENT, end - dt.timedelta(days=past.WINBACK_DAYS_AGO + 1)),
    ):
        sync(
            bm.Discount,
            {"code": code},
            {"percent_off": percent, "status": bm.DiscountStatus.ACTIVE, "starts_at": brand_at(started, 0)},
        )


def segments_set(ds: Dataset) -> dict[str, bm.Segment]:
    built_at = brand_at(ds.today, 6)
    counts = bm.Customer.objects.annotate(n=Count("orders"))
    members = {
        "all-subscribers": set(bm.Customer.objects.filter(accepts_marketing=True).values_list("pk", flat=True)),
        "vip": set(counts.filter(n__gte=4).values_list("pk", flat=True)),
        "first-time-buyers": set(counts.filter(n=1).values_list("pk", flat=True)),
        "lapsing-vip": set(),
        past.WINBACK_SEGMENT: set(
            bm.Customer.objects.filter(email__in=[c.email for c in ds.customers if c.kind == "winback"]).values_list(
                "pk", flat=True
            )
        ),
    }
    specs = {
        "all-subscribers": ("All subscribers", "Customers who accept marketing e-mail.", {"accepts_marketing": True}),
        "vip": ("VIP", "Customers with four orders or more.", {"min_orders": 4}),
        "first-time-buyers": ("First-time buyers", "Customers with exactly one order.", {"orders": 1}),
        "lapsing-vip": ("Lapsing VIPs", "VIPs overdue for their next order; built by retention.", {}),
        past.WINBACK_SEGMENT: (
            "Win-back",
            f"Customers with two orders and none in the {past.WINBACK_LAPSED_DAYS} days before the win-back send.",
            {"min_orders": 2, "lapsed_days": past.WINBACK_LAPSED_DAYS},
        ),
    }
    segments = {}
    for key, (name, description, definition) in specs.items():
        segment = sync(
            bm.Segment,
            {"key": key},
            {"name": name, "description": description, "definition": definition,
             "built_at": built_at if key != "lapsing-vip" else None},
        )  # fmt: skip
        sync_m2m(segment.customers, members[key])
        segments[key] = segment
    return segments


def emails_and_calendar_set(ds: Dataset, segments: dict[str, bm.Segment]) -> None:
    today = ds.today
    sizes = {key: segment.customers.count() for key, segment in segments.items()}
    emails: list[tuple[str, str, str, str, dt.datetime]] = []
    # Sent: the weekly letter on Thursdays over the last twelve weeks, and a restock note.
    thursday = ds.end_date - dt.timedelta(days=(ds.end_date.weekday() - 3) % 7)
    for week in range(12):
        day = thursday - dt.timedelta(days=7 * week)
        emails.append(
            (f"The Hearth Letter - {day:%b %d}", "all-subscribers", "sent",
             "This week at the hearth: recipes, care tips and what is new", brand_at(day, 10))
        )  # fmt: skip
    emails.append(("Welcome back - second order", "first-time-buyers", "sent",
                   "Something for your second visit", brand_at(ds.end_date - dt.timedelta(days=20), 11)))  # fmt: skip
    # Scheduled: the planted clash (both to vip, six hours apart on today+3), the rest well apart.
    clash = today + dt.timedelta(days=3)
    emails += [
        (VIP_EARLY_ACCESS, "vip", "scheduled", "First look: the new enamel colours", brand_at(clash, 10)),
        (VIP_RESTOCK_ALERT, "vip", "scheduled", "Back in stock: the pieces you asked for", brand_at(clash, 16)),
        ("The Hearth Letter - next week", "all-subscribers", "scheduled",
         "This week at the hearth", brand_at(today + dt.timedelta(days=7), 10)),
        ("Spring Linen Edit", "all-subscribers", "scheduled",
         "The spring linen edit is here", brand_at(today + dt.timedelta(days=10), 14)),
        ("The Hearth Letter - in two weeks", "all-subscribers", "scheduled",
         "This week at the hearth", brand_at(today + dt.timedelta(days=14), 10)),
    ]  # fmt: skip
    for name, segment_key, status, subject, when in emails:
        sent = status == "sent"
        email = sync(
            bm.EmailCampaign,
            {"name": name},
            {"segment": segments[segment_key], "subject": subject, "status": status, "scheduled_at": when,
             "sent_at": when if sent else None, "recipients": sizes[segment_key] if sent else 0,
             "body_text": f"{subject}.\n\nFrom all of us at Hearth & Pine.",
             "body_html": f"<p>{subject}.</p><p>From all of us at Hearth & Pine.</p>"},
        )  # fmt: skip
        sync(
            bm.CalendarItem,
            {"email_campaign": email},
            {"title": name, "kind": bm.CalendarKind.EMAIL, "starts_at": when, "segment": segments[segment_key]},
        )
    variants = dict(bm.Variant.objects.values_list("sku", "pk"))
    others = [
        ("Instagram: skillet cornbread reel", bm.CalendarKind.SOCIAL, today + dt.timedelta(days=1), None),
        ("Pinterest: spring table boards", bm.CalendarKind.SOCIAL, today + dt.timedelta(days=5), None),
        ("Launch: enamel colours Sage and Clay", bm.CalendarKind.LAUNCH, today + dt.timedelta(days=12), "HP-221"),
        ("SPRING10 storewide", bm.CalendarKind.PROMO, ds.end_date - dt.timedelta(days=59), None),
        ("TikTok: cold brew in 3 steps", bm.CalendarKind.SOCIAL, today + dt.timedelta(days=8), cat.COLD_BREW),
        ("Spring Glow flight", bm.CalendarKind.AD, ds.end_date - dt.timedelta(days=69), None),
    ]
    for title, kind, day, sku in others:
        sync(
            bm.CalendarItem,
            {"title": title},
            {"kind": kind, "starts_at": brand_at(day, 9), "variant_id": variants.get(sku) if sku else None,
             "ends_at": brand_at(ds.end_date + dt.timedelta(days=30), 23) if kind == bm.CalendarKind.PROMO else None},
        )  # fmt: skip


def purchase_order_set(ds: Dataset) -> bm.PurchaseOrder:
    """PO-DEMO-0001: a draft for Copper & Co, four days old, about $6,000 of lines."""
    supplier = bm.Supplier.objects.get(name=cat.COPPER)
    po = sync(
        bm.PurchaseOrder,
        {"number": PO_NUMBER},
        {"supplier": supplier, "status": bm.POStatus.DRAFT, "currency": "USD",
         "notes": "Spring restock of copper pans and kettles; drafted by operations."},
    )  # fmt: skip
    created = brand_at(ds.today - dt.timedelta(days=4), 10)
    if po.created_at != created:  # auto_now_add: the demo's date is set after the fact
        bm.PurchaseOrder.objects.filter(pk=po.pk).update(created_at=created)
    for sku, quantity in (("CC-402", 40), ("CC-410", 20), ("GK-160", 30)):
        variant = bm.Variant.objects.get(sku=sku)
        sync(bm.PurchaseOrderLine, {"purchase_order": po, "variant": variant},
             {"quantity": quantity, "unit_cost": cat.BY_SKU[sku].cost})  # fmt: skip
    return po


def records_set(ds: Dataset) -> None:
    suppliers_set()
    campaigns_set()
    budgets_and_targets_set(ds)
    discounts_set(ds)
    segments = segments_set(ds)
    emails_and_calendar_set(ds, segments)
    purchase_order_set(ds)


__all__ = ["PO_NUMBER", "VIP_EARLY_ACCESS", "VIP_RESTOCK_ALERT", "profile_set", "records_set", "sync", "timezone"]
