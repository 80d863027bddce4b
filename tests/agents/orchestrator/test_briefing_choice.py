"""The briefing explains its choice: why this risk, win and opportunity out of the candidates, the runner-up named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agents.models import Briefing
from agents.orchestrator.headlines import headlines
from agents.orchestrator.selectors import briefing_json
from agents.specialists.operations import Inventory
from tests.agents.orchestrator.factories import ProposalFactory
from tests.agents.orchestrator.scenario import build_day
from tests.agents.orchestrator.test_briefing import run_orchestrator
from tests.agents.specialists.gro_brand import TODAY, add_orders, build_control_brand, run_agent
from tests.factories import ProductFactory, VariantFactory, division

pytestmark = pytest.mark.django_db


def test_the_chosen_risk_says_why_and_names_the_runner_up():
    day = build_day()
    small = ProposalFactory(
        action_type="ads.pause_campaign",
        division=division("operations"),
        agent_key="operations.inventory",
        title="Pause Small Test Campaign",
        args={"campaign_id": 999999},
        money_at_stake=Decimal("40.00"),
    )
    run_orchestrator()
    briefing = Briefing.objects.get(brand_date=day.today)
    risk = briefing_json(briefing)["risk"]
    assert risk["title"] == "HP-104 runs out before its next delivery"
    why = risk["ranking"]["why"]
    assert risk["ranking"]["candidates"] == 2 and risk["ranking"]["runner_up"] == small.title
    assert why.startswith("Chosen out of 2 risk candidates") and f"Runner-up: {small.title}" in why
    assert "$7,500 at stake" in why and "$40 at stake" in why
    assert why in briefing.narrative


def test_a_lone_candidate_says_so_and_an_empty_day_says_nothing_is_urgent():
    day = build_day()
    run_orchestrator()
    data = briefing_json(Briefing.objects.get(brand_date=day.today))
    assert data["win"]["ranking"]["why"].startswith("The only win candidate today")
    assert data["win"]["ranking"]["runner_up"] == ""


def test_a_day_with_nothing_wrong_has_nothing_urgent():
    run_orchestrator()
    briefing = Briefing.objects.get()
    risk = briefing_json(briefing)["risk"]
    assert risk["title"] == "No risk stood out today"
    assert risk["ranking"]["why"].startswith("Nothing urgent")
    assert "Nothing urgent" in briefing.narrative


def test_a_stock_out_worth_little_next_to_a_days_sales_does_not_head_the_briefing():
    brand = build_control_brand()
    big = VariantFactory(product=ProductFactory(handle="big", title="Big Seller"), sku="BIG-1", price=Decimal("50"))
    big.stock = 5000
    big.save()
    # $1,000 a day from the big seller; the slow SKU sells 6 at $10 in 28 days and has 1 left.
    add_orders(brand, [(None, brand.days_ago(1 + n % 28), big, 1) for n in range(560)])
    slow = VariantFactory(
        product=ProductFactory(handle="slow", title="Slow Trinket"),
        sku="SLOW-1",
        price=Decimal("10"),
        stock=1,
        supplier=brand.supplier,
    )
    add_orders(brand, [(None, brand.days_ago(1 + 4 * n), slow, 1) for n in range(6)])
    _run, proposals = run_agent(Inventory.key)
    assert any("SLOW-1" in str(p.args) for p in proposals)  # still reordered
    heads, _rest = headlines(TODAY, dt.datetime.combine(TODAY, dt.time(8), tzinfo=brand.tz))
    assert heads["risk"].title == "No risk stood out today"
    assert "1 stock-out(s) each put less than 10% of a day's sales" in heads["risk"].why
