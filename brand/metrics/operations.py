"""Operations' analyses: days of cover per SKU against lead time; clashes on the content calendar.

Cover is stock over the 28-day sales rate, from one grouped query with the open purchase orders as
subqueries; the calendar's sends (its e-mail items and the campaigns scheduled without one) are paired
with their neighbour on the same segment.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from brand.clock import brand_tz, day_start, days_window
from brand.metrics.expressions import units_by_variant
from brand.models import (
    AdCampaign,
    CalendarItem,
    CalendarKind,
    CampaignStatus,
    EmailCampaign,
    EmailStatus,
    Order,
    POStatus,
    PurchaseOrderLine,
    Variant,
)

OPEN_PO = (POStatus.DRAFT, POStatus.CONFIRMED)
# What a reorder is assumed to take when neither the SKU nor a supplier says (a Shopify export never
# does): three weeks, a common lead time for stock made to order or shipped from abroad.
DEFAULT_LEAD_TIME_DAYS = 21
# The longest window a sales pace is read over, when the last 28 days agree with it.
LONG_WINDOW_DAYS = 90


# --- inventory ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveCampaign:
    campaign_id: int
    name: str
    channel: str


@dataclass(frozen=True)
class SkuCover:
    variant_id: int
    sku: str
    title: str
    stock: int
    units_28d: int
    lead_time_days: int | None  # the supplier's, or the assumed default when `lead_time_assumed`
    supplier_id: int | None
    supplier_name: str
    unit_cost: Decimal | None
    incoming_units: int  # on draft or confirmed POs
    draft_po_units: int
    next_delivery: dt.date | None  # earliest expected arrival of a confirmed PO
    today: dt.date
    campaigns: tuple[LiveCampaign, ...] = ()
    units_7d: int = 0
    lead_time_assumed: bool = False  # no supplier or lead time in the data: a configured default
    recent_ratio: float = 1.5  # the 7-day rate counts when it is this many times the base one
    units_long: int = 0  # sold over the long window (up to 90 days, as much history as there is)
    long_days: int = 28

    @property
    def steady(self) -> bool:
        """The last 28 days sold at the long window's pace, within chance (two standard deviations of a
        Poisson count): then the long window, with more sales in it, is the better estimate of the pace."""
        if self.long_days <= 28:
            return False
        expected = self.units_long / self.long_days * 28
        return abs(self.units_28d - expected) <= 2 * math.sqrt(max(expected, 1.0))

    @property
    def base_days(self) -> int:
        return self.long_days if self.steady else 28

    @property
    def base_units(self) -> int:
        return self.units_long if self.steady else self.units_28d

    @property
    def long_rate(self) -> float:
        """The pace before the last week counts: the long window's when the last 28 days agree with it, else the
        28 days' (where they disagree, the more recent wins)."""
        return self.base_units / self.base_days

    @property
    def recent_rate(self) -> float:
        return self.units_7d / 7

    @property
    def rising(self) -> bool:
        """Well above the base pace, and by more than chance: over two standard deviations of a week's
        count at that pace (Poisson), so that a few extra orders of a slow SKU are not a trend."""
        expected = self.long_rate * 7
        return self.units_7d > self.recent_ratio * expected and self.units_7d - expected > 2 * math.sqrt(
            max(expected, 1.0)
        )

    @property
    def daily_rate(self) -> float:
        """The pace stock runs down at: the base rate, or the last 7 days' when sales are rising well above it
        (a recent trend beats a long average; a quiet spell is not trusted to last, so a lower one does not)."""
        return self.recent_rate if self.rising else self.long_rate

    @property
    def runs_out_on(self) -> dt.date | None:
        cover = self.days_of_cover
        return None if cover is None else self.today + dt.timedelta(days=math.floor(cover))

    @property
    def delivery_on(self) -> dt.date | None:
        wait = self.days_to_delivery
        return None if wait is None else self.today + dt.timedelta(days=wait)

    @property
    def days_of_cover(self) -> float | None:
        return round(max(self.stock, 0) / self.daily_rate, 1) if self.daily_rate else None

    @property
    def days_to_delivery(self) -> int | None:
        """Days until the next delivery: a confirmed PO's arrival, otherwise an order placed today."""
        if self.next_delivery is not None:
            return (self.next_delivery - self.today).days
        return self.lead_time_days

    @property
    def runs_out_before_delivery(self) -> bool:
        cover, wait = self.days_of_cover, self.days_to_delivery
        return cover is not None and wait is not None and cover < wait

    def reorder_units(self, target_cover_days: int) -> int:
        """Enough for the lead time plus `target_cover_days` at the current rate, net of stock and open POs."""
        need = self.daily_rate * ((self.lead_time_days or 0) + target_cover_days)
        return max(0, math.ceil(need - max(self.stock, 0) - self.incoming_units))


