"""Growth's analyses: ROAS per campaign over 7 and 28 days, and under-promoted high-margin products.

Each function is a selector: `(today, config)` in, frozen dataclasses with the numbers out. The sums
run in the database (conditional aggregation over one join); Python only classifies the handful of
per-campaign or per-SKU rows that come back, so the query count does not grow with the data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from brand.clock import brand_tz, days_window
from brand.metrics.expressions import units_by_variant
from brand.models import AdCampaign, AdMetric, CampaignStatus, Discount, DiscountStatus, Variant

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def _ratio(num: Decimal | int, den: Decimal | int) -> float | None:
    return float(num) / float(den) if den else None


# --- paid media -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignRoas:
    campaign_id: int
    name: str
    channel: str
    daily_budget: Decimal
    spend_7d: Decimal
    revenue_7d: Decimal
    spend_prev_7d: Decimal
    revenue_prev_7d: Decimal
    spend_28d: Decimal
    revenue_28d: Decimal
    capped_days: int
    window_days: int
    skus: tuple[str, ...] = ()
    spend_3d: Decimal = ZERO
    revenue_3d: Decimal = ZERO
    observed_budget: Decimal = ZERO  # median daily spend of the last 7 days
    purchases_28d: int = 0

    @property
    def budget_known(self) -> bool:
        return self.daily_budget > 0

    @property
    def effective_budget(self) -> Decimal:
        """The budget on record, or, when the export carried none, what the campaign is seen to spend a day."""
        return self.daily_budget if self.budget_known else self.observed_budget

    @property
    def roas_3d(self) -> float | None:
        return _ratio(self.revenue_3d, self.spend_3d)

    @property
    def roas_7d(self) -> float | None:
        return _ratio(self.revenue_7d, self.spend_7d)

    @property
    def roas_28d(self) -> float | None:
        return _ratio(self.revenue_28d, self.spend_28d)

    @property
    def marginal_roas(self) -> float | None:
        """Extra revenue per extra dollar between the previous 7 days and the last 7 (None if spend barely moved)."""
        delta_spend = self.spend_7d - self.spend_prev_7d
        if abs(delta_spend) < Decimal("1"):
            return None
        return float(self.revenue_7d - self.revenue_prev_7d) / float(delta_spend)


@dataclass(frozen=True)
class EvidenceGap:
    """Why a campaign whose ROAS moved is too small to judge, in the shop's own terms."""

    campaign: CampaignRoas
    share: float  # of the account's ad spend over 28 days
    min_share: float
    min_purchases: int

    @property
    def too_little_spend(self) -> bool:
        return self.share < self.min_share

    @property
    def too_few_purchases(self) -> bool:
        return self.campaign.purchases_28d < self.min_purchases


@dataclass(frozen=True)
class PaidMediaFindings:
    campaigns: list[CampaignRoas]
    weak: list[CampaignRoas] = field(default_factory=list)
    winners: list[CampaignRoas] = field(default_factory=list)
    account_spend_28d: Decimal = ZERO  # every active campaign's spend over 28 days
    # Campaigns whose 7-day ROAS fell under the bar but that carry too little of the account's spend,
    # or too few purchases, for the fall to be more than chance or to matter.
    too_small: list[EvidenceGap] = field(default_factory=list)

    def share(self, campaign: CampaignRoas) -> float:
        return float(campaign.spend_28d / self.account_spend_28d) if self.account_spend_28d else 0.0


