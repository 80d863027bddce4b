"""Creative's analysis: click-through rate per campaign, the last 7 days against the 7 before.

One grouped query with conditional sums; a fall in CTR on steady impressions is creative fatigue
(the audience has seen the ad), not a delivery problem.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, Sum, Value
from django.db.models.functions import Coalesce

from brand.models import AdCampaign, CampaignStatus


@dataclass(frozen=True)
class CampaignCtr:
    campaign_id: int
    name: str
    channel: str
    ad_copy: str
    impressions_7d: int
    clicks_7d: int
    impressions_prev_7d: int
    clicks_prev_7d: int

    @property
    def ctr_7d(self) -> float | None:
        return self.clicks_7d / self.impressions_7d if self.impressions_7d else None

    @property
    def ctr_prev_7d(self) -> float | None:
        return self.clicks_prev_7d / self.impressions_prev_7d if self.impressions_prev_7d else None

    @property
    def ctr_ratio(self) -> float | None:
        """CTR of the last 7 days over the 7 before (0.6 = a 40% fall)."""
        now, before = self.ctr_7d, self.ctr_prev_7d
        return now / before if now is not None and before else None

    @property
    def impressions_ratio(self) -> float | None:
        return self.impressions_7d / self.impressions_prev_7d if self.impressions_prev_7d else None


@dataclass(frozen=True)
class FatigueFindings:
    campaigns: list[CampaignCtr]
    fatigued: list[CampaignCtr]


def fatigue_analysis(today: dt.date, config: dict[str, Any]) -> FatigueFindings:
    end = today - dt.timedelta(days=1)
    d7 = end - dt.timedelta(days=6)
    d14 = end - dt.timedelta(days=13)
    last7 = Q(metrics__date__gte=d7, metrics__date__lte=end)
    prev7 = Q(metrics__date__gte=d14, metrics__date__lt=d7)

    def total(column: str, q: Q) -> Coalesce:
        return Coalesce(Sum(f"metrics__{column}", filter=q), Value(0))

    rows = (
        AdCampaign.objects.filter(status=CampaignStatus.ACTIVE)
        .annotate(i7=total("impressions", last7), c7=total("clicks", last7))
        .annotate(ip7=total("impressions", prev7), cp7=total("clicks", prev7))
        .order_by("pk")
        .values_list("pk", "name", "channel", "ad_copy", "i7", "c7", "ip7", "cp7")
    )
    campaigns = [CampaignCtr(*row) for row in rows]
    min_impr = int(config["min_impressions_7d"])
    lo, hi = float(config["steady_impressions_low"]), float(config["steady_impressions_high"])
    fatigued = [
        c
        for c in campaigns
        if c.impressions_7d >= min_impr
        and c.impressions_prev_7d >= min_impr
        and c.ctr_ratio is not None
        and c.ctr_ratio <= float(config["max_ctr_ratio"])
        and lo <= (c.impressions_ratio or 0) <= hi
    ]
    fatigued.sort(key=lambda c: c.ctr_ratio or 1)
    return FatigueFindings(campaigns=campaigns, fatigued=fatigued)
