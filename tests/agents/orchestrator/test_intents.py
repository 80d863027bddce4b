"""Intents: routed, recorded, the chosen specialists run with the intent, their proposals linked back."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agents.models import AgentRun, Intent
from agents.orchestrator.intents import IntentError, intent_proposals, intent_submit
from agents.runtime.base import RunContext, Specialist
from approvals import registry as action_registry
from approvals.errors import NotPermitted
from approvals.models import Status
from approvals.services import proposal_decide
from divisions.models import Role
from tests.agents.agents_for_tests import FakeSetBudget
from tests.agents.orchestrator.factories import demo_names
from tests.factories import MembershipFactory, UserFactory, division

pytestmark = pytest.mark.django_db


class ReturnsWatch(Specialist):
    """Proposes one budget change per run and keeps the intent it was given, so the test can see it."""

    key = "product.test_returns"
    division = "product"
    name = "Returns watch (test)"
    description = "Refund rates and returns per product; overstock and slow movers."
    seen: list[dict] = []

    def run(self, ctx: RunContext) -> None:
        ReturnsWatch.seen.append({"intent": ctx.intent.pk if ctx.intent else None, "context": ctx.run.context})
        ctx.propose("test.set_budget", {"campaign_id": 1, "daily_budget": "10"}, rationale="asked for", confidence=0.7)


class PaidMedia(Specialist):
    key = "growth.test_paid_media"
    division = "growth"
    name = "Paid media (test)"
    description = "ROAS per campaign, budgets, scaling winners."

    def run(self, ctx: RunContext) -> None:
        pass


@pytest.fixture
def agents(agent_registry):
    ReturnsWatch.seen = []
    action_registry._registry.setdefault(FakeSetBudget.key, FakeSetBudget())
    agent_registry(ReturnsWatch, PaidMedia)
    demo_names()


def test_an_intent_is_routed_recorded_run_and_linked_to_its_proposals(agents, growth_approver):
    intent = intent_submit(user=growth_approver, text="we're overstocked on the blue kettle")
    assert intent.division.slug == "product"
    assert intent.agent_keys == ["product.test_returns"]
    assert intent.user == growth_approver and not intent.overridden
    assert "GK-150" in intent.reason
    run = AgentRun.objects.get(intent=intent)
    assert run.trigger == "intent" and run.status == "succeeded"
    assert ReturnsWatch.seen[0]["intent"] == intent.pk
    assert ReturnsWatch.seen[0]["context"]["intent"]["entities"][0]["label"] == "GK-150 Glass Kettle - Blue"
    proposals = list(intent_proposals(intent))
    assert len(proposals) == 1 and proposals[0].agent_run == run


def test_a_person_overrides_the_division(agents, growth_approver):
    intent = intent_submit(user=growth_approver, text="we're overstocked on the blue kettle", division="growth")
    assert intent.division.slug == "growth" and intent.overridden
    assert intent.agent_keys == ["growth.test_paid_media"]
    assert intent_proposals(intent).count() == 0


def test_empty_text_and_unknown_divisions_are_refused(agents, growth_approver):
    with pytest.raises(IntentError, match="empty"):
        intent_submit(user=growth_approver, text="   ")
    with pytest.raises(IntentError, match="expected one of"):
        intent_submit(user=growth_approver, text="anything", division="marketing")
    assert Intent.objects.count() == 0


def test_atlas_ask_json(agents, growth_approver, capsys):
    call_command("atlas_ask", "lots of refunds on the blue kettle", "--as", "growth_approver", "--json")
    data = json.loads(capsys.readouterr().out)
    intent = Intent.objects.get()
    assert data["intent"] == intent.pk
    assert data["division"] == "product"
    assert data["agents"] == ["product.test_returns"]
    assert 0 < data["confidence"] <= 1
    assert data["reason"] == intent.reason
    assert data["proposals"] == list(intent_proposals(intent).values_list("pk", flat=True))
    # The person who asked (--as) is on record as the requester of what the agents proposed.
    assert [p.proposed_by for p in intent_proposals(intent)] == [growth_approver]


def test_the_person_who_asked_is_not_one_of_the_four_eyes(agents, owner, settings):
    settings.ATLAS_FOUR_EYES_AMOUNT = Decimal("5")  # the proposal puts 10 at stake
    asker, approver = (
        MembershipFactory(user=UserFactory(username=name), division=division("product"), role=role).user
        for name, role in (("product_director", Role.DIRECTOR), ("product_approver", Role.APPROVER))
    )
    intent = intent_submit(user=asker, text="we're overstocked on the blue kettle")
    proposal = intent_proposals(intent).get()
    assert proposal.proposed_by == asker and proposal.money_at_stake == Decimal("10.00")
    with pytest.raises(NotPermitted, match="asked for this work"):
        proposal_decide(proposal=proposal, user=asker, verdict="approve")
    first = proposal_decide(proposal=proposal, user=approver, verdict="approve")
    assert first.proposal.status == Status.PENDING
    second = proposal_decide(proposal=proposal, user=owner, verdict="approve")
    assert second.proposal.status == Status.APPROVED
    assert set(second.proposal.decisions.values_list("user__username", flat=True)) == {"product_approver", "owner"}


def test_atlas_ask_text_and_errors(agents, growth_approver, capsys):
    call_command("atlas_ask", "push the summer sale harder", "--as", "growth_approver")
    assert "routed to growth" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no such user"):
        call_command("atlas_ask", "anything", "--as", "nobody")
