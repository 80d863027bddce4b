"""RunContext: what an agent sees and may do during one run.

Everything an agent writes goes through here, so that the division, the author run, the drafting
model and the run's counters are filled in the same way for every agent, and an agent's mistake
(a refused proposal, a broken LLM answer) is recorded on its run instead of crashing the cycle.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import connections
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from pydantic import BaseModel

from agents.models import Agent, AgentRun, Cycle, Intent, LLMCall
from agents.runtime.llm import OFFLINE, BudgetExceeded, LLMError, LLMProvider, cost_of, estimate_tokens, get_provider
from agents.runtime.work_slots import WorkSlots
from approvals import services as approval_services
from approvals.errors import ApprovalError
from approvals.models import ProposedAction
from approvals.selectors import open_twin
from brand.clock import brand_day_start
from divisions.models import Division
from memory import selectors as memory_selectors
from memory import services as memory_services

if TYPE_CHECKING:
    from agents.runtime.base import BaseAgent
    from memory.models import MemoryEntry

logger = logging.getLogger(__name__)

SchemaT = TypeVar("SchemaT", bound=BaseModel)

HOUSE_RULES = (
    "You write for a brand's marketing team. Use only the facts given; never invent a number. "
    "Answer with JSON that fits the schema exactly."
)


# How many LLM calls this process has in flight at most (ATLAS_LLM_CONCURRENCY): the runs of a
# phase all start at once, their calls queue here, not in a smaller thread pool.
_llm_slots: tuple[int, threading.BoundedSemaphore] | None = None
_llm_slots_lock = threading.Lock()
_no_slot = contextlib.nullcontext()


def llm_slots() -> threading.BoundedSemaphore:
    global _llm_slots
    size = settings.ATLAS_LLM_CONCURRENCY
    with _llm_slots_lock:
        if _llm_slots is None or _llm_slots[0] != size:
            _llm_slots = (size, threading.BoundedSemaphore(size))
        return _llm_slots[1]


def open_transactions() -> list[str]:
    """The database aliases with a transaction open here (a test case's own wrapping not counted)."""
    return [
        conn.alias
        for conn in connections.all(initialized_only=True)
        if conn.in_atomic_block and not all(getattr(a, "_from_testcase", False) for a in conn.atomic_blocks)
    ]


@dataclass
class RunContext:
    run: AgentRun
    agent: Agent
    impl: BaseAgent
    config: dict[str, Any]
    today: dt.date
    now: dt.datetime
    cycle: Cycle | None = None
    intent: Intent | None = None
    feedback: dict[str, Any] | None = None
    provider: LLMProvider | None = None
    # The process's work slots: `write` gives the run's slot up while it waits for an answer.
    slots: WorkSlots | None = None
    # "offline" until an LLM wrote something for this run; then the model's name.
    drafted_by: str = OFFLINE
    memory_written: int = 0
    proposals: list[ProposedAction] = field(default_factory=list)
    _division: Any = field(default=None, repr=False)

    @property
    def division(self) -> str | None:
        return self.impl.division

    # --- memory ---------------------------------------------------------------------------------
    def remember(self, **kw: Any) -> MemoryEntry:
        if "division" not in kw:
            kw["division"] = self._division_row()
        kw.setdefault("author_run", self.run)
        entry = memory_services.remember(**kw)
        self.memory_written += 1
        return entry

    def remember_many(self, items: Iterable[dict[str, Any]]) -> list[MemoryEntry]:
        """Several facts in one write (a metric per SKU, say): far cheaper than a `remember` each.

        Each item holds `remember`'s keyword arguments; the division and the author run are filled
        in as for `remember`. Returns the entries in the same order.
        """
        division = self._division_row()
        prepared = [{"division": division, "author_run": self.run, **item} for item in items]
        entries = memory_services.remember_many(prepared)
        self.memory_written += len(entries)
        return entries

    def current(self, key: str) -> MemoryEntry | None:
        return memory_selectors.current(key)

    def recall(self, query: str, **kw: Any) -> list[MemoryEntry]:
        return memory_selectors.recall(query, **kw)

    def _division_row(self) -> Any:
        """The agent's Division, looked up once per run (a specialist remembers dozens of facts)."""
        if not self.division:
            return None
        if self._division is None:
            # An unknown slug stays a slug: memory names the problem.
            self._division = Division.objects.filter(slug=self.division).first() or self.division
        return self._division

    # --- proposals ------------------------------------------------------------------------------
    def propose(
        self,
        action_type: str,
        args: dict[str, Any],
        *,
        rationale: str,
        evidence: Iterable[MemoryEntry] = (),
        confidence: float = 0.5,
        priority: float = 0,
        revision_of: ProposedAction | None = None,
    ) -> ProposedAction | None:
        """Propose an action; a refusal by approvals (unknown type, bad arguments, ...) is recorded, not raised."""
        if revision_of is None and self.feedback:
            # A re-run after a send-back links its matching proposal to the one sent back.
            sent_back = self.feedback.get("proposal")
            if sent_back is not None and getattr(sent_back, "action_type", None) == action_type:
                revision_of = sent_back
        already = self._same_open_proposal(action_type, args)
        if already is not None:
            # A second cycle on the same day (or a re-run) must not pile up twins of work that is
            # still waiting for people or was just done: point at the one that exists.
            logger.info("%s: %s already proposed as #%s", self.impl.key, action_type, already.pk)
            return already
        try:
            proposal = approval_services.proposal_create(
                action_type=action_type,
                args=args,
                division=self.division or "",
                rationale=rationale,
                agent_run=self.run,
                agent_key=self.impl.key,
                evidence=evidence,
                confidence=confidence,
                priority=priority,
                drafted_by=self.drafted_by,
                revision_of=revision_of,
            )
        except ApprovalError as exc:
            self.warn(f"proposal {action_type} refused: {exc}")
            return None
        self.proposals.append(proposal)
        return proposal

    def _same_open_proposal(self, action_type: str, args: dict[str, Any]) -> ProposedAction | None:
        """An open proposal (or internal work done in the last day) of this type with the same arguments."""
        try:
            return open_twin(action_type=action_type, args=args)
        except ApprovalError:
            return None  # proposal_create names the problem and the run records it

    def warn(self, message: str) -> None:
        """A problem that does not stop the run, kept on the run for the people reading it."""
        logger.warning("%s run %s: %s", self.impl.key, self.run.pk, message)
        self.run.warnings = [*(self.run.warnings or []), message]
        AgentRun.objects.filter(pk=self.run.pk).update(warnings=self.run.warnings)

    # --- LLM ------------------------------------------------------------------------------------
    @property
    def model(self) -> str:
        return self.agent.llm_model or settings.ATLAS_LLM_MODEL

    def system_prompt(self) -> str:
        instructions = self.agent.instructions_override or self.impl.instructions or self.impl.description
        return f"{HOUSE_RULES}\n\nYou are {self.impl.name} ({self.impl.key}). {instructions}".strip()

    def write(
        self,
        schema: type[SchemaT],
        *,
        task: str,
        facts: dict[str, Any],
        offline: Callable[[], SchemaT],
        purpose: str = "",
    ) -> SchemaT:
        """Ask the provider for prose or drafts fitting `schema`; the offline provider calls `offline()`.

        Raises `LLMError` (recorded as a failed `LLMCall`) when no usable answer came back, and
        `BudgetExceeded` before the call when it would go over a budget.
        """
        provider = self.provider or get_provider()
        system = self.system_prompt()
        prompt = f"{task}\n\nFacts (JSON):\n{json.dumps(facts, default=str, indent=1, sort_keys=True)}"
        purpose = (purpose or task)[:120]
        if provider.name != OFFLINE:
            try:
                self.check_time_left()
                self.check_budget(estimate_tokens(system, prompt))
            except LLMError as exc:
                self._record_call(provider.name, self.model, purpose, ok=False, error=str(exc))
                raise
        if provider.name != OFFLINE and (aliases := open_transactions()):
            # The call would hold the transaction, and on SQLite the write lock, for its whole
            # latency: every other run's write would queue behind it.
            logger.warning(
                "%s run %s: LLM call %r made inside a transaction on %s; call ctx.write before the atomic block.",
                self.impl.key,
                self.run.pk,
                purpose,
                ", ".join(aliases),
            )
        waiting = self.slots.waiting() if self.slots is not None and provider.name != OFFLINE else _no_slot
        try:
            with waiting, llm_slots() if provider.name != OFFLINE else _no_slot:
                result = provider.generate(
                    schema, system=system, prompt=prompt, model=self.model, purpose=purpose, offline=offline
                )
        except LLMError as exc:
            self._record_call(
                provider.name,
                exc.model or self.model,
                purpose,
                ok=False,
                error=str(exc),
                tokens_in=exc.tokens_in,
                tokens_out=exc.tokens_out,
                latency_ms=exc.latency_ms,
            )
            raise
        self._record_call(
            provider.name,
            result.model,
            purpose,
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
            latency_ms=result.latency_ms,
        )
        if result.model != OFFLINE:
            self.drafted_by = result.model
        return result.parsed

    def _record_call(
        self,
        provider: str,
        model: str,
        purpose: str,
        *,
        ok: bool = True,
        error: str = "",
        tokens_in: int = 0,
        tokens_out: int = 0,
        latency_ms: int = 0,
    ) -> LLMCall:
        cost = cost_of(model, tokens_in, tokens_out)
        call = LLMCall.objects.create(
            run=self.run,
            provider=provider,
            model=model,
            purpose=purpose,
            latency_ms=latency_ms,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost=cost,
            ok=ok,
            error=error,
        )
        AgentRun.objects.filter(pk=self.run.pk).update(
            llm_calls=F("llm_calls") + 1,
            tokens_in=F("tokens_in") + tokens_in,
            tokens_out=F("tokens_out") + tokens_out,
            cost=F("cost") + cost,
        )
        return call

    def check_time_left(self) -> None:
        """Refuse a call that, with all its retries, could outlive the task's timeout (the worker would be killed)."""
        worst = settings.ATLAS_LLM_TIMEOUT * (settings.ATLAS_LLM_MAX_RETRIES + 1)
        started = self.run.started_at or self.now
        elapsed = (timezone.now() - started).total_seconds()
        limit = settings.Q_CLUSTER.get("timeout") or 0
        if limit and elapsed + worst >= limit:
            raise LLMError(
                f"No time left for another LLM call: {elapsed:.0f}s into the run, a call may take up to {worst}s, "
                f"the task timeout is {limit}s (Q_TIMEOUT)."
            )

    def check_budget(self, estimated_tokens: int) -> None:
        """Stop before a call that would take the agent or the whole day over a token or cost budget."""
        since = brand_day_start(self.today)
        estimated_cost = cost_of(self.model, estimated_tokens, 0)
        today = AgentRun.objects.filter(queued_at__gte=since)
        zero = Decimal("0")

        def used(qs: Any) -> tuple[int, Decimal]:
            totals = qs.aggregate(
                tokens=Coalesce(Sum(F("tokens_in") + F("tokens_out")), 0), cost=Coalesce(Sum("cost"), zero)
            )
            return int(totals["tokens"]), Decimal(totals["cost"])

        tokens, cost = used(today.filter(agent=self.agent))
        if tokens + estimated_tokens > self.agent.daily_token_budget:
            raise BudgetExceeded(
                f"Agent {self.agent.key} would exceed its daily token budget: {tokens} used today "
                f"+ ~{estimated_tokens} "
                f"for this call > {self.agent.daily_token_budget}. Raise Agent.daily_token_budget or wait for tomorrow."
            )
        if cost + estimated_cost > self.agent.daily_cost_budget:
            raise BudgetExceeded(
                f"Agent {self.agent.key} would exceed its daily cost budget: ${cost} used today + ~${estimated_cost} "
                f"for this call > ${self.agent.daily_cost_budget}."
            )
        tokens, cost = used(today)
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
