"""Proposals that belong together are decided together from a proposal's page, or not at all."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import Decision, Status
from approvals.services import proposals_bundle
from brand.models import AdCampaign
from tests.factories import AdCampaignFactory

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _decide(proposal):
    return reverse("admin:approvals_proposedaction_decide", args=[proposal.pk])


@pytest.fixture
def budget_move(campaign):
    """A cut on one campaign that funds a raise on another: $120 -> $80 here, $50 -> $90 there."""
    other = AdCampaignFactory(name="Evergreen", daily_budget=Decimal("50.00"))
    cut, raise_ = budget_proposal(campaign, "80.00"), budget_proposal(other, "90.00")
    proposals_bundle(proposals=[cut, raise_])
    return cut, raise_


def test_the_page_offers_one_decision_for_both_and_says_what_one_alone_does(budget_move, growth_approver):
    cut, raise_ = budget_move
    body = _client(growth_approver).get(reverse("admin:approvals_proposedaction_change", args=[raise_.pk])).content
    body = body.decode()
    assert f"This proposal belongs with #{cut.pk}" in body  # from the raise's side of the link, too
    assert "Approve both" in body and "Send both back" in body
    assert 'name="together"' in body


def test_approve_both_executes_both(budget_move, growth_approver, committed):
    cut, raise_ = budget_move
    response = committed(
        _client(growth_approver).post, _decide(cut), {"verdict": "approve", "together": "1"}, follow=True
    )
    assert response.status_code == 200
    for proposal in (cut, raise_):
        proposal.refresh_from_db()
        assert proposal.status == Status.EXECUTED, proposal.status_reason
    assert sorted(AdCampaign.objects.values_list("daily_budget", flat=True)) == [Decimal("80.00"), Decimal("90.00")]


def test_send_both_back_sends_both_with_the_comment(budget_move, growth_approver, committed):
    cut, raise_ = budget_move
    committed(
        _client(growth_approver).post,
        _decide(raise_),
        {"verdict": "send_back", "together": "1", "comment": "Move $20 only"},
    )
    for proposal in (cut, raise_):
        proposal.refresh_from_db()
        assert proposal.status == Status.SENT_BACK
        assert Decision.objects.get(proposal=proposal).comment == "Move $20 only"


def test_a_half_the_person_may_not_decide_leaves_both_undecided(campaign, growth_approver, committed):
    cut = budget_proposal(campaign, "80.00")
    elsewhere = budget_proposal(AdCampaignFactory(daily_budget=Decimal("50.00")), "90.00", division="retention")
    proposals_bundle(proposals=[cut, elsewhere])

    response = committed(
        _client(growth_approver).post, _decide(cut), {"verdict": "approve", "together": "1"}, follow=True
    )

    assert response.status_code == 200
    for proposal in (cut, elsewhere):
        proposal.refresh_from_db()
        assert proposal.status == Status.PENDING
    assert not Decision.objects.exists()
    assert AdCampaign.objects.get(pk=campaign.pk).daily_budget == Decimal("120.00")
