"""Every history row names its actor (issue 15 §9), checked at the end of a representative flow: a
person changes the org chart and the brand's data in the console, the agents run and propose, a
person approves in the console, the approval executes, a person writes to memory from the shell."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from approvals.models import Decision, Execution, ProposedAction, Status
from atlas_project.audit import SYSTEM, Actor, acting_as
from divisions.models import Membership, Role
from tests.approvals.factories import budget_proposal
from tests.factories import AdCampaignFactory, UserFactory, division

# A real cycle runs its specialists on threads, each with its own connection: committed data.
pytestmark = pytest.mark.django_db(transaction=True)

# The records issue 15 §9 names: proposals, decisions, memberships, memory entries, brand records.
AUDITED_APPS = ("approvals", "divisions", "memory", "brand", "agents")


def _history_models() -> list:
    """The historical tables (a many-to-many change's rows hang off their parent row, which has the actor)."""
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in AUDITED_APPS
        and model.__name__.startswith("Historical")
        and any(f.name == "history_actor" for f in model._meta.get_fields())
    ]


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

    rows = 0
    missing: list[str] = []
    for model in _history_models():
        for row in model.objects.all():
            rows += 1
            if row.history_user_id is None and not row.history_actor:
                missing.append(f"{model.__name__} #{row.history_id} ({row.history_type} at {row.history_date})")
            if row.history_actor.startswith("user:") and row.history_user_id is None:
                missing.append(f"{model.__name__} #{row.history_id}: {row.history_actor} without its user")
    assert missing == []
    assert rows > 0
    # Nothing the flow did went unattributed: "system" is left to what Atlas does by itself, the
    # registry syncing the agents' rows and the brand profile's defaults created on first use.
    anonymous = {
        model.__name__
        for model in _history_models()
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
