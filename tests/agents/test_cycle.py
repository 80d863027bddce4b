"""The daily cycle in-process (--sync): fan-out, failures carried, directors, one cycle per day."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from agents.models import Cycle, CycleStatus, RunStatus
from agents.runtime.services import CycleAlreadyRunning, cycle_start
from approvals.models import ProposedAction
from brand.clock import brand_today
from memory.models import MemoryEntry
from tests.agents.agents_for_tests import Boom, RetentionWriter, SecondWriter, Writer, writer_class
from tests.agents.conftest import configure

pytestmark = pytest.mark.django_db(transaction=True)


def run_json(*args: str) -> dict:
    out = io.StringIO()
    call_command("atlas_run", "--sync", "--json", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def test_sync_json_lists_every_agent_and_a_failure_does_not_stop_the_others(agent_registry_tx):
    agent_registry_tx(Writer, SecondWriter, Boom, RetentionWriter)
    configure(Writer.key, propose=[7, "80.00", 3])
    report = run_json()

    assert set(report) == {"cycle", "runs", "proposals", "memory_written", "briefing"}
    runs = {r["agent"]: r for r in report["runs"]}
    assert set(runs) == {Writer.key, SecondWriter.key, Boom.key, RetentionWriter.key} | {
        f"{d}.director"
        for d in ("growth", "retention", "creative", "operations", "finance", "product", "sales", "intelligence")
    }
    assert set(runs[Writer.key]) == {
        "agent",
        "division",
        "status",
        "error",
        "llm_calls",
        "tokens_in",
        "tokens_out",
        "cost",
    }
    assert runs[Boom.key]["status"] == "failed"
    assert runs[Boom.key]["error"] == "RuntimeError: the specialist broke on purpose"
    assert all(r["status"] == "succeeded" for k, r in runs.items() if k != Boom.key)
    # The specialists ran before the directors.
    assert [r["agent"] for r in report["runs"]][-8:] == sorted(k for k in runs if k.endswith(".director"))

    [proposal] = report["proposals"]
    assert set(proposal) == {
        "id",
        "agent",
        "division",
        "action",
        "category",
        "status",
        "args",
        "rationale",
        "money_at_stake",
    }
    assert (proposal["agent"], proposal["division"], proposal["action"]) == (Writer.key, "growth", "test.set_budget")
    assert proposal["money_at_stake"] == "80.00"
    # 3 writers' notes + 8 directors' summaries.
    assert report["memory_written"] == 11
    cycle = Cycle.objects.get(pk=report["cycle"])
    assert (cycle.status, cycle.phase) == (CycleStatus.DONE, "finished")
    assert "1 run(s) failed" in cycle.error


def test_the_director_holds_duplicates_and_writes_the_division_summary(agent_registry_tx):
    agent_registry_tx(Writer, SecondWriter)
    configure(Writer.key, propose=[7, "80.00", 2])
    configure(SecondWriter.key, propose=[7, "60.00", 5])
    report = run_json("--division", "growth")

    assert {r["agent"] for r in report["runs"]} == {Writer.key, SecondWriter.key, "growth.director"}
    strong = ProposedAction.objects.get(agent_key=SecondWriter.key)
    weak = ProposedAction.objects.get(agent_key=Writer.key)
    assert strong.hold_reason == ""
    assert weak.hold_reason.startswith(f"Duplicate of #{strong.pk}")
    summary = MemoryEntry.objects.get(key="division:growth:summary", is_current=True)
    assert summary.data["value"] == [strong.pk]
    assert summary.data["dropped"] == [{"id": weak.pk, "duplicate_of": strong.pk}]
    assert summary.author_run.agent.key == "growth.director"


def test_a_second_trigger_while_one_runs_does_not_start_a_second_cycle(agent_registry_tx):
    agent_registry_tx(Writer)
    running = Cycle.objects.create(brand_date=brand_today(), scope="", trigger="manual")

    with pytest.raises(CycleAlreadyRunning) as info:
        cycle_start(trigger="manual", sync=True)
    assert info.value.cycle == running
    assert "already running" in str(info.value)
    # The command says so and waits for the running cycle instead of starting one.
    err = io.StringIO()
    with pytest.raises(CommandError, match=f"Cycle {running.pk} is still running"):
        call_command("atlas_run", "--timeout", "0", stdout=io.StringIO(), stderr=err)
    assert "already running" in err.getvalue()
    assert Cycle.objects.count() == 1
    # Another scope is another cycle.
    assert cycle_start(trigger="manual", agent_key=Writer.key, sync=True).status == CycleStatus.DONE


def test_unknown_division_or_agent_is_a_command_error(agent_registry_tx):
    agent_registry_tx(Writer)
    with pytest.raises(CommandError, match="No division 'nope'"):
        call_command("atlas_run", "--sync", "--division", "nope", stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"No agent 'growth\.nope' is registered"):
        call_command("atlas_run", "--sync", "--agent", "growth.nope", stdout=io.StringIO())
    assert not Cycle.objects.exists()


def test_specialists_llm_calls_run_concurrently(agent_registry_tx, openai_settings, settings):
    """Six specialists against an endpoint that answers after a second: their calls overlap in time."""
    settings.ATLAS_LLM_CONCURRENCY = 8
    openai_settings.latency = 1.0
    writers = [writer_class(n) for n in range(6)]
    agent_registry_tx(*writers)
    report = run_json("--division", "growth")

    assert [r["status"] for r in report["runs"]] == [RunStatus.SUCCEEDED] * 7
    assert len(openai_settings.calls) == 6
    assert openai_settings.max_overlap() >= 3


def test_the_real_registry_gives_a_run_for_every_registered_agent(transactional_db, divisions_present):
    """Whatever specialists the divisions ship, one cycle runs each of them and reports its status."""
    from agents.runtime import registry

    report = run_json()
    assert {r["agent"] for r in report["runs"]} == set(registry.all_agents())
    assert all(r["status"] in {"succeeded", "failed", "skipped"} for r in report["runs"])
    assert Cycle.objects.get(pk=report["cycle"]).status == CycleStatus.DONE


def test_a_second_cycle_the_same_day_does_not_pile_up_twin_proposals(agent_registry_tx):
    """Re-running the day (a second `atlas_run`, `make demo` twice) points at the open proposal."""
    agent_registry_tx(Writer)
    configure(Writer.key, propose=[7, "80.00", 3])
    cycle_start(trigger="manual", sync=True)
    first = list(ProposedAction.objects.values_list("pk", flat=True))
    assert len(first) == 1
    cycle_start(trigger="manual", sync=True)
    assert list(ProposedAction.objects.values_list("pk", flat=True)) == first
    # Other arguments are other work.
    configure(Writer.key, propose=[7, "90.00", 3])
    cycle_start(trigger="manual", sync=True)
    assert ProposedAction.objects.count() == 2