def campaign_roas(today: dt.date, *, capped_window_days: int = 14, capped_fraction: float = 0.95) -> list[CampaignRoas]:
    """ROAS inputs of every active campaign: two queries (the sums, then the SKUs they promote)."""
    end = today - dt.timedelta(days=1)
    d3 = end - dt.timedelta(days=2)
    d7 = end - dt.timedelta(days=6)
    d14 = end - dt.timedelta(days=13)
    d28 = end - dt.timedelta(days=27)
    dcap = end - dt.timedelta(days=capped_window_days - 1)

    def window(lo: dt.date, hi: dt.date) -> Q:
        return Q(metrics__date__gte=lo, metrics__date__lte=hi)

    def total(column: str, q: Q) -> Coalesce:
        return Coalesce(Sum(f"metrics__{column}", filter=q), Value(ZERO), output_field=MONEY)

    cap_threshold = ExpressionWrapper(F("daily_budget") * Value(Decimal(str(capped_fraction))), output_field=MONEY)
    prev7 = Q(metrics__date__gte=d14, metrics__date__lt=d7)
    rows = (
        AdCampaign.objects.filter(status=CampaignStatus.ACTIVE)
        .annotate(
            s3=total("spend", window(d3, end)),
            r3=total("revenue", window(d3, end)),
            s7=total("spend", window(d7, end)),
            r7=total("revenue", window(d7, end)),
            sp7=total("spend", prev7),
            rp7=total("revenue", prev7),
            s28=total("spend", window(d28, end)),
            r28=total("revenue", window(d28, end)),
            p28=Coalesce(Sum("metrics__purchases", filter=window(d28, end)), Value(0)),
            capped=Coalesce(
                Sum(
                    Value(1),
                    filter=window(dcap, end) & Q(metrics__spend__gte=cap_threshold) & Q(daily_budget__gt=0),
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
        )
        .order_by("pk")
    )
    skus: dict[int, list[str]] = defaultdict(list)
    for campaign_id, sku in AdCampaign.skus.through.objects.filter(
        adcampaign__status=CampaignStatus.ACTIVE
    ).values_list("adcampaign_id", "variant__sku"):
        skus[campaign_id].append(sku)
    observed = observed_budgets(today, AdCampaign.objects.filter(status=CampaignStatus.ACTIVE))
    return [
        CampaignRoas(
            campaign_id=c.pk,
            name=c.name,
            channel=c.channel,
            daily_budget=c.daily_budget,
            spend_7d=c.s7,
            revenue_7d=c.r7,
            spend_prev_7d=c.sp7,
            revenue_prev_7d=c.rp7,
            spend_28d=c.s28,
            revenue_28d=c.r28,
            capped_days=c.capped,
            window_days=capped_window_days,
            skus=tuple(sorted(skus[c.pk])),
            spend_3d=c.s3,
            revenue_3d=c.r3,
            observed_budget=observed.get(c.pk, ZERO),
            purchases_28d=c.p28,
        )
        for c in rows
    ]


def observed_budgets(today: dt.date, campaigns: Any) -> dict[int, Decimal]:
    """What each campaign is seen to spend a day: the median of its last 7 days' spend (one query).

    Stands in for the daily budget where the ads export carried none (a Meta daily export often
    does not); days without a row spent nothing, so the median runs over all seven.
    """
    end = today - dt.timedelta(days=1)
    daily: dict[int, list[Decimal]] = defaultdict(list)
    for campaign_id, spend in AdMetric.objects.filter(
        campaign__in=campaigns, date__gte=end - dt.timedelta(days=6), date__lte=end
    ).values_list("campaign_id", "spend"):
        daily[campaign_id].append(spend)
    return {pk: _median(values + [ZERO] * (7 - len(values))).quantize(Decimal("0.01")) for pk, values in daily.items()}


def effective_budget(campaign: AdCampaign, today: dt.date) -> Decimal:
    """The daily budget on record, or the observed one when none is recorded."""
    if campaign.daily_budget > 0:
        return campaign.daily_budget
    return observed_budgets(today, [campaign]).get(campaign.pk, ZERO)


def _median(values: list[Decimal]) -> Decimal:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return ZERO
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def paid_media_analysis(today: dt.date, config: dict[str, Any]) -> PaidMediaFindings:
    """Weak campaigns (7-day ROAS under `weak_ratio` x the 28-day one) and budget-capped winners.

    What is enough to judge scales with the shop, not with a dollar amount: a campaign is judged when it
    carries at least `min_spend_share` of the account's ad spend over 28 days (a $40 test in a $200,000
    account moves nothing) and has at least `min_purchases_28d` purchases (under that, a halved ROAS is
    a few orders' chance). A one-campaign shop spending $20 a day is judged; a sliver of a big one is not.
    """
    campaigns = campaign_roas(
        today, capped_window_days=int(config["capped_window_days"]), capped_fraction=float(config["capped_fraction"])
    )
    account = sum((c.spend_28d for c in campaigns), ZERO)
    findings = PaidMediaFindings(campaigns=campaigns, account_spend_28d=account)
    min_share, min_purchases = float(config["min_spend_share"]), int(config["min_purchases_28d"])
    for c in campaigns:
        r7, r28 = c.roas_7d, c.roas_28d
        if r7 is None or r28 is None:
            continue
        gap = EvidenceGap(c, findings.share(c), min_share, min_purchases)
        if r7 < float(config["weak_ratio"]) * r28:
            if gap.too_little_spend or gap.too_few_purchases:
                findings.too_small.append(gap)
            else:
                findings.weak.append(c)
        elif (
            r28 >= float(config["winner_min_roas"])
            and r7 >= float(config["winner_min_roas"]) * float(config["weak_ratio"])
            and c.capped_days >= int(config["capped_min_days"])
            # The last days decide: a winner whose last three days collapsed is not scaled.
            and (c.roas_3d is None or c.roas_3d >= float(config["weak_ratio"]) * r28)
            and not (gap.too_little_spend or gap.too_few_purchases)
        ):
            findings.winners.append(c)
    # The worst fall first; the strongest winner first.
    findings.weak.sort(key=lambda c: (c.roas_7d or 0) / (c.roas_28d or 1))
    findings.winners.sort(key=lambda c: -(c.roas_28d or 0))
    return findings


# --- promotions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromotionCandidate:
    variant_id: int
    sku: str
    title: str
    handle: str
    price: Decimal
    cost: Decimal
    stock: int
    units_28d: int
    rank: int  # 1 = best seller of the 28 days
    skus_ranked: int
    lead_time_days: int | None

    @property
    def margin(self) -> float:
        return float((self.price - self.cost) / self.price) if self.price else 0.0

    @property
    def days_of_cover(self) -> float | None:
        return self.stock / (self.units_28d / 28) if self.units_28d else None

    @property
    def percentile(self) -> float:
        """Share of SKUs that sold at least as many units (0.04 = top 4%)."""
        return self.rank / self.skus_ranked if self.skus_ranked else 1.0


@dataclass(frozen=True)
class PromotionFindings:
    candidates: list[PromotionCandidate]
    skus_ranked: int


def promotions_analysis(today: dt.date, config: dict[str, Any]) -> PromotionFindings:
    """High-margin SKUs selling in the top quartile that no active campaign or discount promotes.

    Without storefront sessions, "well-converting" is read as units sold: a SKU in the top quartile
    of the catalogue's last 28 days converts the traffic it gets. Two queries: the SKUs, and the units per SKU.
    """
    tz = brand_tz()
    start, end = days_window(today, 28, tz)
    promoted = AdCampaign.skus.through.objects.filter(variant=OuterRef("pk"), adcampaign__status=CampaignStatus.ACTIVE)
    discounted = Discount.variants.through.objects.filter(
        variant=OuterRef("pk"), discount__status__in=[DiscountStatus.ACTIVE, DiscountStatus.SCHEDULED]
    )
    rows = list(
        Variant.objects.filter(is_active=True)
        .annotate(
            promoted=Exists(promoted),
            discounted=Exists(discounted),
            lead=Coalesce("lead_time_days", "supplier__lead_time_days"),
        )
        .values(
            "pk",
            "sku",
            "product__title",
            "product__handle",
            "price",
            "cost",
            "stock",
            "promoted",
            "discounted",
            "lead",
        )
    )
    sold = units_by_variant(start, end)
    # Plain dicts: the values() rows are typed without "units", which is added here.
    rows_sold: list[dict[str, Any]] = [{**r, "units": sold.get(r["pk"], 0)} for r in rows]
    ranked = sorted(rows_sold, key=lambda r: -r["units"])
    n = len(ranked)
    # Rank = 1 + SKUs that sold strictly more, so ties share a rank.
    rank_of: dict[int, int] = {}
    for i, r in enumerate(ranked):
        rank_of[r["pk"]] = i + 1 if i == 0 or r["units"] != ranked[i - 1]["units"] else rank_of[ranked[i - 1]["pk"]]
    # Top quartile: at least the units of the SKU at the (1 - top_fraction) position, ties included.
    ascending = [r["units"] for r in reversed(ranked)]
    threshold = ascending[int((1 - float(config["top_fraction"])) * (n - 1))] if n else 0
    candidates = []
    for r in ranked:
        if r["promoted"] or r["discounted"] or r["cost"] is None or not r["price"] or r["units"] <= 0:
            continue
        c = PromotionCandidate(
            variant_id=r["pk"],
            sku=r["sku"],
            title=r["product__title"],
            handle=r["product__handle"],
            price=r["price"],
            cost=r["cost"],
            stock=r["stock"],
            units_28d=r["units"],
            rank=rank_of[r["pk"]],
            skus_ranked=n,
            lead_time_days=r["lead"],
        )
        cover = c.days_of_cover
        if (
            c.units_28d >= threshold
            and c.margin >= float(config["min_margin"])
            and c.units_28d >= int(config["min_units_28d"])
            and cover is not None
            and cover >= float(config["min_cover_days"])
        ):
            candidates.append(c)
    candidates.sort(key=lambda c: -(c.margin * c.units_28d))
    return PromotionFindings(candidates=candidates, skus_ranked=n)
