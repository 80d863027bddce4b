"""Finance analyses: month-to-date spend pacing per channel, and the cash impact of draft POs.

Each function is a selector: `(today, config)` in, frozen dataclasses with the numbers out, a
constant number of queries whatever the number of campaigns, days or PO lines.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, Prefetch, Q, Sum
from django.utils import timezone

from brand.clock import brand_tz, month_start
from brand.metrics.figures import CENT, money, safe_ratio
from brand.metrics.growth import observed_budgets
from brand.models import AdCampaign, CampaignStatus, ChannelBudget, POStatus, PurchaseOrder, PurchaseOrderLine

DEC = DecimalField(max_digits=18, decimal_places=2)
LINE_TOTAL = ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=DEC)
PO_TOTAL = ExpressionWrapper(F("lines__quantity") * F("lines__unit_cost"), output_field=DEC)


# --- budget guard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignSpend:
    campaign_id: int
    name: str
    status: str
    daily_budget: Decimal  # the one on record, else the observed one (median of the last 7 days' spend)
    mtd_spend: Decimal
    budget_known: bool = True


@dataclass(frozen=True)
class ChannelPacing:
    channel: str
    budget_id: int
    month: dt.date
    budget: Decimal  # the month's ChannelBudget
    mtd_spend: Decimal  # first of the month .. the last complete brand day
    expected_spend: Decimal  # budget x days elapsed / days in month
    ratio: float  # mtd_spend / expected_spend: 1.3 = pacing at 130%
    days_elapsed: int
    days_in_month: int
    days_left: int  # today .. the end of the month
    remaining: Decimal  # budget - mtd_spend (negative once over)
    daily_allowance: Decimal  # what the channel may spend a day to land on its budget
    campaigns: tuple[CampaignSpend, ...]  # every campaign of the channel, active first

    @property
    def active(self) -> tuple[CampaignSpend, ...]:
        return tuple(c for c in self.campaigns if c.status == CampaignStatus.ACTIVE)

    @property
    def active_daily_budget(self) -> Decimal:
        return sum((c.daily_budget for c in self.active), Decimal("0.00"))

    @property
    def projected_spend(self) -> Decimal:
        """The month's spend if the active campaigns spend their daily budgets for the rest of it."""
        return self.mtd_spend + self.active_daily_budget * self.days_left


def channel_pacing(today: dt.date, config: dict[str, Any] | None = None) -> list[ChannelPacing]:
    """Pacing of every channel that has a budget for the month of the last complete brand day.

    The month is the one of `today - 1` (yesterday's data is the last complete day), so on the
    first of a month the finished month is assessed, with no days left to correct.
    """
    last_day = today - dt.timedelta(days=1)
    month = month_start(last_day)
    days_in_month = calendar.monthrange(month.year, month.month)[1]
    days_elapsed = last_day.day
    days_left = days_in_month - days_elapsed

    budgets = {b.channel: b for b in ChannelBudget.objects.filter(month=month)}
    if not budgets:
        return []
    campaigns = (
        AdCampaign.objects.filter(channel__in=budgets)
        .annotate(mtd=Sum("metrics__spend", filter=Q(metrics__date__gte=month, metrics__date__lte=last_day)))
        .order_by("channel", "name")
        .values("pk", "name", "status", "channel", "daily_budget", "mtd")
    )
    rows = list(campaigns)
    # An ads export carries no daily budget: such a campaign is capped from what it is seen to spend.
    unbudgeted = [r["pk"] for r in rows if not r["daily_budget"]]
    observed = observed_budgets(today, AdCampaign.objects.filter(pk__in=unbudgeted)) if unbudgeted else {}
    by_channel: dict[str, list[CampaignSpend]] = {channel: [] for channel in budgets}
    for row in rows:
        by_channel[row["channel"]].append(
            CampaignSpend(
                campaign_id=row["pk"],
                name=row["name"],
                status=row["status"],
                daily_budget=money(row["daily_budget"] or observed.get(row["pk"], Decimal(0))),
                mtd_spend=money(row["mtd"]),
                budget_known=bool(row["daily_budget"]),
            )
        )

    result = []
    for channel, budget in sorted(budgets.items()):
        ordered = sorted(by_channel[channel], key=lambda c: (c.status != CampaignStatus.ACTIVE, c.name))
        mtd = sum((c.mtd_spend for c in ordered), Decimal("0.00"))
        expected = money(budget.amount * days_elapsed / days_in_month)
        remaining = money(budget.amount - mtd)
        allowance = (
            (max(remaining, Decimal("0")) / days_left).quantize(CENT, rounding=ROUND_DOWN) if days_left else Decimal(0)
        )
        result.append(
            ChannelPacing(
                channel=channel,
                budget_id=budget.pk,
                month=month,
                budget=money(budget.amount),
                mtd_spend=mtd,
                expected_spend=expected,
                ratio=round(safe_ratio(mtd, expected) or 0.0, 4),
                days_elapsed=days_elapsed,
                days_in_month=days_in_month,
                days_left=days_left,
                remaining=remaining,
                daily_allowance=allowance,
                campaigns=tuple(ordered),
            )
        )
    return result


