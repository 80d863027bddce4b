"""Caps before anyone approves: a purchase order is judged against its own limit, not the daily ad-spend
cap; the caps are the owner's to set; the proposal's page warns before an approval that would fail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from approvals import policy
from approvals.models import Status
from approvals.services import proposal_approve
from divisions.models import Division

from .console_brand import po_proposal
from .factories import budget_proposal

pytestmark = pytest.mark.django_db


def _po_proposal(total: str = "18392.00"):
    return po_proposal(total)


def _page(user, proposal):
    client = Client()
    client.force_login(user)
    return client.get(reverse("admin:approvals_proposedaction_change", args=[proposal.pk])).content.decode()


def test_a_purchase_order_above_the_daily_cap_is_not_held_to_it(finance_director, finance_approver, committed):
    proposal = _po_proposal("18392.00")
    assert Division.objects.get(slug="finance").daily_spend_cap == Decimal("5000.00")
    assert policy.spend_cap_breach(proposal) == ""
    assert "Warning before you approve" not in _page(finance_director, proposal)
    committed(proposal_approve, proposal=proposal, user=finance_approver)
    committed(proposal_approve, proposal=proposal, user=finance_director)
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED


def test_a_purchase_order_above_its_own_limit_is_warned_and_fails_closed(finance_director, finance_approver, committed):
    Division.objects.filter(slug="finance").update(purchase_order_limit=Decimal("10000"))
    proposal = _po_proposal("18392.00")
    assert "purchase order limit of Finance exceeded" in policy.spend_cap_breach(proposal)
    assert "Warning before you approve" in _page(finance_director, proposal)
    committed(proposal_approve, proposal=proposal, user=finance_approver)
    committed(proposal_approve, proposal=proposal, user=finance_director)
    proposal.refresh_from_db()
    assert proposal.status == Status.FAILED and "purchase order limit" in proposal.status_reason


def test_an_executed_purchase_order_does_not_eat_the_daily_ad_cap(
    finance_director, finance_approver, campaign, committed
):
    proposal = _po_proposal("4990.00")
    committed(proposal_approve, proposal=proposal, user=finance_approver)
    committed(proposal_approve, proposal=proposal, user=finance_director)
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert policy.spend_committed_today(division_id=proposal.division_id) == Decimal("0.00")
    ads = budget_proposal(campaign, "200.00", division="finance")  # |200 - 120| x 7 = 560
    assert policy.spend_cap_breach(ads) == ""


def test_only_owners_set_a_divisions_caps(owner, finance_director):
    url = reverse("admin:divisions_division_change", args=[Division.objects.get(slug="finance").pk])
    director = Client()
    director.force_login(finance_director)
    assert director.post(url, {"daily_spend_cap": "999999"}).status_code == 403
    assert Division.objects.get(slug="finance").daily_spend_cap == Decimal("5000.00")
    client = Client()
    client.force_login(owner)
    assert client.get(reverse("admin:divisions_division_changelist")).status_code == 200
    assert b"purchase_order_limit" in client.get(url).content
