"""Agent runs and the daily cycle: create, execute, fan out, advance.

A cycle has three phases: the specialists (fanned out, one django-q2 task each, or threads with
`sync=True`), then the directors, then the orchestrator. The task that finishes the last run of a
phase moves the cycle on with a conditional update, so that exactly one worker starts the next
phase however many finish at once. A failing agent is a failed run; the cycle carries on.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback as tb
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from agents.models import (
    Agent,
    AgentKind,
    AgentRun,
    Cycle,
    CyclePhase,
    CycleStatus,
    Intent,
    RunStatus,
    RunTrigger,
)
from agents.runtime import registry
from agents.runtime.base import RunContext
from agents.runtime.llm import LLMError, get_provider
from agents.runtime.work_slots import work_slots
from atlas_project.audit import Actor, acting_as
from brand.clock import brand_today

if TYPE_CHECKING:
    from approvals.models import ProposedAction

logger = logging.getLogger(__name__)

UNFINISHED = (RunStatus.QUEUED, RunStatus.RUNNING)
ORCHESTRATOR_KEY = "orchestrator"


class CycleError(Exception):
    """A cycle that cannot start: unknown division or agent, nothing to run."""


class CycleAlreadyRunning(CycleError):
    def __init__(self, cycle: Cycle):
        super().__init__(
            f"Cycle {cycle.pk} for {cycle.brand_date} ({cycle.scope or 'all divisions'}) is already running "
            f"since {cycle.started_at:%H:%M:%S}; no second cycle was started."
        )
        self.cycle = cycle


# --- runs ---------------------------------------------------------------------------------------
@transaction.atomic
def agent_run_create(
    *,
    agent_key: str,
    trigger: str,
    cycle: Cycle | None = None,
    intent: Intent | None = None,
    context: dict[str, Any] | None = None,
) -> AgentRun:
    agent = Agent.objects.get(key=agent_key)
    return AgentRun.objects.create(agent=agent, trigger=trigger, cycle=cycle, intent=intent, context=context or {})


def agent_run_execute(*, run_id: int, priority: float = 0) -> AgentRun:
    """Execute one queued run: claim it, run the agent's code, record how it went.

    Never raises for the agent's own failures: they become the run's status, error and traceback.
    The agent's work waits for one of the process's work slots (`priority`: lower goes first) and
    gives it up during LLM calls.
    """
    now = timezone.now()
    claimed = AgentRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now
    )
    run = AgentRun.objects.select_related("agent", "cycle", "intent").get(pk=run_id)
    if not claimed:
        # Delivered twice (a broker retry): the first delivery owns the run.
        return run
    agent = run.agent
    cls = registry.get(agent.key)
    if cls is None or not agent.enabled:
        why = "its code is gone" if cls is None else "it is disabled"
        return _finish(run, RunStatus.SKIPPED, error=f"Agent {agent.key} was not run: {why}.")

    impl = cls()
    slots = work_slots()
    ctx = RunContext(
        run=run,
        agent=agent,
        impl=impl,
        config={**cls.defaults, **(agent.config or {})},
        today=run.cycle.brand_date if run.cycle else brand_today(),
        now=now,
        cycle=run.cycle,
        intent=run.intent,
        feedback=_feedback(run),
        provider=get_provider(),
        slots=slots,
    )
    with acting_as(Actor.for_agent_run(agent.key, run.pk)), slots.holding(priority):
        try:
            impl.run(ctx)
            ctx.answer_send_back()
        except LLMError as exc:
            # Already recorded as a failed LLMCall; the run stops with the reason in words.
            return _finish(run, RunStatus.FAILED, error=f"LLM: {exc}", trace=tb.format_exc())
        except Exception as exc:
            logger.exception("agent %s run %s failed", agent.key, run.pk)
            return _finish(run, RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}", trace=tb.format_exc())
    return _finish(run, RunStatus.SUCCEEDED)


def _feedback(run: AgentRun) -> dict[str, Any] | None:
    feedback = (run.context or {}).get("feedback")
    if not feedback:
        return None
    from approvals.models import ProposedAction

    proposal = ProposedAction.objects.filter(pk=feedback.get("proposal_id")).first()
    return {"comment": feedback.get("comment", ""), "proposal": proposal}


def agent_run_finish(*, run: AgentRun, status: str, error: str = "") -> AgentRun:
    """Close a run whose work was done outside `agent_run_execute` (the demo's past, replayed)."""
    return _finish(run, status, error=error)


def _finish(run: AgentRun, status: str, *, error: str = "", trace: str = "") -> AgentRun:
    AgentRun.objects.filter(pk=run.pk).update(status=status, error=error, traceback=trace, finished_at=timezone.now())
    run.refresh_from_db()
    return run


def agent_run_start(
    *,
    agent_key: str,
    trigger: str,
    intent: Intent | None = None,
    context: dict[str, Any] | None = None,
    sync: bool = False,
) -> AgentRun:
    """One run outside a cycle (an intent, a revision): queued on the cluster, or run here with sync."""
    if registry.get(agent_key) is None:
        raise CycleError(f"No agent {agent_key!r} is registered.")
    registry.sync_agents()
    run = agent_run_create(agent_key=agent_key, trigger=trigger, intent=intent, context=context)
    if sync:
        return agent_run_execute(run_id=run.pk)
    _enqueue([run.pk])
    return run


def agent_rerun_for_revision(*, proposal: ProposedAction, comment: str, sync: bool = False) -> AgentRun | None:
    """Re-run the agent that made a sent-back proposal, with the comment, so that it drafts a revision."""
    if not proposal.agent_key or registry.get(proposal.agent_key) is None:
        return None
    return agent_run_start(
        agent_key=proposal.agent_key,
        trigger=RunTrigger.REVISION,
        context={"feedback": {"comment": comment, "proposal_id": proposal.pk}},
        sync=sync,
    )


# --- cycles -------------------------------------------------------------------------------------
def _scope_keys(*, division: str | None, agent_key: str | None) -> tuple[str, list[str]]:
    """The cycle's scope label and the registered keys it covers; unknown names are errors."""
    agents = registry.all_agents()
    if agent_key:
        if agent_key not in agents:
            raise CycleError(f"No agent {agent_key!r} is registered. Known: {', '.join(agents)}.")
        return f"agent:{agent_key}", [agent_key]
    if division:
        from divisions.models import Division

        if not Division.objects.filter(slug=division).exists():
            known = ", ".join(Division.objects.values_list("slug", flat=True))
            raise CycleError(f"No division {division!r}. Known: {known}.")
        return f"division:{division}", [k for k, c in agents.items() if c.division == division]
    return "", list(agents)


def cycle_start(
    *, trigger: str, division: str | None = None, agent_key: str | None = None, sync: bool = False
) -> Cycle:
    """Start the cycle of the brand day (or of one division / one agent).

    Raises `CycleAlreadyRunning` (with `.cycle`) when one is running for that day and scope.
    With `sync` the whole cycle runs here and the finished cycle is returned.
    """
    registry.sync_agents()
    scope, keys = _scope_keys(division=division, agent_key=agent_key)
    day = brand_today()
    _abandon_stale(day, scope)
    try:
        with transaction.atomic():
            cycle = Cycle.objects.create(brand_date=day, trigger=trigger, scope=scope)
            run_ids = _create_phase_runs(cycle, keys, CyclePhase.SPECIALISTS)
    except IntegrityError:
        running = Cycle.objects.filter(brand_date=day, scope=scope, status=CycleStatus.RUNNING).first()
        if running is None:
            raise
        raise CycleAlreadyRunning(running) from None
    if sync:
        _run_sync(cycle, run_ids)
        cycle.refresh_from_db()
        return cycle
    if run_ids:
        transaction.on_commit(lambda: _enqueue(run_ids))
    else:
        transaction.on_commit(lambda: cycle_advance(cycle_id=cycle.pk))
    return cycle


def _phase_kind(phase: str) -> str | None:
    kinds: dict[str, str] = {
        CyclePhase.SPECIALISTS: AgentKind.SPECIALIST,
        CyclePhase.DIRECTORS: AgentKind.DIRECTOR,
        CyclePhase.ORCHESTRATOR: AgentKind.ORCHESTRATOR,
    }
    return kinds.get(phase)


def _keys_for_phase(cycle: Cycle, phase: str) -> list[str]:
    agents = registry.all_agents()
    kind = _phase_kind(phase)
    if cycle.scope.startswith("agent:"):
        key = cycle.scope.removeprefix("agent:")
        return [key] if key in agents and agents[key].kind == kind else []
    if cycle.scope.startswith("division:"):
        slug = cycle.scope.removeprefix("division:")
        # A one-division cycle has no briefing: the orchestrator synthesises the whole brand.
        return [k for k, c in agents.items() if c.kind == kind and c.division == slug]
    return [k for k, c in agents.items() if c.kind == kind]


def _create_phase_runs(cycle: Cycle, keys: Iterable[str], phase: str) -> list[int]:
    wanted = set(_keys_for_phase(cycle, phase)) & set(keys) if phase == CyclePhase.SPECIALISTS else None
    keys = sorted(wanted) if wanted is not None else _keys_for_phase(cycle, phase)
    trigger = cycle.trigger if cycle.trigger in RunTrigger.values else RunTrigger.MANUAL
    agents = {a.key: a for a in Agent.objects.filter(key__in=keys)}
    ids: list[int] = []
    for key in keys:
        agent = agents.get(key)
        if agent is None:
            continue
        run = AgentRun.objects.create(agent=agent, cycle=cycle, trigger=trigger)
        if not agent.enabled or (cycle.trigger == RunTrigger.SCHEDULE and agent.schedule == "manual"):
            why = "disabled" if not agent.enabled else "manual only"
            _finish(run, RunStatus.SKIPPED, error=f"Agent {key} is {why}; not run.")
            continue
        ids.append(run.pk)
    return ids


_NEXT: dict[str, str] = {
    CyclePhase.SPECIALISTS: CyclePhase.DIRECTORS,
    CyclePhase.DIRECTORS: CyclePhase.ORCHESTRATOR,
    CyclePhase.ORCHESTRATOR: CyclePhase.FINISHED,
}


def cycle_advance(*, cycle_id: int, enqueue: Callable[[list[int]], None] | None = None) -> list[int]:
    """Move the cycle to its next phase once every run of the current one is done; returns the new runs.

    Called by each run's task; the conditional update lets only one caller through per phase. The
    new runs go to the cluster, or to `enqueue` (the in-process cycle runs them itself).
    """
    enqueue = enqueue or _enqueue
    while True:
        cycle = Cycle.objects.get(pk=cycle_id)
        if cycle.status != CycleStatus.RUNNING or cycle.phase == CyclePhase.FINISHED:
            return []
        if cycle.runs.filter(status__in=UNFINISHED).exists():
            return []
        nxt = _NEXT[cycle.phase]
        with transaction.atomic():
            moved = Cycle.objects.filter(pk=cycle.pk, phase=cycle.phase, status=CycleStatus.RUNNING).update(phase=nxt)
            if not moved:
                return []
            if nxt == CyclePhase.FINISHED:
                _cycle_finish(cycle)
                return []
            cycle.phase = nxt
            run_ids = _create_phase_runs(cycle, (), nxt)
        if run_ids:
            enqueue(run_ids)
            return run_ids
        # An empty phase (no orchestrator registered, a one-agent cycle): straight to the next.


def _cycle_finish(cycle: Cycle) -> None:
    failed = cycle.runs.filter(status=RunStatus.FAILED).count()
    Cycle.objects.filter(pk=cycle.pk).update(
        status=CycleStatus.DONE,
        phase=CyclePhase.FINISHED,
        finished_at=timezone.now(),
        error=f"{failed} run(s) failed; see their errors." if failed else "",
    )


def _run_sync(cycle: Cycle, run_ids: list[int]) -> None:
    """The whole cycle in this process; each phase's runs concurrently in threads (their LLM calls are I/O)."""
    try:
        while True:
            _run_threads(run_ids)
            cycle.refresh_from_db()
            if cycle.phase == CyclePhase.FINISHED or cycle.status != CycleStatus.RUNNING:
                return
            run_ids = _advance_sync(cycle.pk)
            cycle.refresh_from_db()
            if cycle.status != CycleStatus.RUNNING:
                return
    except Exception as exc:
        Cycle.objects.filter(pk=cycle.pk).update(
            status=CycleStatus.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"
        )
        raise


def _advance_sync(cycle_id: int) -> list[int]:
    """Like `cycle_advance`, but hands the new runs back to the caller instead of the cluster."""
    collected: list[int] = []
    cycle_advance(cycle_id=cycle_id, enqueue=collected.extend)
    return collected


def _run_threads(run_ids: list[int]) -> None:
    """Every run of the phase at once, a thread each, longest expected LLM chain first.

    A run is mostly waiting (its LLM calls), so a pool smaller than the phase would make the second
    half of the specialists wait for the first half's calls: 16 specialists on 8 threads take two
    rounds of LLM latency. How many calls are in flight at once is bounded separately, in
    `RunContext.write`, by ATLAS_LLM_CONCURRENCY; how many runs work between calls, by the work
    slots (`agents.runtime.work_slots`), which serve the runs in the order given here.
    """
    if not run_ids:
        return
    if len(run_ids) == 1:
        agent_run_execute(run_id=run_ids[0])
        return
    ordered = longest_chains_first(run_ids)
    with ThreadPoolExecutor(max_workers=len(ordered), thread_name_prefix="atlas-agent") as pool:
        list(pool.map(_execute_in_thread, ordered, range(len(ordered))))


def longest_chains_first(run_ids: list[int]) -> list[int]:
    """The runs, those whose agent made the most LLM calls in its last finished run first.

    Those calls are the cycle's critical path: the sooner such a run reaches its first call, the
    sooner the phase can end. An agent never run before counts as none; ties keep the given order.
    """
    last_calls = (
        AgentRun.objects.filter(agent=OuterRef("agent"), finished_at__isnull=False)
        .order_by("-finished_at")
        .values("llm_calls")[:1]
    )
    expected = dict(
        AgentRun.objects.filter(pk__in=run_ids).annotate(expected=Subquery(last_calls)).values_list("pk", "expected")
    )
    return sorted(run_ids, key=lambda pk: -(expected.get(pk) or 0))


def _execute_in_thread(run_id: int, priority: int) -> None:
    try:
        agent_run_execute(run_id=run_id, priority=priority)
    finally:
        # Each worker thread has its own connection; leaving it open would leak one per thread.
        connections.close_all()


def run_batch(run_ids: list[int]) -> list[AgentRun]:
    """Execute a batch of queued runs concurrently (one cluster task), then move their cycles on."""
    _run_threads(run_ids)
    runs = list(AgentRun.objects.filter(pk__in=run_ids).select_related("agent"))
    for cycle_id in sorted({r.cycle_id for r in runs if r.cycle_id}):
        cycle_advance(cycle_id=cycle_id)
    return runs


def _batches(run_ids: list[int], count: int) -> list[list[int]]:
    """`run_ids` dealt round-robin into at most `count` non-empty batches."""
    count = max(1, min(count, len(run_ids)))
    return [run_ids[i::count] for i in range(count)]


def _enqueue(run_ids: list[int]) -> None:
    """One cluster task per worker, each running its share of the phase in threads.

    A task per run would leave the phase's concurrency at the number of workers (2 on a small
    machine): 16 specialists would take eight rounds of LLM latency instead of one.
    """
    from django_q.tasks import async_task

    # Dealt in chain order, so that each worker starts its share of the longest chains first.
    for batch in _batches(longest_chains_first(run_ids), settings.Q_CLUSTER.get("workers") or 1):
        if len(batch) == 1:
            async_task(
                "agents.runtime.tasks.run_agent", batch[0], task_name=f"agent-run-{batch[0]}", group="atlas-agents"
            )
        else:
            name = f"agent-runs-{batch[0]}-{len(batch)}"
            async_task("agents.runtime.tasks.run_agents", batch, task_name=name, group="atlas-agents")


def _abandon_stale(day: dt.date, scope: str) -> None:
    """A cycle whose process died (no run moved for twice the task timeout) must not block the day."""
    limit = timezone.now() - dt.timedelta(seconds=2 * settings.Q_CLUSTER["timeout"] + 60)
    for cycle in Cycle.objects.filter(brand_date=day, scope=scope, status=CycleStatus.RUNNING):
        last = cycle.runs.aggregate(last=Max("finished_at"), started=Max("started_at"), queued=Max("queued_at"))
        moments = [m for m in (cycle.started_at, *last.values()) if m is not None]
        if max(moments) < limit:
            cycle.runs.filter(status__in=UNFINISHED).update(
                status=RunStatus.FAILED, error="Abandoned: the worker running it stopped.", finished_at=timezone.now()
            )
            Cycle.objects.filter(pk=cycle.pk, status=CycleStatus.RUNNING).update(
                status=CycleStatus.FAILED,
                finished_at=timezone.now(),
                error="Abandoned: no run moved for longer than twice the task timeout.",
            )


def cycle_progress(cycle: Cycle) -> dict[str, int]:
    counts = {s: 0 for s in RunStatus.values}
    for status in cycle.runs.values_list("status", flat=True):
        counts[status] += 1
    return counts
