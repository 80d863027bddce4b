"""A rejected proposal does not come back on the same target within its cooldown, unless the numbers
it rested on moved; a send-back comment is feedback the agent's next proposal of that kind carries."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.management import call_command

from agents.models import AgentRun, Intent, RunTrigger
from agents.runtime.base import RunContext, Specialist
from agents.runtime.services import agent_run_start
from approvals.models import Decision, ProposedAction, Status
from approvals.selectors import recent_rejection
from approvals.services import proposal_reject, proposal_send_back
from memory.models import Kind, MemoryEntry
from memory.selectors import feedback_for
from tests.agents.conftest import agent_registry, configure  # noqa: F401  (the fixture is used by name)
from tests.factories import AdCampaignFactory

SEEDS = [3, 17, 42]


class Cutter(Specialist):
    """Publishes a campaign's 7-day ROAS and proposes the budget Agent.config names."""

    key = "growth.test_cutter"
    division = "growth"
    name = "Test cutter"
    defaults = {"campaign": None, "roas": 1.0, "budget": "60.00"}

    def run(self, ctx: RunContext) -> None:
        campaign = ctx.config["campaign"]
        entry = ctx.remember(
            kind="metric",
            key=f"campaign:{campaign}:roas_7d",
            text=f"ROAS {ctx.config['roas']} over 7 days",
            data={"value": ctx.config["roas"]},
        )
        ctx.propose(
            "ads.set_daily_budget",
            {"campaign_id": campaign, "daily_budget": ctx.config["budget"]},
            rationale=f"ROAS is {ctx.config['roas']}: cut the budget",
            evidence=[entry],
        )


def run_cutter(**config) -> AgentRun:
    configure(Cutter.key, **config)
    return agent_run_start(agent_key=Cutter.key, trigger=RunTrigger.MANUAL, sync=True)


@pytest.fixture
def cutter(agent_registry):  # noqa: F811
    agent_registry(Cutter)


def _reject(proposal: ProposedAction, user) -> None:
    proposal_reject(proposal=proposal, user=user, reason="Black Friday week: keep it running")


@pytest.mark.parametrize("seed", SEEDS)
def test_a_rejection_is_not_proposed_again_unchanged_and_comes_back_when_the_basis_moved(seed, cutter, growth_approver):
    rng = random.Random(seed)
    roas = round(rng.uniform(0.5, 2.0), 2)
    campaign = AdCampaignFactory(daily_budget=Decimal("120.00"))
    run_cutter(campaign=campaign.pk, roas=roas, budget="60.00")
    first = ProposedAction.objects.get(action_type="ads.set_daily_budget")
    _reject(first, growth_approver)

    # Same numbers, or within the threshold, another amount on the same campaign: not proposed again.
    for again_roas, budget in [(roas, "60.00"), (round(roas * 1.1, 2), "70.00")]:
        run = run_cutter(campaign=campaign.pk, roas=again_roas, budget=budget)
        assert ProposedAction.objects.filter(action_type="ads.set_daily_budget").count() == 1
        assert any(f"#{first.pk} was rejected" in w and "Black Friday" in w for w in run.warnings), run.warnings

    # Another campaign is another target.
    other = AdCampaignFactory(daily_budget=Decimal("90.00"))
    run_cutter(campaign=other.pk, roas=roas, budget="45.00")
    assert ProposedAction.objects.filter(args__campaign_id=other.pk).count() == 1

    # The ROAS it rested on fell by 40%: it comes back, saying what changed since the rejection.
    moved = round(roas * 0.6, 2)
    run_cutter(campaign=campaign.pk, roas=moved, budget="60.00")
    back = ProposedAction.objects.filter(args__campaign_id=campaign.pk).exclude(pk=first.pk).get()
    assert back.status == Status.PENDING
    assert f"Since #{first.pk} was rejected" in back.rationale
    assert (
        f"campaign:{campaign.pk}:roas_7d {Decimal(str(roas)).normalize():f} -> {Decimal(str(moved)).normalize():f}"
        in (back.rationale)
    )
    assert "-40%" in back.rationale


