"""Every history row names its actor (issue 15 §9), and the right one, checked at the end of a
representative flow: a person changes the org chart and the brand's data in the console, the
agents run and propose, a person approves in the console, the approval executes, a person writes
to memory from the shell. That no row lacks an actor is checked after every test (tests/conftest.py)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from approvals.models import Decision, Execution, ProposedAction, Status
from atlas_project.audit import SYSTEM, Actor, acting_as
from divisions.models import Membership, Role
from tests.approvals.factories import budget_proposal
from tests.factories import AdCampaignFactory, UserFactory, division
from tests.history_actors import history_models, rows_without_actor

# A real cycle runs its specialists on threads, each with its own connection: committed data.
pytestmark = pytest.mark.django_db(transaction=True)


def test_no_history_row_lacks_an_actor_after_a_representative_flow(client, owner, growth_approver, settings):
    settings.ATLAS_EXECUTE_SYNC = True
    settings.ATLAS_FOUR_EYES_AMOUNT = Decimal("1000")
    settings.ATLAS_WEBHOOK_URL = ""
    campaign = AdCampaignFactory(name="Spring Sale", daily_budget=Decimal("120.00"))
    started = timezone.now()

    # A person in the console: the org chart and the brand's data.
    newcomer = UserFactory(username="newcomer")
    client.force_login(owner)
    response = client.post(
        reverse("admin:divisions_membership_add"),
        {"user": newcomer.pk, "division": division("finance").pk, "role": Role.VIEWER},
    )
    assert response.status_code == 302, response.content[:2000]
    response = client.post(reverse("admin:brand_salestarget_add"), {"month": "2026-12-01", "revenue": "90000.00"})
    assert response.status_code == 302

    # The agents: a cycle of one division, then a proposal as an agent would make it.
    call_command("atlas_run", "--sync", "--division", "growth", stdout=io.StringIO(), stderr=io.StringIO())
    with acting_as(Actor.for_agent_run("growth.paid_media", None)):
        proposal = budget_proposal(campaign, agent_key="growth.paid_media")

    # A person decides in the console; the approval executes after commit.
    client.force_login(growth_approver)
    response = client.post(
        reverse("admin:approvals_proposedaction_changelist"),
        {"action": "approve_selected", "_selected_action": [proposal.pk]},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status in {Status.EXECUTED, Status.APPROVED, Status.EXECUTING}
    assert Decision.objects.filter(proposal=proposal, user=growth_approver).exists()

    # A person writes to memory from the shell.
    call_command(
        "atlas_memory",
        "add",
        "--as",
        "owner",
        "--kind",
        "preference",
        "--key",
        "brand:max_discount_percent",
        "--value",
        '{"max_discount_percent": 30}',
        "--text",
        "No discount deeper than 30%.",
        stdout=io.StringIO(),
    )

    # The check every test ends with (tests/conftest.py), here over a flow that writes every kind of row.
    assert rows_without_actor() == []
    assert sum(model._default_manager.count() for model in history_models()) > 0
    # Nothing the flow did went unattributed: "system" is left to what Atlas does by itself, the
    # registry syncing the agents' rows and the brand profile's defaults created on first use.
    anonymous = {
        model.__name__
        for model in history_models()
        if model.objects.filter(history_date__gte=started, history_actor=SYSTEM.label).exists()
    }
    assert anonymous <= {"HistoricalAgent", "HistoricalBrandProfile"}

    def actors(model, **filters) -> set[str]:
        return set(model.history.filter(history_date__gte=started, **filters).values_list("history_actor", flat=True))

    # And the actor is the right one: the person for what people did, the agent or policy otherwise.
    membership = Membership.objects.get(user=newcomer)
    assert actors(Membership, id=membership.pk) == {"user:owner"}
    assert Membership.history.get(id=membership.pk).history_user == owner
    from brand.models import SalesTarget

    assert actors(SalesTarget) == {"user:owner"}
    assert actors(ProposedAction, id=proposal.pk) >= {"agent:growth.paid_media", "user:growth_approver"}
    assert actors(Decision, proposal=proposal) == {"user:growth_approver"}
    from memory.models import MemoryEntry

    assert actors(MemoryEntry, key="brand:max_discount_percent") == {"user:owner"}
    assert Execution.objects.filter(proposal=proposal).exists()
