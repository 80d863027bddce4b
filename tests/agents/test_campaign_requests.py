"""A person's request about an ad campaign is honoured as asked, on generated shops (brand.scenarios):
pause it, or change its daily budget by a percentage, by an amount or to an amount; the open change on
it is cited instead of a second one; what cannot be done is said, with the reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from agents.models import RunStatus
from agents.specialists.growth import PaidMedia
from approvals.models import ProposedAction
from brand.clock import brand_today, brand_tz
from brand.models import AdCampaign, CampaignStatus
from brand.scenarios import SCENARIOS, generate, load_shop
from tests.agents.orchestrator.factories import fact
from tests.agents.specialists.fin_brand import run_specialist

pytestmark = pytest.mark.django_db

SHOPS = ["issue-case-exports-only-tiny-s1", "healthy-full-data-tiny-s2", "traps-small-s2"]


@pytest.fixture(params=SHOPS)
def shop(request, tmp_path):
    scenario = next(s for s in SCENARIOS if s.name == request.param)
    load_shop(generate(scenario, brand_today() - dt.timedelta(days=1), brand_tz()), tmp_path)
    campaign = AdCampaign.objects.filter(status=CampaignStatus.ACTIVE).order_by("name").first()
    assert campaign is not None
    if campaign.daily_budget <= 0:  # an export-only shop carries no budgets: a person sets one
        campaign.daily_budget = Decimal("150.00")
        campaign.save(update_fields=["daily_budget"])
    return campaign


def ask(owner, text: str):
    run = run_specialist(PaidMedia.key, brand_today(), intent=text, user=owner)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run, list(ProposedAction.objects.filter(action_type__startswith="ads.").order_by("pk"))


@pytest.mark.parametrize(
    ("words", "new_budget"),
    [
        ("cut the daily budget of {name} by 20%", lambda b: b * Decimal("0.8")),
        ("raise {name} by $30 a day", lambda b: b + 30),
        ("set the budget of {name} to $95", lambda b: Decimal("95")),
    ],
)
def test_a_budget_change_is_proposed_on_the_named_campaign_as_asked(owner, shop, words, new_budget):
    text = words.format(name=shop.name)
    _run, proposals = ask(owner, text)

    (proposal,) = proposals
    expected = new_budget(shop.daily_budget).quantize(Decimal("0.01"))
    assert proposal.action_type == "ads.set_daily_budget"
    assert proposal.args == {"campaign_id": shop.pk, "daily_budget": str(expected)}
    assert proposal.rationale.startswith(f'owner asked: "{text}".')


def test_a_pause_is_proposed_then_cited_when_asked_again(owner, shop):
    _run, (proposal,) = ask(owner, f"please pause {shop.name}")
    assert (proposal.action_type, proposal.args) == ("ads.pause_campaign", {"campaign_id": shop.pk})

    run, proposals = ask(owner, f"cut {shop.name} by 50%")
    assert proposals == [proposal]
    assert run.context["cited"] == [proposal.pk]
    assert any(f"#{proposal.pk}" in w and shop.name in w for w in run.warnings)


def test_what_cannot_be_done_is_said_with_the_reason(owner, shop):
    run, proposals = ask(owner, f"cut {shop.name} by 100%")
    assert proposals == []
    assert any("is no budget" in w and "ask to pause it instead" in w for w in run.warnings), run.warnings

    shop.status = CampaignStatus.PAUSED
    shop.save(update_fields=["status"])
    run, proposals = ask(owner, f"pause {shop.name}")
    assert proposals == []
    assert any("not active: there is nothing to pause" in w for w in run.warnings), run.warnings


def test_a_raise_in_a_channel_over_pace_is_proposed_held_with_the_rule_named(owner, shop):
    fact(
        f"channel:{shop.channel}:pacing",
        f"{shop.channel} paces at 130% of its monthly budget",
        {"value": 1.3},
        by="finance.budget_guard",
    )
    text = f"raise {shop.name} by 25%"
    _run, (proposal,) = ask(owner, text)

    assert proposal.args["daily_budget"] == str((shop.daily_budget * Decimal("1.25")).quantize(Decimal("0.01")))
    assert proposal.is_held and proposal.hold_reason.startswith("Held by rule pacing_over:")
    assert "Where Atlas disagrees: " in proposal.rationale and "the rules hold it (pacing_over)" in proposal.rationale
