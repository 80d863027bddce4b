"""RunContext: what an agent sees and may do during one run.

Everything an agent writes goes through here, so that the division, the author run, the drafting
model and the run's counters are filled in the same way for every agent, and an agent's mistake
(a refused proposal, a broken LLM answer) is recorded on its run instead of crashing the cycle.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.conf import settings
from django.db import transaction
from pydantic import BaseModel

from agents.models import Agent, AgentRun, Cycle, Intent
from agents.runtime.llm import OFFLINE, LLMError, LLMProvider, answer_allowance, get_provider
from agents.runtime.llm import usage as llm_usage
from agents.runtime.llm.usage import open_transactions
from agents.runtime.revising import revise
from agents.runtime.work_slots import WorkSlots
from approvals import selectors as approval_selectors
from approvals import services as approval_services
from approvals.errors import ApprovalError
from approvals.models import ProposedAction, Status
from approvals.selectors import open_twin
from divisions.models import Division
from memory import selectors as memory_selectors
from memory import services as memory_services
from memory.writes import SUBJECT_MAX_LENGTH

if TYPE_CHECKING:
    from agents.runtime.base import BaseAgent
    from memory.models import MemoryEntry

logger = logging.getLogger(__name__)

SchemaT = TypeVar("SchemaT", bound=BaseModel)

__all__ = ["Drafted", "Proposal", "RunContext", "open_transactions"]

# The memory and the work on the call's targets that every prompt carries, in tokens (chars / 4):
# fixed, so the prompt stays the same size however much the team remembers.
CONTEXT_BUDGET_TOKENS = 700
# Facts naming what a call is about, and the target key each one makes ("sku" -> "sku:LA-220").
TARGET_FACTS = {"sku": "sku", "campaign_id": "campaign", "campaign": "campaign", "segment": "segment"}

HOUSE_RULES = (
    "You write for a brand's marketing team. Use only the facts given; never invent a number. "
    "Answer with JSON that fits the schema exactly."
)


class _Refused(Exception):
    """One proposal of a set was refused: the set's transaction rolls back."""


@dataclass(frozen=True)
class Proposal:
    """One proposal of several that belong together (`RunContext.propose_together`); `propose`'s arguments."""

    action_type: str
    args: dict[str, Any]
    rationale: str
    evidence: Iterable[MemoryEntry] = ()
    confidence: float = 0.5
    priority: float = 0
    revision_of: ProposedAction | None = None


@dataclass(frozen=True)
class Drafted(Generic[SchemaT]):
    """What `RunContext.draft` wrote, and who: the model, or "offline" when the template stood in."""

    value: SchemaT
    drafted_by: str


