"""Proposals that belong together (a discount and its announcement) are made together or not at all."""

from __future__ import annotations

from agents.models import RunStatus, RunTrigger
from agents.runtime.services import agent_run_start
from approvals.models import ProposedAction
from tests.agents.agents_for_tests import PairProposer
from tests.agents.conftest import configure


def test_both_proposals_of_a_pair_are_made(agent_registry):
    agent_registry(PairProposer)
    run = agent_run_start(agent_key=PairProposer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert ProposedAction.objects.filter(agent_run=run).count() == 2
    assert run.warnings == []


def test_a_refused_second_proposal_takes_the_first_back_with_it(agent_registry):
    agent_registry(PairProposer)
    configure(PairProposer.key, second_args={"campaign_id": "not a number", "daily_budget": "20"})
    run = agent_run_start(agent_key=PairProposer.key, trigger=RunTrigger.MANUAL, sync=True)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not ProposedAction.objects.filter(agent_run=run).exists()
    assert len(run.warnings) == 1
    assert "test.set_budget + test.set_budget belong together, so none was proposed" in run.warnings[0]
    assert "campaign_id" in run.warnings[0]
    # The run's memory outside the pair is kept.
    from memory.models import MemoryEntry

    assert MemoryEntry.objects.get(author_run=run).text == "0 proposed together"


def test_a_pair_is_bundled_so_the_console_decides_it_together(agent_registry):
    agent_registry(PairProposer)
    run = agent_run_start(agent_key=PairProposer.key, trigger=RunTrigger.MANUAL, sync=True)
    first, second = ProposedAction.objects.filter(agent_run=run).order_by("pk")
    assert list(first.bundled_with.all()) == [second]
    assert list(second.bundled_into.all()) == [first]
