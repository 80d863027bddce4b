"""Runs are recorded: status, error with traceback, timings, calls; writes name the run as actor."""

from __future__ import annotations

from agents.models import AgentRun, LLMCall, RunStatus, RunTrigger
from agents.runtime.services import agent_run_create, agent_run_execute, agent_run_start
from approvals.models import ProposedAction
from memory.models import MemoryEntry
from tests.agents.agents_for_tests import BadProposer, Boom, Writer
from tests.agents.conftest import configure


def test_a_successful_run_records_timings_calls_memory_and_proposals(agent_registry):
    agent_registry(Writer)
    configure(Writer.key, propose=[7, "80.00", 3])
    run = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.started_at and run.finished_at and run.duration_seconds is not None
    assert run.llm_calls == 1 and run.tokens_in == 0 and run.cost == 0
    call = LLMCall.objects.get(run=run)
    assert (call.provider, call.model, call.ok) == ("offline", "offline", True)

    entry = MemoryEntry.objects.get(author_run=run)
    assert entry.division.slug == "growth"
    assert entry.text == f"ROAS 2.5 on $300 ({Writer.key})"
    assert entry.history.first().history_actor == f"agent:{Writer.key}#{run.pk}"

    proposal = ProposedAction.objects.get(agent_run=run)
    assert (proposal.agent_key, proposal.division.slug, proposal.drafted_by) == (Writer.key, "growth", "offline")
    assert list(proposal.evidence.all()) == [entry]
    assert proposal.history.first().history_actor == f"agent:{Writer.key}#{run.pk}"


def test_an_exception_fails_the_run_with_error_and_traceback(agent_registry):
    agent_registry(Boom)
    run = agent_run_start(agent_key=Boom.key, trigger=RunTrigger.MANUAL, sync=True)
    assert run.status == RunStatus.FAILED
    assert run.error == "RuntimeError: the specialist broke on purpose"
    assert "Traceback" in run.traceback and "test_boom" not in run.error
    assert run.finished_at is not None


def test_refused_proposals_are_warnings_on_the_run_not_crashes(agent_registry):
    agent_registry(BadProposer)
    run = agent_run_start(agent_key=BadProposer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert run.status == RunStatus.SUCCEEDED
    assert len(run.warnings) == 2
    assert "no.such_action" in run.warnings[0]
    assert "campaign_id" in run.warnings[1]
    assert MemoryEntry.objects.filter(author_run=run, text="still ran to the end").exists()
    assert not ProposedAction.objects.filter(agent_run=run).exists()


def test_a_disabled_agent_is_skipped_and_a_run_executes_once(agent_registry):
    agent_registry(Writer)
    run = agent_run_create(agent_key=Writer.key, trigger=RunTrigger.MANUAL)
    first = agent_run_execute(run_id=run.pk)
    again = agent_run_execute(run_id=run.pk)
    assert first.status == again.status == RunStatus.SUCCEEDED
    assert MemoryEntry.objects.filter(author_run=run).count() == 1

    agent = configure(Writer.key)
    agent.enabled = False
    agent.save()
    skipped = agent_run_start(agent_key=Writer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert skipped.status == RunStatus.SKIPPED
    assert "disabled" in skipped.error
    assert AgentRun.objects.filter(agent__key=Writer.key).count() == 2
