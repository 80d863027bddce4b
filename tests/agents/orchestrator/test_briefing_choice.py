"""The briefing explains its choice: why this risk, win and opportunity out of the candidates, the runner-up named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.models import Briefing
from agents.orchestrator.selectors import briefing_json
from tests.agents.orchestrator.factories import ProposalFactory
from tests.agents.orchestrator.scenario import build_day
from tests.agents.orchestrator.test_briefing import run_orchestrator
from tests.factories import division

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
