"""Importing Ads Manager's daily export (and the same layout from other ad channels)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from brand import models as bm
from brand.importers import ImportRefused, import_file
from tests.brand.import_helpers import FILES, snapshot
from tests.factories import AdCampaignFactory

pytestmark = pytest.mark.django_db


def test_daily_export_creates_campaigns_and_metrics():
    result = import_file(kind="meta-ads", path=FILES / "meta_ads_daily.csv")

    assert result.rows == 6
    assert result.skipped == 1  # the totals row
    assert result.created == {"adcampaign": 2, "admetric": 5}
    spring = bm.AdCampaign.objects.get(name="Spring Candles — Prospecting")
    assert spring.channel == bm.Channel.META
    first = spring.metrics.get(date=dt.date(2024, 3, 1))
    assert (first.spend, first.impressions, first.clicks, first.purchases, first.revenue) == (
        Decimal("120.50"),
        12408,
        213,
        4,
        Decimal("118.00"),
    )
    # Ads Manager leaves a cell blank for none: blank is 0.
    quiet = spring.metrics.get(date=dt.date(2024, 3, 3))
    assert (quiet.purchases, quiet.revenue) == (0, Decimal("0.00"))


def test_reimporting_the_export_changes_nothing():
    import_file(kind="meta-ads", path=FILES / "meta_ads_daily.csv")
    before = snapshot()

    result = import_file(kind="meta-ads", path=FILES / "meta_ads_daily.csv")

    assert result.created == {} and result.updated == {}
    assert result.unchanged == {"adcampaign": 2, "admetric": 5}
    assert snapshot() == before


def test_headers_match_whatever_their_case_order_and_currency():
    # Re-saved from a spreadsheet: CRLF, lower/upper case, padded headers, EUR, extra columns.
    result = import_file(kind="meta-ads", path=FILES / "ads_mixed_case.csv", channel="google")

    assert result.created == {"adcampaign": 2, "admetric": 3}
    brand_terms = bm.AdCampaign.objects.get(name="Search — Brand terms")
    assert brand_terms.channel == bm.Channel.GOOGLE
    day_one = brand_terms.metrics.get(date=dt.date(2024, 3, 1))
    assert (day_one.spend, day_one.clicks, day_one.impressions, day_one.revenue) == (
        Decimal("55.10"),
        302,
        4120,
        Decimal("356.40"),
    )
    assert brand_terms.metrics.get(date=dt.date(2024, 3, 2)).spend == Decimal("0.00")


def test_an_existing_campaign_keeps_its_settings_and_gets_updated_metrics(tmp_path):
    campaign = AdCampaignFactory(name="Retargeting — Cart abandoners", daily_budget=Decimal("45.00"))
    import_file(kind="meta-ads", path=FILES / "meta_ads_daily.csv")
    history_before = bm.AdCampaign.history.filter(id=campaign.pk).count()
    text = (FILES / "meta_ads_daily.csv").read_text(encoding="utf-8")
    path = tmp_path / "ads.csv"
    path.write_text(
        text.replace("2024-03-01,active,3,", "2024-03-01,active,5,").replace(",40.00,2210,", ",41.00,2210,")
    )

    result = import_file(kind="meta-ads", path=path)

    assert result.updated == {"admetric": 1}
    campaign.refresh_from_db()
    assert campaign.daily_budget == Decimal("45.00")
    assert campaign.metrics.get(date=dt.date(2024, 3, 1)).spend == Decimal("41.00")
    assert bm.AdCampaign.history.filter(id=campaign.pk).count() == history_before


def test_a_campaign_of_another_channel_is_refused():
    AdCampaignFactory(name="Spring Candles — Prospecting", channel=bm.Channel.TIKTOK)

    with pytest.raises(ImportRefused) as refused:
        import_file(kind="meta-ads", path=FILES / "meta_ads_daily.csv")

    errors = refused.value.result.errors
    assert [error.line for error in errors] == [2, 3, 4]
    assert errors[0].message == "is a TikTok campaign, not meta (see --channel)"
    assert not bm.AdMetric.objects.exists()


def test_bad_cells_and_duplicate_days_are_all_named(tmp_path):
    path = tmp_path / "ads.csv"
    path.write_text(
        "Campaign name,Day,Amount spent (USD),Impressions,Link clicks,Purchases,Purchases conversion value\n"
        "Launch,2024-03-01,10.00,100,5,1,30.00\n"
        "Launch,2024-03-01,11.00,100,5,1,30.00\n"
        "Launch,March 2,10.00,1e3,5,-1,30.00\n"
        ",2024-03-04,10.00,100,5,1,30.00\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRefused) as refused:
        import_file(kind="meta-ads", path=path)

    assert refused.value.result.error_lines() == [
        f"{path}:3: column 'Day': value '2024-03-01' is a duplicate for campaign 'Launch' (also on line 2)",
        f"{path}:4: column 'Day': value 'March 2' is not a date (expected YYYY-MM-DD)",
        f"{path}:4: column 'Impressions': value '1e3' is not a whole number",
        f"{path}:4: column 'Purchases': value '-1' must not be negative",
        f"{path}:5: column 'Campaign name': value '' is empty (required)",
    ]
    assert not bm.AdCampaign.objects.exists()


def test_a_file_without_the_spend_column_is_refused_at_the_header(tmp_path):
    path = tmp_path / "ads.csv"
    path.write_text("Campaign name,Day,Impressions\nLaunch,2024-03-01,100\n", encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        import_file(kind="meta-ads", path=path)
    assert refused.value.result.error_lines() == [f"{path}:1: column 'Amount spent' is missing from the header"]
