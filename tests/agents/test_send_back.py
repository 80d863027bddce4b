"""A proposal sent back with a comment re-runs its agent, which drafts a linked revision."""

from __future__ import annotations

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
