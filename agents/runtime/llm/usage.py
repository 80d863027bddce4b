"""LLM usage: the call slots, the time and budget checks, and the record of every call.

A call to a provider is *reserved* before it is made: one short transaction locks the day, sums
what today's calls used or hold reserved, refuses the call when its prompt's estimate plus its
answer's allowance (the max_tokens the call is made with) would go over the agent's or the day's
token or cost budget, and inserts the call's row holding both. After the call the row is *settled*
with the real usage (or *released* when no usable answer came). So the sixteen specialists of a
cycle, calling at once, see each other's reservations, answers included, and cannot overshoot
together, which summing finished runs could not promise.

A reservation whose worker died mid-call (SIGKILL, a lost machine) is never settled; once the
call's longest possible life has passed it is *abandoned*: released by a schedule and at the start
of each cycle (`calls_abandon_orphans`), so it stops holding the day's budget.

The LLM call itself never runs inside a transaction: the reservation is committed before it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from agents.models import Agent, AgentRun, CallState, LLMBudgetDay, LLMCall
from agents.runtime.llm.base import BudgetExceeded, LLMError, LLMResult, cost_of, estimate_tokens, unpriced
from brand.clock import brand_day_start

if TYPE_CHECKING:
    from agents.runtime.work_slots import WorkSlots

logger = logging.getLogger(__name__)

# How many LLM calls this process has in flight at most (ATLAS_LLM_CONCURRENCY): the runs of a
# phase all start at once, their calls queue here, not in a smaller thread pool.
_llm_slots: tuple[int, threading.BoundedSemaphore] | None = None
_llm_slots_lock = threading.Lock()


def llm_slots() -> threading.BoundedSemaphore:
    global _llm_slots
    size = settings.ATLAS_LLM_CONCURRENCY
    with _llm_slots_lock:
        if _llm_slots is None or _llm_slots[0] != size:
            _llm_slots = (size, threading.BoundedSemaphore(size))
        return _llm_slots[1]


@contextlib.contextmanager
def in_flight(work_slots: WorkSlots | None) -> Iterator[None]:
    """Hold one of the process's LLM slots, giving the run's work slot up while its call is out."""
    waiting = work_slots.waiting() if work_slots is not None else contextlib.nullcontext()
    with waiting, llm_slots():
        yield


def open_transactions() -> list[str]:
    """The database aliases with a transaction open here (a test case's own wrapping not counted)."""
    return [
        conn.alias
        for conn in connections.all(initialized_only=True)
        if conn.in_atomic_block and not all(getattr(a, "_from_testcase", False) for a in conn.atomic_blocks)
    ]


@dataclass(frozen=True)
class CallRequest:
    """What one call asks and for whom: the row it is recorded as, and the budgets it counts against."""

    run: AgentRun
    agent: Agent
    today: dt.date
    provider: str
    model: str
    purpose: str
    system: str
    prompt: str
    # The answer's allowance: the call's max_tokens, reserved with the prompt (`answer_allowance`).
    max_output_tokens: int = 0


def time_left_check(*, started: dt.datetime) -> None:
    """Refuse a call that, with all its retries, could outlive the task's timeout (the worker would be killed)."""
    worst = settings.ATLAS_LLM_TIMEOUT * (settings.ATLAS_LLM_MAX_RETRIES + 1)
    elapsed = (timezone.now() - started).total_seconds()
    limit = settings.Q_CLUSTER.get("timeout") or 0
    if limit and elapsed + worst >= limit:
        raise LLMError(
            f"No time left for another LLM call: {elapsed:.0f}s into the run, a call may take up to {worst}s, "
            f"the task timeout is {limit}s (Q_TIMEOUT)."
        )


def _used(calls: QuerySet[LLMCall]) -> tuple[int, Decimal]:
    """Tokens and cost of the calls: the real usage of settled ones, the estimate of reserved ones."""
    totals = calls.aggregate(
        tokens=Coalesce(Sum(F("tokens_in") + F("tokens_out")), 0), cost=Coalesce(Sum("cost"), Decimal("0"))
    )
    return int(totals["tokens"]), Decimal(totals["cost"])


def _budget_check(request: CallRequest, since: dt.datetime, estimated_tokens: int, estimated_cost: Decimal) -> None:
    """Refuse the call when what it reserves (prompt and answer allowance) would take a budget over."""
    agent = request.agent
    today = LLMCall.objects.filter(started_at__gte=since)
    tokens, cost = _used(today.filter(run__agent=agent))
    if tokens + estimated_tokens > agent.daily_token_budget:
        raise BudgetExceeded(
            f"Agent {agent.key} would exceed its daily token budget: {tokens} used today "
            f"+ ~{estimated_tokens} for this call (prompt and up to {request.max_output_tokens} answer tokens) "
            f"> {agent.daily_token_budget}. "
            "Raise Agent.daily_token_budget or wait for tomorrow."
        )
    if cost + estimated_cost > agent.daily_cost_budget:
        raise BudgetExceeded(
            f"Agent {agent.key} would exceed its daily cost budget: ${cost} used today + ~${estimated_cost} "
            f"for this call > ${agent.daily_cost_budget}."
        )
    tokens, cost = _used(today)
    if tokens + estimated_tokens > settings.ATLAS_DAILY_TOKEN_BUDGET:
        raise BudgetExceeded(
            f"The day's token budget would be exceeded: {tokens} used today by all agents + ~{estimated_tokens} "
            f"> ATLAS_DAILY_TOKEN_BUDGET={settings.ATLAS_DAILY_TOKEN_BUDGET}."
        )
    if cost + estimated_cost > settings.ATLAS_DAILY_COST_BUDGET:
        raise BudgetExceeded(
            f"The day's cost budget would be exceeded: ${cost} used today by all agents + ~${estimated_cost} "
            f"> ATLAS_DAILY_COST_BUDGET={settings.ATLAS_DAILY_COST_BUDGET}."
        )


def call_reserve(*, request: CallRequest, started: dt.datetime) -> LLMCall:
    """Reserve the call's estimate against the budgets; raises `LLMError` (recorded as a refused call) instead.

    The check and the insert are one transaction behind the day's lock, so concurrent reservations
    are decided one after the other. Call it outside any transaction of the caller's, or the
    reservation stays invisible to the others until that transaction commits.
    """
    prompt_tokens = estimate_tokens(request.system, request.prompt)
    answer_tokens = request.max_output_tokens
    try:
        time_left_check(started=started)
        if problem := unpriced(request.model):
            raise LLMError(problem)
        estimated_cost = cost_of(request.model, prompt_tokens, answer_tokens)
        since = brand_day_start(request.today)
        with transaction.atomic():
            day, _ = LLMBudgetDay.objects.get_or_create(day_start=since)
            LLMBudgetDay.objects.select_for_update().filter(pk=day.pk).first()
            _budget_check(request, since, prompt_tokens + answer_tokens, estimated_cost)
            return LLMCall.objects.create(
                **_identity(request),
                state=CallState.RESERVED,
                estimated_tokens=prompt_tokens + answer_tokens,
                tokens_in=prompt_tokens,
                tokens_out=answer_tokens,
                cost=estimated_cost,
            )
    except LLMError as exc:
        call_record(request=request, ok=False, error=str(exc))
        raise


def call_settle(*, call: LLMCall, result: LLMResult) -> LLMCall:
    """The call answered: its real usage replaces the reservation, and the run's counters add it up."""
    return _close(
        call,
        state=CallState.SETTLED,
        ok=True,
        model=result.model,
        tokens_in=result.tokens_in,
        tokens_out=result.tokens_out,
        latency_ms=result.latency_ms,
        response=result.text,
        finish_reason=result.finish_reason,
    )


def call_release(*, call: LLMCall, error: BaseException) -> LLMCall:
    """The call gave no usable answer: the reservation is freed; what was still billed stays counted."""
    if isinstance(error, LLMError):
        return _close(
            call,
            state=CallState.RELEASED,
            ok=False,
            error=str(error),
            model=error.model or call.model,
            tokens_in=error.tokens_in,
            tokens_out=error.tokens_out,
            latency_ms=error.latency_ms,
            response=error.response,
            finish_reason=error.finish_reason,
        )
    return _close(call, state=CallState.RELEASED, ok=False, error=f"{type(error).__name__}: {error}")


def call_record(*, request: CallRequest, ok: bool = True, error: str = "", result: LLMResult | None = None) -> LLMCall:
    """A call that reserved nothing: the offline provider's, or one refused before it was made."""
    call = LLMCall.objects.create(**_identity(request), state=CallState.RELEASED if not ok else CallState.SETTLED)
    if result is not None:
        return call_settle(call=call, result=result)
    return _close(call, state=call.state, ok=ok, error=error)


def storable(text: str) -> str:
    """Text as the database keeps it: a model may answer with NUL bytes, which PostgreSQL's text
    columns refuse (the write would fail and take the run, and the morning's briefing, with it)."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _identity(request: CallRequest) -> dict[str, Any]:
    return {
        "run": request.run,
        "provider": request.provider,
        "model": request.model,
        "purpose": storable(request.purpose),
        "system_prompt": storable(request.system),
        "prompt": storable(request.prompt),
        "max_output_tokens": request.max_output_tokens,
    }


def _close(
    call: LLMCall,
    *,
    state: str,
    ok: bool,
    error: str = "",
    model: str = "",
    tokens_in: int = 0,
    tokens_out: int = 0,
    latency_ms: int = 0,
    response: str = "",
    finish_reason: str = "",
) -> LLMCall:
    model = model or call.model
    cost = cost_of(model, tokens_in, tokens_out)
    with transaction.atomic():
        LLMCall.objects.filter(pk=call.pk).update(
            state=state,
            ok=ok,
            error=storable(error),
            model=model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost=cost,
            latency_ms=latency_ms,
            response=storable(response),
            finish_reason=finish_reason[:40],
        )
        AgentRun.objects.filter(pk=call.run_id).update(
            llm_calls=F("llm_calls") + 1,
            tokens_in=F("tokens_in") + tokens_in,
            tokens_out=F("tokens_out") + tokens_out,
            cost=F("cost") + cost,
        )
    call.refresh_from_db()
    return call


def call_longest_life() -> dt.timedelta:
    """How long after its reservation a call can still be settled: every attempt at its timeout
    (the provider's own deadline), plus ATLAS_LLM_RESERVATION_MARGIN for the settling itself."""
    worst = settings.ATLAS_LLM_TIMEOUT * (settings.ATLAS_LLM_MAX_RETRIES + 1)
    return dt.timedelta(seconds=worst + settings.ATLAS_LLM_RESERVATION_MARGIN)


def calls_abandon_orphans(*, now: dt.datetime | None = None) -> list[int]:
    """Release the reservations older than a call's longest life: their worker died mid-call.

    Each is marked abandoned (a conditional update: a call that settles at the same moment keeps
    its real usage), its hold on the day's budget freed, and logged. Returns the calls' ids.
    """
    now = now or timezone.now()
    life = call_longest_life()
    orphans = LLMCall.objects.filter(state=CallState.RESERVED, started_at__lt=now - life)
    abandoned: list[int] = []
    for pk, run_id, reserved, started_at in orphans.values_list("pk", "run_id", "estimated_tokens", "started_at"):
        error = (
            f"Abandoned: reserved ~{reserved} tokens at {started_at:%Y-%m-%d %H:%M:%S %Z} and never settled within "
            f"{life.total_seconds():.0f}s (ATLAS_LLM_TIMEOUT x attempts + ATLAS_LLM_RESERVATION_MARGIN): "
            "the worker making the call was killed or lost. Its reservation was released; what the "
            "provider billed for it, if anything, is not known."
        )
        released = LLMCall.objects.filter(pk=pk, state=CallState.RESERVED).update(
            state=CallState.ABANDONED, ok=False, error=error, tokens_in=0, tokens_out=0, cost=Decimal("0")
        )
        if released:
            logger.warning("LLM call %s of run %s abandoned: %s", pk, run_id, error)
            abandoned.append(pk)
    return abandoned


def calls_abandon_orphans_task() -> int:
    """The schedule's task: release the reservations of calls whose worker died."""
    return len(calls_abandon_orphans())


def llm_log_prune(*, days: int | None = None, dry_run: bool = False, now: dt.datetime | None = None) -> int:
    """Empty the prompt and response texts of the calls older than `days` (ATLAS_LLM_LOG_RETENTION_DAYS).

    The rows stay: they carry the tokens and the cost the runs and the budgets add up. Returns how
    many calls had text to empty (or would have, with `dry_run`).
    """
    days = settings.ATLAS_LLM_LOG_RETENTION_DAYS if days is None else days
    if days < 0:
        raise ValueError(f"llm_log_prune: days must be 0 or more, got {days}")
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    old = LLMCall.objects.filter(started_at__lt=cutoff).exclude(system_prompt="", prompt="", response="")
    if dry_run:
        return old.count()
    return old.update(system_prompt="", prompt="", response="")


def llm_log_prune_task() -> int:
    """The daily schedule's task: prune with the configured retention."""
    return llm_log_prune()


__all__ = [
    "CallRequest",
    "call_longest_life",
    "call_record",
    "call_release",
    "call_reserve",
    "call_settle",
    "calls_abandon_orphans",
    "calls_abandon_orphans_task",
    "in_flight",
    "llm_log_prune",
    "llm_log_prune_task",
    "llm_slots",
    "open_transactions",
    "time_left_check",
]