@dataclass(frozen=True)
class BudgetCap:
    campaign_id: int
    name: str
    channel: str
    current: Decimal
    proposed: Decimal

    @property
    def cut(self) -> Decimal:
        return self.current - self.proposed


def budget_caps(pacing: ChannelPacing, *, min_budget_fraction: float) -> list[BudgetCap]:
    """Daily budgets that bring the channel's active campaigns within its allowance for the rest of the month.

    Every active campaign is scaled by the same factor (their mix is growth's call, the total is
    finance's); none goes under `min_budget_fraction` of its budget (a share, so the floor suits a $10
    campaign and a $10,000 one alike), since pausing is a different decision.
    """
    total = pacing.active_daily_budget
    if not pacing.days_left or total <= pacing.daily_allowance or not total:
        return []
    factor = pacing.daily_allowance / total
    caps = []
    for campaign in pacing.active:
        floor = (campaign.daily_budget * Decimal(str(min_budget_fraction))).quantize(CENT)
        proposed = max((campaign.daily_budget * factor).quantize(CENT, rounding=ROUND_DOWN), floor)
        if proposed < campaign.daily_budget:
            caps.append(BudgetCap(campaign.campaign_id, campaign.name, pacing.channel, campaign.daily_budget, proposed))
    return sorted(caps, key=lambda c: c.cut, reverse=True)


# --- PO desk --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class POLineInfo:
    variant_id: int
    sku: str
    title: str
    quantity: int
    unit_cost: Decimal
    total: Decimal


@dataclass(frozen=True)
class DraftPO:
    po_id: int
    number: str
    supplier_id: int
    supplier: str
    payment_terms_days: int
    minimum_order_value: Decimal
    lead_time_days: int
    total: Decimal
    created_on: dt.date  # brand date
    age_days: int
    expected_arrival: dt.date  # the PO's own date, else today + the longest lead time of its SKUs
    cash_due: dt.date  # if confirmed today: invoice on confirmation, paid net N
    lines: tuple[POLineInfo, ...]

    @property
    def meets_minimum(self) -> bool:
        return self.total >= self.minimum_order_value


@dataclass(frozen=True)
class PODeskReport:
    drafts: tuple[DraftPO, ...]
    committed: Decimal  # confirmed POs not yet received: cash already promised to suppliers


def draft_purchase_orders(today: dt.date, config: dict[str, Any] | None = None) -> PODeskReport:
    """Every draft PO with its total, supplier terms, cash due date and expected arrival (3 queries)."""
    tz = brand_tz()
    lines = PurchaseOrderLine.objects.select_related("variant__product").order_by("variant__sku")
    drafts = (
        PurchaseOrder.objects.filter(status=POStatus.DRAFT)
        .select_related("supplier")
        .annotate(total_cost=Sum(PO_TOTAL))
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("created_at", "number")
    )
    committed = PurchaseOrderLine.objects.filter(purchase_order__status=POStatus.CONFIRMED).aggregate(
        total=Sum(LINE_TOTAL)
    )["total"]

    result = []
    for po in drafts:
        supplier = po.supplier
        po_lines = tuple(
            POLineInfo(
                variant_id=line.variant_id,
                sku=line.variant.sku,
                title=line.variant.product.title,
                quantity=line.quantity,
                unit_cost=money(line.unit_cost),
                total=money(line.quantity * line.unit_cost),
            )
            for line in po.lines.all()
        )
        # The PO's supplier ships it: its lead time, unless a SKU carries its own.
        lead_times = [
            line.variant.lead_time_days if line.variant.lead_time_days is not None else supplier.lead_time_days
            for line in po.lines.all()
        ]
        lead_time = max(lead_times, default=supplier.lead_time_days)
        created_on = timezone.localtime(po.created_at, tz).date()
        result.append(
            DraftPO(
                po_id=po.pk,
                number=po.number,
                supplier_id=supplier.pk,
                supplier=supplier.name,
                payment_terms_days=supplier.payment_terms_days,
                minimum_order_value=money(supplier.minimum_order_value),
                lead_time_days=lead_time,
                total=money(po.total_cost),
                created_on=created_on,
                age_days=max((today - created_on).days, 0),
                expected_arrival=po.expected_at or today + dt.timedelta(days=lead_time),
                cash_due=today + dt.timedelta(days=supplier.payment_terms_days),
                lines=po_lines,
            )
        )
    return PODeskReport(drafts=tuple(result), committed=money(committed))
