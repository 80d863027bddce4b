"""atlas_decide: the same services from the shell."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from approvals.models import Decision, Status

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


def test_approve_with_sync_executes_in_process(campaign, growth_approver, settings, committed):
    settings.ATLAS_EXECUTE_SYNC = False
    proposal = budget_proposal(campaign)
    out = StringIO()
    committed(
        call_command, "atlas_decide", proposal.pk, "approve", "--as", "growth_approver", "--sync", "--json", stdout=out
    )
    # (Inside the test's transaction the execution runs when the capture ends, after the output.)
    outcome = json.loads(out.getvalue())
    assert (outcome["proposal"], outcome["by"], outcome["verdict"]) == (proposal.pk, "growth_approver", "approve")
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    campaign.refresh_from_db()
    assert campaign.daily_budget == Decimal("80.00")


def test_user_errors_are_command_errors(campaign, growth_viewer, growth_approver):
    proposal = budget_proposal(campaign)
    with pytest.raises(CommandError, match="no such user"):
        call_command("atlas_decide", proposal.pk, "approve", "--as", "nobody")
    with pytest.raises(CommandError, match="approver or director"):
        call_command("atlas_decide", proposal.pk, "approve", "--as", "growth_viewer")
    with pytest.raises(CommandError, match="needs a reason"):
        call_command("atlas_decide", proposal.pk, "reject", "--as", "growth_approver")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("atlas_decide", 99999, "approve", "--as", "growth_approver")
    out = StringIO()
    call_command(
        "atlas_decide", proposal.pk, "send-back", "--as", "growth_approver", "--comment", "Smaller cut", stdout=out
    )
    assert "-> sent_back" in out.getvalue()


def test_the_command_decides_through_proposal_decide(campaign, growth_approver, growth_director, committed):
    proposal = budget_proposal(campaign, "400.00", proposed_by=growth_director)  # four-eyes, asked for by the director
    with pytest.raises(CommandError, match="asked for this work"):
        call_command("atlas_decide", proposal.pk, "approve", "--as", "growth_director")
    with pytest.raises(CommandError, match="needs a reason"):
        call_command("atlas_decide", proposal.pk, "reject", "--as", "growth_approver", "--comment", "  ")
    assert not Decision.objects.exists()
    out = StringIO()
    call_command("atlas_decide", proposal.pk, "approve", "--as", "growth_approver", "--json", stdout=out)
    outcome = json.loads(out.getvalue())
    # The keys the README documents, unchanged.
    assert set(outcome) == {"proposal", "verdict", "by", "status", "status_reason", "preview", "execution"}
    assert (outcome["status"], outcome["execution"]) == (Status.PENDING, None)  # one approval of two
    decision = Decision.objects.get()
    assert (decision.via, decision.verdict, decision.user) == ("command", "approve", growth_approver)
