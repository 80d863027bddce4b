"""A proposal sent back with a comment re-runs its agent, which drafts a linked revision."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_q.conf import Conf

from agents.models import AgentRun, RunStatus, RunTrigger
from agents.runtime.services import agent_run_start
from approvals.models import ProposedAction, Status
from approvals.services import proposal_send_back
from tests.agents.agents_for_tests import Writer
from tests.agents.conftest import configure


@pytest.fixture
def tasks_inline(monkeypatch):
    # django-q2 runs async_task in-process when SYNC is on: the queued revision run executes here.
    monkeypatch.setattr(Conf, "SYNC", True)


def test_send_back_reruns_the_agent_with_the_comment(
    agent_registry, growth_approver, tasks_inline, django_capture_on_commit_callbacks
):
    agent_registry(Writer)
    configure(Writer.key, propose=[7, "80.00", 3])
    first = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    original = ProposedAction.objects.get(agent_run=first)

    with django_capture_on_commit_callbacks(execute=True):
        proposal_send_back(proposal=original, user=growth_approver, comment="Too aggressive: halve the change.")

    original.refresh_from_db()
    assert original.status == Status.SENT_BACK
    revision_run = AgentRun.objects.exclude(pk=first.pk).get(agent__key=Writer.key)
    assert revision_run.trigger == RunTrigger.REVISION
    assert revision_run.status == RunStatus.SUCCEEDED, revision_run.error
    assert revision_run.context["feedback"] == {
        "comment": "Too aggressive: halve the change.",
        "proposal_id": original.pk,
    }
    revision = ProposedAction.objects.get(agent_run=revision_run)
    assert revision.revision_of == original
    assert revision_run.memories_written.filter(text="Revised after: Too aggressive: halve the change.").exists()


def test_a_revision_keeps_the_requester_of_the_proposal_it_revises(
    agent_registry, growth_approver, growth_director, tasks_inline, django_capture_on_commit_callbacks
):
    agent_registry(Writer)
    configure(Writer.key, propose=[7, "80.00", 3])
    first = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    original = ProposedAction.objects.get(agent_run=first)
    # As if growth_director had asked for it: the revision is still their request, not anyone's approval.
    ProposedAction.objects.filter(pk=original.pk).update(proposed_by=growth_director)

    with django_capture_on_commit_callbacks(execute=True):
        proposal_send_back(proposal=original, user=growth_approver, comment="Too aggressive: halve the change.")

    revision = ProposedAction.objects.get(revision_of=original)
    assert revision.proposed_by == growth_director


def _send_back(original: ProposedAction, user, comment: str, capture) -> ProposedAction:
    with capture(execute=True):
        proposal_send_back(proposal=original, user=user, comment=comment)
    return ProposedAction.objects.get(revision_of=original)


def test_an_amount_in_the_comment_changes_the_revision_and_says_so(
    agent_registry, growth_approver, tasks_inline, django_capture_on_commit_callbacks
):
    # The test writer ignores comments and re-proposes the same budget: the runtime applies the ask.
    agent_registry(Writer)
    configure(Writer.key, propose=[7, "80.00", 3])
    original = ProposedAction.objects.get(
        agent_run=agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    )

    revision = _send_back(original, growth_approver, "Too much, make it $40", django_capture_on_commit_callbacks)

    assert revision.args["campaign_id"] == 7
    assert Decimal(revision.args["daily_budget"]) == Decimal("40")
    assert revision.status == Status.PENDING
    assert revision.rationale.startswith("Revised after the comment “Too much, make it $40”: daily budget $80")
    assert "→ $40" in revision.rationale.splitlines()[0]


def test_a_comment_the_agent_cannot_act_on_is_quoted_not_a_silent_twin(
    agent_registry, growth_approver, tasks_inline, django_capture_on_commit_callbacks
):
    agent_registry(Writer)
    configure(Writer.key, propose=[7, "80.00", 3])
    original = ProposedAction.objects.get(
        agent_run=agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    )

    revision = _send_back(
        original, growth_approver, "Not convinced by the evidence.", django_capture_on_commit_callbacks
    )

    assert revision.args == original.args
    assert revision.rationale.startswith(
        "Could not act on the comment “Not convinced by the evidence.”: it names no amount, percentage, date or "
        "subject line to apply. The agent keeps its proposal as it was."
    )


def test_an_ask_the_action_has_no_argument_for_is_named(
    agent_registry, growth_approver, tasks_inline, django_capture_on_commit_callbacks
):
    agent_registry(Writer)
    configure(Writer.key, propose=[7, "80.00", 3])
    original = ProposedAction.objects.get(
        agent_run=agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    )

    revision = _send_back(original, growth_approver, "Softer please, and 10% less", django_capture_on_commit_callbacks)

    assert revision.args == original.args
    assert "Could not act on the comment “Softer please, and 10% less”" in revision.rationale
    assert "it asks for a percentage but test.set_budget has no such argument" in revision.rationale
    assert "a softer tone is a rewrite this agent did not make" in revision.rationale


def test_an_agent_that_proposes_nothing_on_revision_still_answers_the_comment(
    agent_registry, growth_approver, tasks_inline, django_capture_on_commit_callbacks
):
    agent_registry(Writer)
    configure(Writer.key, propose=[7, "80.00", 3])
    original = ProposedAction.objects.get(
        agent_run=agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    )
    configure(Writer.key, propose=None)  # its analysis no longer picks campaign 7

    revision = _send_back(original, growth_approver, "Lower it to $60", django_capture_on_commit_callbacks)

    assert Decimal(revision.args["daily_budget"]) == Decimal("60")
    assert revision.rationale.startswith("Revised after the comment “Lower it to $60”: daily budget $80")
    assert revision.rationale.endswith(original.rationale)
