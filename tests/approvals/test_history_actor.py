"""Who changed a brand record: an approved action's rows name the proposal and its approvers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from approvals.models import Status
from approvals.services import proposal_decide
from brand.models import AdCampaign

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


def test_the_campaigns_history_names_the_approver_and_the_proposal(client, owner, growth_approver, campaign, committed):
    proposal = budget_proposal(campaign, "80.00")

    decision = committed(proposal_decide, proposal=proposal, user=growth_approver, verdict="approve")

    assert decision.proposal.status == Status.APPROVED
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED, proposal.status_reason
    row = AdCampaign.history.filter(id=campaign.pk).latest("history_date")
    assert row.daily_budget == Decimal("80.00")
    assert row.history_user == growth_approver
    assert row.history_actor == f"proposal #{proposal.pk}: approved by growth_approver"

    client.force_login(owner)
    page = client.get(reverse("admin:brand_adcampaign_history", args=[campaign.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert f"proposal #{proposal.pk}: approved by growth_approver" in html
    changed_by = html.split('class="atlas-changed-by"')[1].split("</td>")[0]
    assert "growth_approver" in changed_by
    assert "None" not in changed_by


def test_both_approvers_of_a_four_eyes_change_are_named(
    owner, growth_approver, growth_director, campaign, committed, settings
):
    settings.ATLAS_FOUR_EYES_AMOUNT = Decimal("50")
    proposal = budget_proposal(campaign, "80.00")

    committed(proposal_decide, proposal=proposal, user=growth_approver, verdict="approve")
    committed(proposal_decide, proposal=proposal, user=growth_director, verdict="approve")

    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED, proposal.status_reason
    row = AdCampaign.history.filter(id=campaign.pk).latest("history_date")
    assert row.history_actor == f"proposal #{proposal.pk}: approved by growth_approver, growth_director"
    assert row.history_user == growth_director  # who completed the approval