@dataclass(frozen=True)
class InventoryFindings:
    skus: list[SkuCover]
    at_risk: list[SkuCover]


def sku_cover(
    today: dt.date,
    *,
    sales_window_days: int = 28,
    default_lead_time_days: int | None = None,
    recent_ratio: float = 1.5,
) -> list[SkuCover]:
    """Cover of every active SKU (six queries: the first order, the SKUs with their PO sums, the live
    campaigns per SKU, the units sold per SKU over 28, 7 and up to 90 days).

    The pace is the long window's (up to 90 days of history) where the last 28 days agree with it
    within chance, the 28 days' where they do not, and the last 7 days' where sales rise beyond chance.
    A SKU with no lead time of its own or of its supplier (a Shopify export carries neither) gets
    `default_lead_time_days`, flagged `lead_time_assumed` so that the rationale says so.
    """
    tz = brand_tz()
    start, end = days_window(today, sales_window_days, tz)
    recent_start, _ = days_window(today, 7, tz)
    long_days = max(sales_window_days, min(LONG_WINDOW_DAYS, order_history_days(today)))
    long_start, _ = days_window(today, long_days, tz)
    po_lines = PurchaseOrderLine.objects.filter(variant=OuterRef("pk"), purchase_order__status__in=OPEN_PO)

    def po_units(lines: Any) -> Coalesce:
        summed = lines.order_by().values("variant").annotate(s=Sum("quantity")).values("s")
        return Coalesce(Subquery(summed, output_field=IntegerField()), Value(0))

    rows = (
        Variant.objects.filter(is_active=True)
        .annotate(
            lead=Coalesce("lead_time_days", "supplier__lead_time_days"),
            incoming=po_units(po_lines),
            drafted=po_units(po_lines.filter(purchase_order__status=POStatus.DRAFT)),
            next_delivery=Subquery(
                po_lines.filter(purchase_order__status=POStatus.CONFIRMED, purchase_order__expected_at__isnull=False)
                .order_by("purchase_order__expected_at")
                .values("purchase_order__expected_at")[:1]
            ),
        )
        .order_by("sku")
        .values(
            "pk",
            "sku",
            "product__title",
            "stock",
            "lead",
            "supplier_id",
            "supplier__name",
            "cost",
            "incoming",
            "drafted",
            "next_delivery",
        )
    )
    campaigns: dict[int, list[LiveCampaign]] = defaultdict(list)
    for variant_id, cid, name, channel in AdCampaign.skus.through.objects.filter(
        adcampaign__status=CampaignStatus.ACTIVE
    ).values_list("variant_id", "adcampaign_id", "adcampaign__name", "adcampaign__channel"):
        campaigns[variant_id].append(LiveCampaign(campaign_id=cid, name=name, channel=channel))
    units = units_by_variant(start, end)
    recent = units_by_variant(recent_start, end)
    long = units_by_variant(long_start, end) if long_days > sales_window_days else units
    return [
        SkuCover(
            variant_id=r["pk"],
            sku=r["sku"],
            title=r["product__title"],
            stock=r["stock"],
            units_28d=units.get(r["pk"], 0),
            lead_time_days=r["lead"] if r["lead"] is not None else default_lead_time_days,
            lead_time_assumed=r["lead"] is None and default_lead_time_days is not None,
            units_7d=recent.get(r["pk"], 0),
            units_long=long.get(r["pk"], 0),
            long_days=long_days,
            recent_ratio=recent_ratio,
            supplier_id=r["supplier_id"],
            supplier_name=r["supplier__name"] or "",
            unit_cost=r["cost"],
            incoming_units=r["incoming"],
            draft_po_units=r["drafted"],
            next_delivery=r["next_delivery"],
            today=today,
            campaigns=tuple(sorted(campaigns[r["pk"]], key=lambda c: c.campaign_id)),
        )
        for r in rows
    ]


def sku_cover_for(today: dt.date, config: dict[str, Any]) -> list[SkuCover]:
    """`sku_cover` with an agent's configuration (the inventory agent's keys, defaults where absent)."""
    default_lead = config.get("default_lead_time_days")
    return sku_cover(
        today,
        sales_window_days=int(config.get("sales_window_days", 28)),
        default_lead_time_days=None if default_lead is None else int(default_lead),
        recent_ratio=float(config.get("recent_rate_ratio", 1.5)),
    )


