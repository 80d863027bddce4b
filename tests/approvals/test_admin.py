"""The console: scoped by division, actions through the services, audit tables read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import Decision, Status

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_list_is_scoped_by_division(campaign, growth_viewer, finance_director):
    proposal = budget_proposal(campaign)
    url = reverse("admin:approvals_proposedaction_changelist")
    assert proposal.title.encode() in _client(growth_viewer).get(url).content
    response = _client(finance_director).get(url)
    assert response.status_code in (200, 403)
    assert proposal.title.encode() not in response.content
    detail = reverse("admin:approvals_proposedaction_change", args=[proposal.pk])
    assert _client(finance_director).get(detail).status_code in (302, 403, 404)


def test_approve_action_calls_the_service_and_reports_counts(campaign, growth_approver, committed):
    proposal = budget_proposal(campaign)
    url = reverse("admin:approvals_proposedaction_changelist")
    response = committed(
        _client(growth_approver).post,
        url,
        {"action": "approve_selected", "_selected_action": [proposal.pk]},
        follow=True,
    )
    assert b"Approved 1 proposal." in response.content
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert Decision.objects.get(proposal=proposal).via == "admin"


def test_viewer_has_no_decide_actions_and_reject_asks_for_a_reason(campaign, growth_viewer, growth_approver):
    proposal = budget_proposal(campaign)
    url = reverse("admin:approvals_proposedaction_changelist")
    assert b"approve_selected" not in _client(growth_viewer).get(url).content
    client = _client(growth_approver)
    page = client.post(url, {"action": "reject_selected", "_selected_action": [proposal.pk]})
    assert page.status_code == 200 and b"Reason (required)" in page.content
    assert Decision.objects.count() == 0
    client.post(
        url,
        {"action": "reject_selected", "_selected_action": [proposal.pk], "confirm": "yes", "decision_text": "Too late"},
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.status_reason) == (Status.REJECTED, "Too late")


def test_execution_and_decision_admins_are_read_only(campaign, growth_approver, owner, committed):
    from approvals.services import proposal_approve

    proposal = committed(proposal_approve, proposal=budget_proposal(campaign), user=growth_approver)
    execution = proposal.executions.get()
    client = _client(owner)
    assert client.get(reverse("admin:approvals_execution_changelist")).status_code == 200
    assert client.get(reverse("admin:approvals_execution_add")).status_code == 403
    assert (
        client.post(reverse("admin:approvals_execution_delete", args=[execution.pk]), {"post": "yes"}).status_code
        == 403
    )
    change = client.post(reverse("admin:approvals_execution_change", args=[execution.pk]), {"error": "x"})
    assert change.status_code == 403
    assert proposal.executions.get().error == ""


def test_what_the_offline_provider_wrote_is_labelled_as_such(campaign, growth_viewer):
    offline = budget_proposal(campaign)
    offline.agent_key, offline.drafted_by = "growth.paid_media", "offline"
    offline.save()
    url = reverse("admin:approvals_proposedaction_changelist")
    assert b"offline draft" in _client(growth_viewer).get(url).content
    detail = reverse("admin:approvals_proposedaction_change", args=[offline.pk])
    assert b"offline draft" in _client(growth_viewer).get(detail).content
    offline.drafted_by = "gpt-4o-mini"
    offline.save()
    assert b"drafted by gpt-4o-mini" in _client(growth_viewer).get(url).content