def _labelled(fact: dict[str, Any]) -> dict[str, Any]:
    """A fact whose subject fits memory's label: agents build subjects from brand data (a product's
    255-character title), and a long name must not cost the run its facts."""
    subject = fact.get("subject")
    if isinstance(subject, str) and len(subject) > SUBJECT_MAX_LENGTH:
        return {**fact, "subject": subject[: SUBJECT_MAX_LENGTH - 1] + "…"}
    return fact


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
    _division: Division | str | None = field(default=None, repr=False)

    @property
    def division(self) -> str | None:
        return self.impl.division

    # --- memory ---------------------------------------------------------------------------------
    def remember(self, **kw: Any) -> MemoryEntry:
        if "division" not in kw:
            kw["division"] = self._division_row()
        kw.setdefault("author_run", self.run)
        entry = memory_services.remember(**_labelled(kw))
        self.memory_written += 1
        return entry

    def remember_many(self, items: Iterable[dict[str, Any]]) -> list[MemoryEntry]:
        """Several facts in one write (a metric per SKU, say): far cheaper than a `remember` each.

        Each item holds `remember`'s keyword arguments; the division and the author run are filled
        in as for `remember`. Returns the entries in the same order.
        """
        division = self._division_row()
        prepared = [_labelled({"division": division, "author_run": self.run, **item}) for item in items]
        entries = memory_services.remember_many(prepared)
        self.memory_written += len(entries)
        return entries

    def current(self, key: str) -> MemoryEntry | None:
        return memory_selectors.current(key)

    def recall(self, query: str, **kw: Any) -> list[MemoryEntry]:
        return memory_selectors.recall(query, **kw)

    def _division_row(self) -> Division | str | None:
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
        if revision_of is not None and self.feedback and self.feedback.get("proposal") == revision_of:
            # A re-run after a send-back never hands back a silent twin: the revision says what changed
            # and why, or that the comment could not be acted on (see agents.runtime.revising).
            revised = revise(original=revision_of, args=args, comment=str(self.feedback.get("comment") or ""))
            args = revised.args
            if revised.note:
                rationale = f"{revised.note}\n\n{rationale}"
        # The person who asked for the work is its requester: four-eyes keeps them off its approvers.
        # A revision keeps the requester of the proposal it revises.
        requester = self.intent.user if self.intent is not None else None
        if requester is None and revision_of is not None:
            requester = revision_of.proposed_by
        already = self._same_open_proposal(action_type, args)
        if already is not None:
            # A second cycle on the same day (or a re-run) must not pile up twins of work that is
            # still waiting for people or was just done: point at the one that exists.
            logger.info("%s: %s already proposed as #%s", self.impl.key, action_type, already.pk)
            return already
        honoured = self._after_rejection(action_type, args, rationale)
        if honoured is None:
            return None
        # What people said when they sent back this agent's earlier proposals of this kind travels
        # with the new one, so the console shows the comment next to the work that answers it.
        evidence = [*evidence, *self.feedback_for(action_type)]
        try:
            proposal = approval_services.proposal_create(
                action_type=action_type,
                args=args,
                division=self.division or "",
                rationale=honoured,
                agent_run=self.run,
                agent_key=self.impl.key,
                proposed_by=requester,
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

    def _after_rejection(self, action_type: str, args: dict[str, Any], rationale: str) -> str | None:
        """The rationale to propose with, or None when a person rejected this on the same target
        within the cooldown and nothing it rested on has moved materially since (a warning says so)."""
        rejection = approval_selectors.recent_rejection(action_type, args)
        if rejection is None:
            return rationale
        changes = approval_selectors.basis_changes(rejection.proposal, args=args)
        if not changes and self.intent is not None:
            # A person asking for it now is a newer decision than the rejection: propose, and say so.
            asker = self.intent.user.get_username() if self.intent.user_id else "a person"
            return f"{rationale}\n\n{rejection.describe()}; proposed again because {asker} asked for it."
        if not changes:
            self.warn(
                f"{action_type} {args} not proposed: {rejection.describe()}, and nothing it rested on moved by more "
                f"than {settings.ATLAS_REJECT_MATERIAL_CHANGE:.0%} since (cooldown until {rejection.until:%Y-%m-%d})"
            )
            return None
        return f"{rationale}\n\nSince {rejection.describe()}: {'; '.join(changes)}."

    def answer_send_back(self) -> ProposedAction | None:
        """After a revision run: the proposal sent back is answered even when the agent proposed nothing
        for it (its analysis no longer picks that target, say), by proposing it again through `propose`,
        which applies what the comment plainly asks or says that it could not act on it."""
        sent_back = (self.feedback or {}).get("proposal")
        if sent_back is None or sent_back.status != Status.SENT_BACK:
            return None
        if any(p.revision_of_id == sent_back.pk for p in self.proposals) or sent_back.revisions.exists():
            return None
        return self.propose(
            sent_back.action_type,
            dict(sent_back.args),
            rationale=sent_back.rationale,
            evidence=list(sent_back.evidence.all()),
            confidence=sent_back.confidence,
            priority=sent_back.priority,
            revision_of=sent_back,
        )

    def feedback_for(self, action_type: str, limit: int = 5) -> list[MemoryEntry]:
        """People's send-back comments on this agent's proposals of this type, newest first."""
        return memory_selectors.feedback_for(self.impl.key, action_type, limit=limit)

    def _same_open_proposal(self, action_type: str, args: dict[str, Any]) -> ProposedAction | None:
        """An open proposal (or internal work done in the last day) of this type with the same arguments."""
        try:
            return open_twin(action_type=action_type, args=args)
        except ApprovalError:
            return None  # proposal_create names the problem and the run records it

    def propose_together(self, *proposals: Proposal) -> list[ProposedAction]:
        """Proposals that belong together (a discount and the e-mail announcing it): all made, or none.

        One transaction around them; a refusal of any rolls the others back and leaves one warning
        naming it. Draft their texts (`write`) before calling this: no LLM call inside the transaction.
        """
        kept, warned = len(self.proposals), list(self.run.warnings or [])
        made: list[ProposedAction] = []
        try:
            with transaction.atomic():
                for p in proposals:
                    proposal = self.propose(
                        p.action_type,
                        p.args,
                        rationale=p.rationale,
                        evidence=p.evidence,
                        confidence=p.confidence,
                        priority=p.priority,
                        revision_of=p.revision_of,
                    )
                    if proposal is None:
                        raise _Refused
                    made.append(proposal)
                # Decided together in the console: approving one half alone is what the bundle warns of.
                approval_services.proposals_bundle(proposals=made)
        except _Refused:
            # The refusal's warning was rolled back with the rest: say it again, for the whole set.
            refusals = (self.run.warnings or [])[len(warned) :]
            del self.proposals[kept:]
            self.run.warnings = warned
            names = " + ".join(p.action_type for p in proposals)
            self.warn(f"{names} belong together, so none was proposed: {'; '.join(refusals)}")
            return []
        return made

    def hold(
        self,
        proposal: ProposedAction,
        *,
        reason: str,
        bundle: Iterable[ProposedAction] = (),
        note: dict[str, Any] | None = None,
    ) -> ProposedAction | None:
        """Park a pending proposal that conflicts with other work, and remember why (`note`: `remember`'s
        keyword arguments), in one transaction. A proposal people decided meanwhile is a warning, not a crash."""
        try:
            with transaction.atomic():
                held = approval_services.proposal_hold(proposal=proposal, reason=reason, bundle=bundle)
                if note is not None:
                    self.remember(**{"division": held.division, **note})
        except ApprovalError as exc:
            self.warn(f"hold of proposal #{proposal.pk} not applied: {exc}")
            return None
        return held

    def annotate(self, **values: Any) -> None:
        """Facts about the run kept on it (the orchestrator's briefing and holds), for people and selectors."""
        self.run.context = {**(self.run.context or {}), **values}
        AgentRun.objects.filter(pk=self.run.pk).update(context=self.run.context)

    def warn(self, message: str) -> None:
        """A problem that does not stop the run, kept on the run for the people reading it."""
        logger.warning("%s run %s: %s", self.impl.key, self.run.pk, message)
        self.run.warnings = [*(self.run.warnings or []), message]
        AgentRun.objects.filter(pk=self.run.pk).update(warnings=self.run.warnings)

    # --- what an agent reads before it acts -------------------------------------------------------
    def known_before(self, *, targets: Iterable[str], topic: str) -> str:
        """What the prompt carries besides the facts: the open and recent proposals on the call's
        targets with people's decisions and their outcomes, then the shared memory (people's
        preferences, brand-wide and the division's; current facts; recalled entries) through
        `context_pack`, all within CONTEXT_BUDGET_TOKENS, with what was left out counted."""
        budget = CONTEXT_BUDGET_TOKENS * memory_selectors.CHARS_PER_TOKEN
        wanted = list(dict.fromkeys(t for t in targets if t))
        work = [_work_line(p)[:WORK_LINE_MAX] for p in approval_selectors.proposals_on_targets(wanted)]
        work_text = "\n".join(work)[: budget // 2]
        pack = memory_selectors.context_pack(
            self.agent, " ".join(wanted) or topic, max(0, budget - len(work_text)) // memory_selectors.CHARS_PER_TOKEN
        )
        parts = ["What the team knows (read it before you act):"]
        if wanted:
            parts.append(f"## Work on {', '.join(wanted)}\n{work_text or '(none open or in the last 30 days)'}")
        parts.append(pack.text or "(memory holds nothing that applies)")
        if pack.cut:
            parts.append(f"({pack.cut} more memory entries apply, left out for space.)")
        return "\n".join(parts)

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
        targets: Iterable[str] = (),
    ) -> SchemaT:
        """Ask the provider for prose or drafts fitting `schema`; the offline provider calls `offline()`.

        Raises `LLMError` (recorded as a failed `LLMCall`) when no usable answer came back, and
        `BudgetExceeded` before the call when it would go over a budget.
        """
        provider = self.provider or get_provider()
        system = self.system_prompt()
        known = self.known_before(targets=[*targets, *_targets_in(facts)], topic=purpose or task)
        prompt = f"{task}\n\n{known}\n\nFacts (JSON):\n{json.dumps(facts, default=str, indent=1, sort_keys=True)}"
        request = llm_usage.CallRequest(
            run=self.run,
            agent=self.agent,
            today=self.today,
            provider=provider.name,
            model=self.model,
            purpose=(purpose or task)[:120],
            system=system,
            prompt=prompt,
            max_output_tokens=answer_allowance(self.agent.kind),
        )
        ask: dict[str, Any] = {
            "system": system,
            "prompt": prompt,
            "model": self.model,
            "purpose": request.purpose,
            "offline": offline,
            "max_tokens": request.max_output_tokens,
        }
        if provider.name == OFFLINE:
            try:
                result = provider.generate(schema, **ask)
            except LLMError as exc:
                llm_usage.call_record(request=request, ok=False, error=str(exc))
                raise
            llm_usage.call_record(request=request, result=result)
            return result.parsed
        if aliases := open_transactions():
            # The call would hold the transaction, and on SQLite the write lock, for its whole
            # latency: every other run's write would queue behind it.
            logger.warning(
                "%s run %s: LLM call %r made inside a transaction on %s; call ctx.write before the atomic block.",
                self.impl.key,
                self.run.pk,
                request.purpose,
                ", ".join(aliases),
            )
        call = llm_usage.call_reserve(request=request, started=self.run.started_at or self.now)
        try:
            with llm_usage.in_flight(self.slots):
                result = provider.generate(schema, **ask)
        except BaseException as exc:
            # Whatever stopped the call, its reservation must not hold the day's budget.
            llm_usage.call_release(call=call, error=exc)
            raise
        llm_usage.call_settle(call=call, result=result)
        if result.model != OFFLINE:
            self.drafted_by = result.model
        return result.parsed

    def draft(
        self,
        schema: type[SchemaT],
        *,
        task: str,
        facts: dict[str, Any],
        offline: Callable[[], SchemaT],
        purpose: str = "",
        targets: Iterable[str] = (),
    ) -> Drafted[SchemaT]:
        """`write`, degrading to the offline template when the LLM gives no usable answer (an outage, a
        429 storm, a garbled answer, a spent budget): for text the day cannot go without, like the
        briefing. The failure stays on the run (the failed call and a warning)."""
        try:
            value = self.write(schema, task=task, facts=facts, offline=offline, purpose=purpose, targets=targets)
        except LLMError as exc:
            self.warn(f"{(purpose or task)[:120]}: the LLM gave no usable answer ({exc}); sent the offline draft.")
            return Drafted(value=offline(), drafted_by=OFFLINE)
        provider = self.provider or get_provider()
        return Drafted(value=value, drafted_by=self.drafted_by if provider.name != OFFLINE else OFFLINE)


WORK_LINE_MAX = 300


def _targets_in(facts: dict[str, Any]) -> list[str]:
    """The targets a call's facts name (`{"sku": "LA-220"}` -> "sku:LA-220")."""
    return [f"{kind}:{facts[name]}" for name, kind in TARGET_FACTS.items() if facts.get(name) not in (None, "")]


def _work_line(proposal: ProposedAction) -> str:
    """One proposal on a target as an agent reads it: what, its state, people's decisions, its outcome."""
    line = f"#{proposal.pk} {proposal.title or proposal.action_type} [{proposal.status}]"
    if proposal.hold_reason:
        line += f" held: {proposal.hold_reason}"
    for decision in proposal.decisions.all():
        said = f": {decision.comment}" if decision.comment else ""
        line += f"; {decision.actor_label or 'someone'} {decision.verdict}{said}"
    outcome = memory_selectors.current(memory_selectors.outcome_key(proposal.pk))
    if outcome is not None:
        line += f"; outcome: {outcome.text}"
    return " ".join(line.split())