@pytest.mark.parametrize("seed", SEEDS)
def test_a_person_changing_the_row_it_rested_on_is_a_material_change(seed, cutter, growth_approver):
    rng = random.Random(seed)
    campaign = AdCampaignFactory(daily_budget=Decimal("120.00"))
    run_cutter(campaign=campaign.pk, roas=1.1, budget="60.00")
    _reject(ProposedAction.objects.get(), growth_approver)
    new_budget = Decimal(rng.choice(["200.00", "80.00", "150.00"]))
    campaign.daily_budget = new_budget
    campaign.save()

    run_cutter(campaign=campaign.pk, roas=1.1, budget="50.00")

    back = ProposedAction.objects.exclude(status=Status.REJECTED).get()
    assert f"brand.adcampaign:{campaign.pk} daily_budget 120 -> {new_budget.normalize():f}" in back.rationale


def test_the_cooldown_ends_and_is_configurable_per_action_type(cutter, growth_approver, settings):
    campaign = AdCampaignFactory(daily_budget=Decimal("120.00"))
    run_cutter(campaign=campaign.pk, roas=0.9)
    first = ProposedAction.objects.get()
    _reject(first, growth_approver)
    assert recent_rejection("ads.set_daily_budget", {"campaign_id": campaign.pk, "daily_budget": "10"}) is not None

    settings.ATLAS_REJECT_COOLDOWN_DAYS = {"ads.set_daily_budget": 3}
    Decision.objects.filter(proposal=first).update(at=first.created_at - dt.timedelta(days=4))
    assert recent_rejection("ads.set_daily_budget", {"campaign_id": campaign.pk, "daily_budget": "60"}) is None

    run_cutter(campaign=campaign.pk, roas=0.9)
    after = ProposedAction.objects.exclude(pk=first.pk).get()
    assert "Since" not in after.rationale  # nothing to explain once the cooldown is over


def test_a_send_back_comment_is_feedback_on_the_next_proposal_of_that_kind(
    cutter, growth_approver, django_capture_on_commit_callbacks
):
    campaign = AdCampaignFactory(daily_budget=Decimal("120.00"))
    run_cutter(campaign=campaign.pk, roas=0.9)
    first = ProposedAction.objects.get()
    proposal_send_back(proposal=first, user=growth_approver, comment="Never cut more than 30% in one go.")

    [feedback] = feedback_for(Cutter.key, "ads.set_daily_budget")
    assert feedback.data["value"] == "Never cut more than 30% in one go."
    assert feedback.author_user == growth_approver

    run_cutter(campaign=campaign.pk, roas=0.9, budget="90.00")
    revision = ProposedAction.objects.exclude(pk=first.pk).get()
    assert feedback in revision.evidence.all()


def test_remember_this_turns_a_comment_into_a_standing_preference(cutter, growth_approver, growth_director, capsys):
    campaign = AdCampaignFactory(daily_budget=Decimal("120.00"))
    run_cutter(campaign=campaign.pk, roas=0.9)
    proposal_send_back(proposal=ProposedAction.objects.get(), user=growth_approver, comment="Cut at most 30%.")
    [feedback] = feedback_for(Cutter.key, "ads.set_daily_budget")

    call_command(
        "atlas_memory",
        "remember",
        str(feedback.pk),
        "--as",
        growth_director.username,
        "--key",
        "policy:budget_cut:max_percent",
        "--value",
        "30",
    )

    preference = MemoryEntry.objects.get(key="policy:budget_cut:max_percent", is_current=True)
    assert preference.kind == Kind.PREFERENCE
    assert preference.data == {"value": 30, "from_entry": feedback.pk}
    assert preference.division.slug == "growth"
    assert preference.evidence == [{"memory": feedback.pk}]
    assert preference.text == "Cut at most 30%."


def test_a_persons_request_is_a_newer_decision_than_the_rejection(cutter, growth_approver, owner):
    campaign = AdCampaignFactory(daily_budget=Decimal("120.00"))
    run_cutter(campaign=campaign.pk, roas=0.9)
    first = ProposedAction.objects.get()
    _reject(first, growth_approver)
    intent = Intent.objects.create(text="cut that campaign's budget after all", user=owner)

    configure(Cutter.key, campaign=campaign.pk, roas=0.9, budget="60.00")
    agent_run_start(agent_key=Cutter.key, trigger=RunTrigger.INTENT, intent=intent, sync=True)

    asked = ProposedAction.objects.exclude(pk=first.pk).get()
    assert f"#{first.pk} was rejected" in asked.rationale and "owner asked for it" in asked.rationale
