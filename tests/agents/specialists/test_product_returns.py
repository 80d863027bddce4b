"""product.returns: refund rate by product against the rest -> insights and report.publish."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import RunStatus
from agents.specialists.product import Returns
from approvals.models import ProposedAction
from brand.metrics.product import refund_rates
from memory.services import current
from tests.agents.specialists.fin_brand import TODAY, build_control_brand, grow, new_variant, run_specialist, sell_daily

CONFIG = Returns.defaults


def plant_blue_kettle(brand):
    kettle = new_variant("GK-150", "glass-kettle-blue", "Glass Kettle - Blue", price="60.00", cost="20.00")
    # 100 orders over 50 days, one in five refunded.
    sell_daily(brand, kettle, {TODAY - dt.timedelta(days=d): 2 for d in range(1, 51)}, refunded_every=5)


def test_control_brand_refunds_evenly_and_nothing_is_reported(db):
    build_control_brand()
    rows = refund_rates(TODAY, CONFIG)
    assert len(rows) == 6 and not any(r.flagged(CONFIG) for r in rows)
    assert all(0.04 < r.rate < 0.07 for r in rows)
    run = run_specialist(Returns.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not ProposedAction.objects.exists()
    assert 0.04 < current("product:chef-knife:refund_rate").data["value"] < 0.07


def test_the_blue_kettle_refunded_far_more_often_is_reported(db):
    brand = build_control_brand()
    plant_blue_kettle(brand)
    top = refund_rates(TODAY, CONFIG)[0]
    assert (top.sku, top.handle, top.orders, top.refunded, top.rate) == ("GK-150", "glass-kettle-blue", 100, 20, 0.2)
    assert 0.05 < top.rest_rate < 0.06 and top.ratio > 3 and top.z > 5

    run = run_specialist(Returns.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    proposal = ProposedAction.objects.get()
    assert proposal.action_type == "report.publish" and proposal.division.slug == "product"
    assert f"Glass Kettle - Blue is refunded {top.ratio:.1f}x as often as the rest: 20 of 100 orders (20.0%)" in (
        proposal.rationale
    )
    assert "Glass Kettle - Blue" in proposal.args["title"]
    assert proposal.args["data"]["products"][0]["refunded"] == 20
    assert proposal.args["data"]["products"][0]["sku"] == "GK-150"
    alert = current("sku:GK-150:returns_alert")
    assert alert.kind == "insight" and list(proposal.evidence.all()) == [alert]
    assert current("product:glass-kettle-blue:refund_rate").data["value"] == 0.2
    assert current("sku:GK-150:refund_rate").data["orders"] == 100


def test_the_analysis_runs_a_constant_number_of_queries(db):
    brand = build_control_brand()
    plant_blue_kettle(brand)
    with CaptureQueriesContext(connection) as small:
        refund_rates(TODAY, CONFIG)
    grow(brand, 3)
    with CaptureQueriesContext(connection) as big:
        refund_rates(TODAY, CONFIG)
    assert len(small) == len(big) == 2
