"""Meta Ads Manager's daily export (the same layout serves the other channels' daily exports).

One row per campaign and day. Campaigns are upserted on the name, created on the channel the
import names; metrics on (campaign, day). An empty number is 0, as Ads Manager leaves it blank.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..models import ZERO, AdCampaign, AdMetric
from .common import BaseImporter, Column, Row, assign_changes, max_length, parse_date, parse_decimal, parse_int

METRIC_FIELDS = ["spend", "impressions", "clicks", "purchases", "revenue"]


class MetaAdsImporter(BaseImporter):
    kind = "meta-ads"
    columns = (
        Column("campaign", "Campaign name", required=True),
        Column("day", "Day", required=True),
        # "Amount spent (USD)", "Amount spent (EUR)": the account's currency in parentheses.
        Column("spend", "Amount spent", prefix="amount spent", required=True),
        Column("impressions", "Impressions"),
        Column("clicks", "Link clicks"),
        Column("purchases", "Purchases", aliases=("website purchases",)),
        Column(
            "revenue",
            "Purchases conversion value",
            aliases=("website purchases conversion value", "purchase conversion value"),
        ),
    )

    def __init__(self, *, channel: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channel = channel
        # A handful of campaigns recur on every day of the file: each is counted once.
        self.seen_campaigns: set[str] = set()
        # Where each (campaign, day) was first seen in the whole file, not only in its chunk: a
        # duplicate two thousand rows further down is as ambiguous as one on the next line.
        self.first_line: dict[tuple[str, dt.date], int] = {}

    def skip(self, row: Row) -> bool:
        # The totals row Ads Manager can append has neither a campaign nor a day.
        return not row.raw("campaign").strip() and not row.raw("day").strip()

    def process_chunk(self, rows: list[Row]) -> None:
        parsed: list[tuple[Row, str, dt.date, dict[str, Any]]] = []
        first_line = self.first_line
        limit = max_length(AdCampaign, "name")
        for row in rows:
            name = row.raw("campaign").strip()
            if not name:
                row.error("campaign", "is empty (required)")
            elif len(name) > limit:
                row.error("campaign", f"is too long (at most {limit} characters)")
            day = row.parse("day", parse_date, required=True)
            values = {
                "spend": row.parse("spend", parse_decimal) or ZERO,
                "impressions": row.parse("impressions", parse_int) or 0,
                "clicks": row.parse("clicks", parse_int) or 0,
                "purchases": row.parse("purchases", parse_int) or 0,
                "revenue": row.parse("revenue", parse_decimal) or ZERO,
            }
            if row.bad:
                continue
            assert day is not None
            if (name, day) in first_line:
                row.error("day", f"is a duplicate for campaign '{name}' (also on line {first_line[name, day]})")
                continue
            first_line[name, day] = row.line
            parsed.append((row, name, day, values))

        campaigns = AdCampaign.objects.in_bulk({name for _, name, _, _ in parsed}, field_name="name")
        new_campaigns: list[AdCampaign] = []
        for _, name, _, _ in parsed:
            if name in self.seen_campaigns:
                continue
            self.seen_campaigns.add(name)
            if name in campaigns:
                self.result.unchanged["adcampaign"] += 1
            else:
                campaigns[name] = AdCampaign(name=name, channel=self.channel)
                new_campaigns.append(campaigns[name])
                self.result.created["adcampaign"] += 1
        self.bulk_create(AdCampaign, new_campaigns)

        for row, name, _, _ in parsed:
            campaign = campaigns[name]
            if campaign.channel != self.channel:
                row.error(
                    "campaign",
                    f"is a {campaign.get_channel_display()} campaign, not {self.channel} (see --channel)",
                )
        parsed = [entry for entry in parsed if not entry[0].bad]

        stored = {
            (metric.campaign_id, metric.date): metric
            for metric in AdMetric.objects.filter(
                campaign_id__in={campaigns[name].pk for _, name, _, _ in parsed},
                date__in={day for _, _, day, _ in parsed},
            )
        }
        to_create: list[AdMetric] = []
        to_update: list[AdMetric] = []
        for _, name, day, values in parsed:
            campaign_id = campaigns[name].pk
            metric = stored.get((campaign_id, day))
            if metric is None:
                to_create.append(AdMetric(campaign_id=campaign_id, date=day, **values))
                self.result.created["admetric"] += 1
            elif assign_changes(metric, values):
                to_update.append(metric)
                self.result.updated["admetric"] += 1
            else:
                self.result.unchanged["admetric"] += 1
        self.bulk_create(AdMetric, to_create)
        self.bulk_update(AdMetric, to_update, METRIC_FIELDS)