def order_history_days(today: dt.date) -> int:
    """Whole brand days from the first order to `today` (0 with no orders): how far back a rate can look."""
    first = Order.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return 0 if first is None else (today - first.astimezone(brand_tz()).date()).days


def inventory_analysis(today: dt.date, config: dict[str, Any]) -> InventoryFindings:
    skus = sku_cover_for(today, config)
    min_units = int(config["min_units_28d"])
    at_risk = [s for s in skus if s.units_28d >= min_units and s.runs_out_before_delivery]
    at_risk.sort(key=lambda s: (s.days_of_cover or 0) - (s.days_to_delivery or 0))
    return InventoryFindings(skus=skus, at_risk=at_risk)


# --- calendar -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEntry:
    """A send: a calendar e-mail item, or a scheduled e-mail campaign that has no calendar item."""

    item_id: int | None  # None for a campaign scheduled without a calendar item
    title: str
    kind: str
    starts_at: dt.datetime
    segment_id: int | None
    segment_key: str
    email_campaign_id: int | None

    @property
    def ref(self) -> dict[str, Any]:
        """The row behind the send, as memory evidence."""
        if self.item_id is not None:
            return {"model": "brand.calendaritem", "pk": self.item_id}
        return {"model": "brand.emailcampaign", "pk": self.email_campaign_id}

    @property
    def key(self) -> str:
        return f"calendar:{self.item_id}" if self.item_id is not None else f"email:{self.email_campaign_id}"


@dataclass(frozen=True)
class SendClash:
    earlier: CalendarEntry
    later: CalendarEntry

    @property
    def gap_hours(self) -> float:
        return (self.later.starts_at - self.earlier.starts_at).total_seconds() / 3600


@dataclass(frozen=True)
class EarlyLaunch:
    item_id: int
    title: str
    starts_at: dt.datetime
    sku: str
    stock: int
    arrives_on: dt.date | None  # earliest expected arrival of an open PO for the SKU


@dataclass(frozen=True)
class CalendarFindings:
    sends: list[CalendarEntry]
    clashes: list[SendClash] = field(default_factory=list)
    early_launches: list[EarlyLaunch] = field(default_factory=list)


