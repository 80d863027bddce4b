"""product.assortment: slow movers (high stock, low velocity, over 120 days of cover) -> pricing.set_markdown."""

from __future__ import annotations

import datetime as dt
import math

from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import RunStatus
from agents.specialists.product import Assortment
from approvals.models import ProposedAction
from brand.metrics.product import slow_movers
from memory.services import current
from tests.agents.specialists.fin_brand import TODAY, build_control_brand, grow, new_variant, run_specialist, sell_daily

CONFIG = Assortment.defaults


def plant_linen_apron(brand):
    apron = new_variant("LA-220", "linen-apron", "Linen Apron", price="32.00", cost="12.00", stock=600)
    apron.title = "Sage"
    apron.save()
    sell_daily(brand, apron, {TODAY - dt.timedelta(days=20): 1, TODAY - dt.timedelta(days=6): 1})
    return apron


def test_control_brand_has_no_slow_mover(db):
    build_control_brand()
    assert slow_movers(TODAY, CONFIG) == []
    run = run_specialist(Assortment.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not ProposedAction.objects.exists()


def test_the_linen_apron_is_marked_down_40_percent(db):
    brand = build_control_brand()
    plant_linen_apron(brand)
    (mover,) = slow_movers(TODAY, CONFIG)
    assert (mover.sku, mover.stock, mover.units, mover.days_of_cover) == ("LA-220", 600, 2, 8400.0)

    run = run_specialist(Assortment.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    proposal = ProposedAction.objects.get(action_type="pricing.set_markdown")
    assert proposal.args == {"sku": "LA-220", "percent": "40"}
    assert "LA-220 Linen Apron - Sage: 600 in stock, 2 sold in the last 28 days (0.07/day)" in proposal.rationale
    assert "8,400 days of cover vs a 120-day limit" in proposal.rationale
    assert "from $32 to $19.20, still 38% over its $12 cost" in proposal.rationale
    entry = current("sku:LA-220:slow_mover")
    assert entry.data["value"] == 8400.0 and entry.data["stock"] == 600
    assert list(proposal.evidence.all()) == [entry]


def test_unsold_stock_has_infinite_cover_and_the_markdown_respects_the_margin_floor(db):
    build_control_brand()
    new_variant("TH-1", "thin-margin", "Thin Margin Tray", price="20.00", cost="15.00", stock=300)
    (mover,) = slow_movers(TODAY, CONFIG)
    assert math.isinf(mover.days_of_cover) and mover.units == 0
    run = run_specialist(Assortment.key)
    # 20 -> at least 15 x 1.15 = 17.25 leaves 13%: deep enough to propose, not the 40% it would like.
    assert ProposedAction.objects.get().args == {"sku": "TH-1", "percent": "13"}
    assert run.status == RunStatus.SUCCEEDED


def test_a_named_product_is_considered_with_relaxed_thresholds_and_a_send_back_sets_the_percent(db, owner):
    from approvals.services import proposal_send_back

    brand = build_control_brand()
    kettle = new_variant("GK-150", "glass-kettle", "Glass Kettle", price="60.00", cost="20.00", stock=90)
    kettle.title = "Blue"
    kettle.save()
    sell_daily(brand, kettle, {TODAY - dt.timedelta(days=d): 1 for d in range(1, 29)})  # 1 a day: 90 days of cover
    run_specialist(Assortment.key)
    assert not ProposedAction.objects.exists()

    run = run_specialist(Assortment.key, intent="we're overstocked on the blue kettle")
    assert run.status == RunStatus.SUCCEEDED, run.error
    proposal = ProposedAction.objects.get()
    assert proposal.args == {"sku": "GK-150", "percent": "25"}
    assert "90 days of cover" in proposal.rationale

    proposal_send_back(proposal=proposal, user=owner, comment="make it 15% not 25%")
    proposal.refresh_from_db()
    run_specialist(Assortment.key, feedback={"comment": "make it 15% not 25%", "proposal": proposal})
    revision = ProposedAction.objects.get(revision_of=proposal)
    assert revision.args == {"sku": "GK-150", "percent": "15"}
    assert "from $60 to $51" in revision.rationale


def test_the_analysis_runs_a_constant_number_of_queries(db):
    brand = build_control_brand()
    plant_linen_apron(brand)
    with CaptureQueriesContext(connection) as small:
        slow_movers(TODAY, CONFIG)
    grow(brand, 3)
    with CaptureQueriesContext(connection) as big:
        assert [m.sku for m in slow_movers(TODAY, CONFIG)] == ["LA-220"]
    # The timezone, the SKUs, the units sold per SKU over 28 and over 7 days, the catalogue's prices (top tenth).
    assert len(small) == len(big) == 5
