"""The console: scoped by division, actions through the services, audit tables read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import Decision, ProposedAction, Status
from approvals.services import proposal_approve, proposal_hold

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
    assert b"Approved and queued 1 proposal." in response.content
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert Decision.objects.get(proposal=proposal).via == "console"


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


# --- what the console says after an action, per outcome -------------------------------------------


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def _approve(client, *proposals, committed=None):
    post = client.post
    data = {"action": "approve_selected", "_selected_action": [p.pk for p in proposals]}
    url = reverse("admin:approvals_proposedaction_changelist")
    if committed is not None:
        return committed(post, url, data, follow=True)
    return post(url, data, follow=True)


def test_a_first_four_eyes_approval_says_what_is_still_needed(campaign, growth_approver, growth_director, committed):
    proposal = budget_proposal(campaign, "400.00")  # (400 - 120) x 7 = 1960 > 1000: four-eyes
    response = _approve(_client(growth_approver), proposal, committed=committed)

    said = _messages(response)
    assert said == [
        (
            "info",
            "Recorded 1 approval; still needed: a director's approval as the second approver (four-eyes). "
            "The proposal stays pending until then.",
        )
    ]
    assert b"Approved 1 proposal" not in response.content and b"Approved and queued" not in response.content
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING

    # The director's approval completes it: now it is approved and queued.
    response = _approve(_client(growth_director), proposal, committed=committed)
    assert _messages(response) == [("success", "Approved and queued 1 proposal.")]
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED


def test_mixed_outcomes_are_reported_each(campaign, growth_approver, committed):
    small = budget_proposal(campaign, "100.00")
    big = budget_proposal(campaign, "400.00")
    already = budget_proposal(campaign, "110.00")
    committed(services_approve, proposal=big, user=growth_approver)  # approved once already: an error now
    response = _approve(_client(growth_approver), small, big, already, committed=committed)
    said = _messages(response)
    assert ("success", "Approved and queued 2 proposals.") in said
    errors = [text for level, text in said if level == "error"]
    assert errors == [f"proposal #{big.pk}: growth_approver has already approved it"]


def test_none_of_the_selection_is_yours_to_decide(campaign, growth_viewer, finance_director, finance_approver):
    proposal = budget_proposal(campaign)
    # Another division's proposal: not even in the changelist's queryset.
    response = _approve(_client(finance_director), proposal)
    assert _messages(response) == [("warning", "None of the selected proposals is yours to decide.")]
    # A viewer of growth who decides in finance: the action is there, the growth proposal is not theirs.
    from divisions.models import Membership, Role
    from tests.factories import division

    Membership.objects.create(user=finance_approver, division=division("growth"), role=Role.VIEWER)
    response = _approve(_client(finance_approver), proposal)
    assert _messages(response) == [("warning", "None of the selected proposals is yours to decide.")]
    # A pure viewer forging the POST: the action is not offered, and the console says why nothing happened.
    response = _approve(_client(growth_viewer), proposal)
    assert _messages(response) == [("warning", "None of the selected proposals is yours to decide.")]
    # Reject asks for no reason when there is nothing to reject.
    response = _client(finance_director).post(
        reverse("admin:approvals_proposedaction_changelist"),
        {"action": "reject_selected", "_selected_action": [proposal.pk]},
        follow=True,
    )
    assert _messages(response) == [("warning", "None of the selected proposals is yours to decide.")]
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    assert not Decision.objects.filter(proposal=proposal).exists()


def services_approve(**kwargs):
    from approvals.services import proposal_approve

    return proposal_approve(**kwargs)


def test_release_and_cancel_actions_go_through_proposal_decide(campaign, growth_approver, growth_director):
    held = budget_proposal(campaign)
    proposal_hold(proposal=held, reason="Operations: stock runs out in 5 days")
    url = reverse("admin:approvals_proposedaction_changelist")
    form = {"action": "release_selected", "_selected_action": [held.pk]}
    page = _client(growth_director).post(url, form)
    assert page.status_code == 200 and b"Reason (required)" in page.content
    refused = _client(growth_approver).post(
        url, {**form, "confirm": "yes", "decision_text": "stock arrived"}, follow=True
    )
    assert b"releasing a hold needs a director" in refused.content
    assert ProposedAction.objects.get(pk=held.pk).is_held
    done = _client(growth_director).post(url, {**form, "confirm": "yes", "decision_text": "stock arrived"}, follow=True)
    assert b"Released the hold on 1 proposal." in done.content
    release = Decision.objects.get(proposal=held)
    assert (release.verdict, release.via, release.comment) == ("release", "console", "stock arrived")

    approved = proposal_approve(proposal=budget_proposal(campaign, "60.00"), user=growth_approver)  # not executed yet
    # The list opens on what waits for a decision; an approved proposal is under "Everything you can see".
    done = _client(growth_approver).post(
        f"{url}?show=all", {"action": "cancel_selected", "_selected_action": [approved.pk]}, follow=True
    )
    assert b"Cancelled 1 proposal." in done.content
    assert ProposedAction.objects.get(pk=approved.pk).status == Status.CANCELLED