def calendar_analysis(today: dt.date, config: dict[str, Any]) -> CalendarFindings:
    """Sends to one segment closer than `min_gap_hours`; launches dated before their stock arrives.

    Three queries over the horizon: the calendar's e-mail items, the e-mail campaigns scheduled
    without a calendar item (sent directly, not through the calendar), and the launches with their
    SKU's stock and next PO. The sends of both kinds are ordered by segment and time in the
    database; each is paired with the one before it on its segment in one pass over the horizon's
    sends (a window function cannot span the two tables).
    """
    tz = brand_tz()
    start = day_start(today, tz)
    stop = day_start(today + dt.timedelta(days=int(config["horizon_days"])), tz)
    min_gap = dt.timedelta(hours=float(config["min_gap_hours"]))
    segment = Coalesce("segment_id", "email_campaign__segment_id")
    live = ~Q(email_campaign__status__in=[EmailStatus.CANCELLED, EmailStatus.SENT])
    # All upcoming sends from just before the horizon, so that a send just before it is compared too.
    items = (
        CalendarItem.objects.filter(kind=CalendarKind.EMAIL, starts_at__gte=start - min_gap, starts_at__lt=stop)
        .filter(live | Q(email_campaign__isnull=True))
        .annotate(seg=segment)
        .filter(seg__isnull=False)
        .annotate(seg_key=Coalesce("segment__key", "email_campaign__segment__key"))
        .order_by("seg", "starts_at", "pk")
        .values_list("pk", "title", "kind", "starts_at", "seg", "seg_key", "email_campaign_id")
    )
    on_calendar = CalendarItem.objects.filter(email_campaign=OuterRef("pk"), kind=CalendarKind.EMAIL)
    direct = (
        EmailCampaign.objects.filter(
            status=EmailStatus.SCHEDULED, scheduled_at__gte=start - min_gap, scheduled_at__lt=stop
        )
        .filter(~Exists(on_calendar))
        .order_by("segment_id", "scheduled_at", "pk")
        .values_list("pk", "name", "segment_id", "scheduled_at", "segment__key")
    )
    sends = [
        CalendarEntry(
            item_id=pk, title=title, kind=kind, starts_at=at, segment_id=seg, segment_key=key or "",
            email_campaign_id=campaign_id,
        )
        for pk, title, kind, at, seg, key, campaign_id in items
    ] + [
        CalendarEntry(
            item_id=None, title=name, kind=CalendarKind.EMAIL, starts_at=at, segment_id=seg, segment_key=key,
            email_campaign_id=pk,
        )
        for pk, name, seg, at, key in direct
        if at is not None  # always, by the scheduled_at filter: says so to the type checker
    ]  # fmt: skip
    # Both lists come sorted; the merge keeps calendar items before campaigns at the same time.
    ordered = sorted(sends, key=lambda e: (e.segment_id, e.starts_at, e.item_id is None))
    clashes = [
        SendClash(earlier=earlier, later=later)
        for earlier, later in pairwise(ordered)
        if earlier.segment_id == later.segment_id
        and later.starts_at >= start
        and later.starts_at - earlier.starts_at < min_gap
    ]
    clashes.sort(key=lambda c: (c.later.starts_at, c.later.item_id or 0))

    next_arrival = (
        PurchaseOrderLine.objects.filter(
            variant=OuterRef("variant_id"),
            purchase_order__status__in=OPEN_PO,
            purchase_order__expected_at__isnull=False,
        )
        .order_by("purchase_order__expected_at")
        .values("purchase_order__expected_at")[:1]
    )
    launches = (
        CalendarItem.objects.filter(kind=CalendarKind.LAUNCH, starts_at__gte=start, starts_at__lt=stop)
        .filter(variant__isnull=False, variant__stock__lt=int(config["min_launch_stock"]))
        .annotate(arrives=Subquery(next_arrival))
        .order_by("starts_at")
        .values("pk", "title", "starts_at", "variant__sku", "variant__stock", "arrives")
    )
    early = [
        EarlyLaunch(
            item_id=r["pk"],
            title=r["title"],
            starts_at=r["starts_at"],
            sku=r["variant__sku"],
            stock=r["variant__stock"],
            arrives_on=r["arrives"],
        )
        for r in launches
        if r["arrives"] is None or r["arrives"] >= r["starts_at"].astimezone(tz).date()
    ]
    sends.sort(key=lambda e: (e.starts_at, e.item_id is None, e.item_id or e.email_campaign_id))
    return CalendarFindings(sends=sends, clashes=clashes, early_launches=early)


def free_send_slot(
    today: dt.date,
    segment_key: str,
    *,
    earliest_days: int = 2,
    hour: int = 10,
    min_gap_hours: float = 24,
    horizon_days: int = 28,
) -> dt.datetime:
    """The first morning from `today + earliest_days` with no other send to the segment within `min_gap_hours`.

    Sends are the calendar's e-mail items, the e-mail campaigns scheduled for the segment and those
    already sent to it (one query each; a send that went out last night counts as much as one planned);
    a new proposal then does not create the clash the calendar specialist would flag.
    """
    tz = brand_tz()
    start = day_start(today, tz)
    stop = day_start(today + dt.timedelta(days=earliest_days + horizon_days), tz)
    on_segment = Q(segment__key=segment_key) | Q(email_campaign__segment__key=segment_key)
    taken = (
        list(
            CalendarItem.objects.filter(
                on_segment, kind=CalendarKind.EMAIL, starts_at__gte=start, starts_at__lt=stop
            ).values_list("starts_at", flat=True)
        )
        + list(
            EmailCampaign.objects.filter(
                segment__key=segment_key,
                status__in=[EmailStatus.DRAFT, EmailStatus.SCHEDULED],
                scheduled_at__gte=start,
                scheduled_at__lt=stop,
            ).values_list("scheduled_at", flat=True)
        )
        + list(
            EmailCampaign.objects.filter(
                segment__key=segment_key,
                status__in=[EmailStatus.SENDING, EmailStatus.SENT],
                sent_at__gte=start - dt.timedelta(hours=min_gap_hours),
                sent_at__lt=stop,
            ).values_list("sent_at", flat=True)
        )
    )
    gap = dt.timedelta(hours=min_gap_hours)
    for offset in range(earliest_days, earliest_days + horizon_days):
        slot = dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(hour), tzinfo=tz)
        # t is never None (the filters bound it); the check says so to the type checker.
        if all(abs(slot - t) >= gap for t in taken if t is not None):
            return slot
    return dt.datetime.combine(today + dt.timedelta(days=earliest_days + horizon_days), dt.time(hour), tzinfo=tz)
