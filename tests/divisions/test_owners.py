"""The Owners group: its members use the console like the superuser owner (Django's model permissions
come from a post_migrate sync), the audit trail stays read-only for them; and the agents' sync keeps
quiet after a flush, when no division exists yet."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.models import Agent
from agents.runtime.registry import sync_agents
from approvals.models import Decision
from approvals.services import proposal_create
from divisions.models import Division
from divisions.permissions import OWNERS_GROUP
from divisions.services import owners_group_sync
from tests.factories import AdCampaignFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owners_member(db):
    """An owner by group membership only: staff, not a superuser."""
    user = UserFactory(username="owners_member", is_superuser=False)
    user.groups.add(Group.objects.get(name=OWNERS_GROUP))
    return user


@pytest.fixture
def synced():
    """What every migrate does: the post_migrate signal of each app, our receiver among them."""
    Group.objects.get(name=OWNERS_GROUP).permissions.clear()  # as a flush leaves it
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_owners_member_uses_the_console_like_the_owner(owner, owners_member, synced):
    campaign = AdCampaignFactory(name="Spring Sale", daily_budget=Decimal("120.00"))
    proposal = proposal_create(
        action_type="ads.set_daily_budget",
        args={"campaign_id": campaign.pk, "daily_budget": "100.00"},
        division="finance",
        agent_key="finance.budget_guard",
        rationale="Over budget",
    )
    agent = Agent.objects.filter(division__isnull=False).order_by("key").first()
    pages = [
        reverse("admin:index"),
        reverse("admin:brand_adcampaign_change", args=[campaign.pk]),
        reverse("admin:brand_adcampaign_history", args=[campaign.pk]),
        reverse("admin:approvals_proposedaction_change", args=[proposal.pk]),
        reverse("admin:approvals_proposedaction_history", args=[proposal.pk]),
        reverse("admin:agents_agent_change", args=[agent.pk]),
        reverse("admin:divisions_membership_add"),
        reverse("admin:django_q_schedule_changelist"),
        reverse("admin:memory_memoryentry_add"),
    ]
    as_owner, as_member = _client(owner), _client(owners_member)
    for url in pages:
        assert as_owner.get(url).status_code == 200, url
        assert as_member.get(url).status_code == 200, url
    index = as_member.get(reverse("atlas_records")).content.decode()
    for section in ("/admin/brand/", "/admin/agents/", "/admin/django_q/", "/admin/divisions/"):
        assert section in index

    # Acting: change an agent's configuration, decide another division's proposal.
    form = as_member.get(reverse("admin:agents_agent_change", args=[agent.pk])).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update({"llm_model": "gpt-4.1-mini", "config": "{}"})
    response = as_member.post(reverse("admin:agents_agent_change", args=[agent.pk]), data)
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.llm_model == "gpt-4.1-mini"
    response = as_member.post(
        reverse("admin:approvals_proposedaction_changelist"),
        {"action": "approve_selected", "_selected_action": [proposal.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Decision.objects.get(proposal=proposal).user == owners_member


def test_the_audit_trail_stays_read_only_for_owners(owners_member, synced):
    member = type(owners_member).objects.get(pk=owners_member.pk)  # a fresh permission cache
    for perm in (
        "approvals.add_decision",
        "approvals.change_execution",
        "approvals.delete_linkuse",
        "agents.change_llmcall",
        "agents.delete_agentrun",
        "memory.change_memoryentry",
        "approvals.change_historicalproposedaction",
        "brand.delete_historicaladcampaign",
    ):
        assert not member.has_perm(perm), perm
    for perm in (
        "approvals.view_decision",
        "approvals.view_historicalproposedaction",
        "agents.change_agent",
        "brand.change_adcampaign",
        "divisions.add_membership",
        "memory.add_memoryentry",
        "django_q.delete_failure",
    ):
        assert member.has_perm(perm), perm
    assert not member.has_perm("auth.add_user")  # Atlas's apps only


def test_the_sync_is_idempotent(synced):
    group = Group.objects.get(name=OWNERS_GROUP)
    before = set(group.permissions.values_list("pk", flat=True))
    assert before
    with CaptureQueriesContext(connection) as queries:
        owners_group_sync()
    assert set(group.permissions.values_list("pk", flat=True)) == before
    assert not [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "DELETE"))]


def test_without_the_group_the_sync_does_nothing():
    Group.objects.filter(name=OWNERS_GROUP).delete()
    assert owners_group_sync() is None
    assert not Group.objects.filter(name=OWNERS_GROUP).exists()


# --- the agents' sync after a flush -------------------------------------------------------------


def test_sync_agents_is_quiet_when_no_division_exists(caplog):
    """After a transactional test's flush post_migrate syncs the agents before the divisions are back."""
    Agent.objects.all().delete()
    Division.objects.all().delete()
    with caplog.at_level(logging.DEBUG, logger="agents.runtime.registry"):
        sync_agents()
    assert not Agent.objects.filter(division__isnull=False).exists()  # only the orchestrator, which has none
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("does not exist" in r.getMessage() for r in caplog.records)  # still said, at debug level

    # One division back: the agents of the others name a division that genuinely does not exist.
    Division.objects.create(slug="growth", name="Growth", mandate="")
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="agents.runtime.registry"):
        counts = sync_agents()
    assert counts["created"] > 0
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned and all("which does not exist; not synced" in m for m in warned)
    assert not any("'growth'" in m for m in warned)
