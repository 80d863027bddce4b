"""Proposals, the decisions people take on them, and the append-only log of their executions.

Every status change goes through `approvals.services`; nothing here moves a proposal by itself.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q

from atlas_project.audit import audited_history

from . import registry


class Category(models.TextChoices):
    SPEND = "spend", "Spend"
    MESSAGE = "message", "Message"
    SCHEDULE = "schedule", "Schedule"
    INTERNAL = "internal", "Internal"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    EXECUTING = "executing", "Executing"
    EXECUTED = "executed", "Executed"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"
    SENT_BACK = "sent_back", "Sent back"
    EXPIRED = "expired", "Expired"
    STALE = "stale", "Stale"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATUSES = (
    Status.EXECUTED,
    Status.FAILED,
    Status.REJECTED,
    Status.SENT_BACK,
    Status.EXPIRED,
    Status.STALE,
    Status.CANCELLED,
)


class ProposedAction(models.Model):
    action_type = models.CharField(max_length=80, db_index=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    division = models.ForeignKey("divisions.Division", on_delete=models.PROTECT, related_name="proposals")
    agent_run = models.ForeignKey(
        "agents.AgentRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="proposals"
    )
    agent_key = models.CharField(max_length=80, blank=True, help_text="The proposing agent, if an agent proposed.")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposals"
    )
    title = models.CharField(max_length=200, blank=True)
    args = models.JSONField(help_text="Validated against the action type's arguments model.")
    preview = models.TextField(blank=True, help_text="The change in words.")
    rationale = models.TextField()
    drafted_by = models.CharField(max_length=80, blank=True, help_text="'offline' or the LLM model that wrote it.")
    evidence = models.ManyToManyField("memory.MemoryEntry", blank=True, related_name="proposals")
    basis = models.JSONField(default=dict, blank=True, help_text="The row versions it was derived from.")
    basis_fingerprint = models.CharField(max_length=64, blank=True)
    money_at_stake = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="USD")
    # What the proposal is worth (expected revenue of a send, spend a pause stops), never counted as
    # spend: approvals.valuing computes it once, at creation and on an edit.
    value_at_stake = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"), db_index=True)
    value_kind = models.CharField(max_length=60, blank=True, help_text='What the value is: "expected revenue", ...')
    value_basis = models.TextField(blank=True, help_text="How the value was estimated, with its assumptions.")
    confidence = models.FloatField(default=0.5)
    priority = models.FloatField(default=0, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    status_reason = models.TextField(blank=True, help_text="Why it was rejected, failed, went stale, ...")
    hold_reason = models.TextField(blank=True, help_text="Set by the orchestrator when it conflicts with other work.")
    bundled_with = models.ManyToManyField("self", blank=True, symmetrical=False, related_name="bundled_into")
    revision_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="revisions")
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Execution claim: the executor takes it with a conditional update; the sweeper re-dispatches
    # a claim that expired (a killed worker) or an approval whose execution never started.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    history = audited_history()
    # Set just before a save: simple-history (untyped) reads it as the history row's change reason.
    _change_reason: str

    class Meta:
        ordering = ["-priority", "-created_at"]
        indexes = [
            models.Index(fields=["division", "status"]),
            models.Index(fields=["status", "expires_at"]),
            # The list's agent filter names every agent that proposed: with these the database reads
            # the distinct keys from the index (a division's, or all) instead of scanning the table.
            models.Index(fields=["division", "agent_key"]),
            models.Index(fields=["agent_key", "division"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(money_at_stake__gte=0), name="proposal_money_non_negative"),
        ]

    def __str__(self) -> str:
        # Breadcrumbs and audit tables show this to people: the title, not the type's key.
        return f"#{self.pk} {self.title or self.action_type} ({self.get_status_display().lower()})"

    @property
    def is_gated(self) -> bool:
        return self.category != Category.INTERNAL

    @property
    def is_held(self) -> bool:
        return bool(self.hold_reason)

    @property
    def money_in_words(self) -> str:
        """The amount at stake as people read it, in the proposal's own currency ("$1,240")."""
        return registry.money_words(self.money_at_stake, currency=self.currency)

    @property
    def value_in_words(self) -> str:
        """What the proposal is worth as people read it ("$22,142")."""
        return registry.money_words(self.value_at_stake, currency=self.currency)

    @property
    def value_differs(self) -> bool:
        """The value is a figure of its own (a send's expected revenue), not the money it spends."""
        own_figure = bool(self.value_kind) and self.value_kind != "money at stake"
        return own_figure and self.value_at_stake != self.money_at_stake

    @property
    def value_about(self) -> str:
        """The value rounded to whole units, for "about $22,142": it is an estimate, cents are noise."""
        return registry.money_words(self.value_at_stake.quantize(Decimal("1")), currency=self.currency)

    @property
    def stake_short(self) -> str:
        """For a column: what it spends, or its worth when that is its own figure ("$22,142 expected revenue")."""
        if self.value_differs:
            return f"{self.value_about} {self.value_kind}"
        return self.money_in_words

    @property
    def stake_words(self) -> str:
        """In a sentence: "spends $0; expected revenue about $22,142: 1,204 consenting customers x ..."."""
        spends = f"spends {self.money_in_words}"
        if not self.value_differs:
            return spends
        how = f": {self.value_basis}" if self.value_basis else ""
        return f"{spends}; {self.value_kind} about {self.value_about}{how}"

    @property
    def drafted_label(self) -> str:
        """Who wrote the rationale and drafts, as people see it: the offline provider is labelled."""
        if not self.agent_key:
            return "written by a person"
        if not self.drafted_by or self.drafted_by == "offline":
            return "offline draft"
        return f"drafted by {self.drafted_by}"


class Verdict(models.TextChoices):
    APPROVE = "approve", "Approve"
    EDIT_APPROVE = "edit_approve", "Edit and approve"
    SEND_BACK = "send_back", "Send back"
    REJECT = "reject", "Reject"
    CANCEL = "cancel", "Cancel"
    RELEASE = "release", "Release the hold"


# What a closing verdict did, in words (the memory note, the e-mail link's page).
VERDICT_DONE: dict[str, str] = {
    Verdict.SEND_BACK: "sent back",
    Verdict.REJECT: "rejected",
    Verdict.CANCEL: "cancelled",
}


class Decision(models.Model):
    proposal = models.ForeignKey(ProposedAction, on_delete=models.CASCADE, related_name="decisions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    actor_label = models.CharField(max_length=120, help_text="user:<name>, or 'policy' for internal actions.")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    comment = models.TextField(blank=True)
    args_diff = models.JSONField(default=dict, blank=True, help_text='{"field": [before, after]}')
    via = models.CharField(
        max_length=20, default="console", help_text="console, link, command, policy (admin, email: older rows)"
    )
    at = models.DateTimeField(auto_now_add=True)
    history = audited_history()

    class Meta:
        ordering = ["at"]
        constraints = [
            # One person counts once towards four-eyes: the same user cannot approve twice.
            models.UniqueConstraint(
                fields=["proposal", "user"],
                condition=Q(verdict__in=["approve", "edit_approve"]),
                name="decision_one_approval_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.verdict} #{self.proposal_id}"


class AppendOnlyError(Exception):
    """An attempt to change or delete an Execution row: the execution log is append-only."""


class ExecutionQuerySet(models.QuerySet):
    # An invariant of the audit log, not domain flow: no code path may rewrite what happened.
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Execution rows are append-only: they cannot be updated")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Execution rows are append-only: they cannot be deleted")

    # Django reads queryset_only off the method; mypy cannot declare an attribute on a function.
    delete.queryset_only = True  # type: ignore[attr-defined]


class Execution(models.Model):
    """Append-only: one row per attempt; the app and the admin never change or delete one."""

    proposal = models.ForeignKey(ProposedAction, on_delete=models.PROTECT, related_name="executions")
    idempotency_key = models.CharField(max_length=120)
    attempt = models.PositiveIntegerField()
    actor_label = models.CharField(max_length=120)
    action_type = models.CharField(max_length=80)
    args = models.JSONField()
    ok = models.BooleanField(default=False)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExecutionQuerySet.as_manager()

    class Meta:
        ordering = ["started_at"]
        # The spend cap sums what finished today: found by date, not by reading every execution.
        indexes = [models.Index(fields=["finished_at"])]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key", "attempt"], name="execution_unique_attempt"),
            models.UniqueConstraint(
                fields=["idempotency_key"], condition=Q(ok=True), name="execution_one_success_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action_type} #{self.proposal_id} attempt {self.attempt} ({'ok' if self.ok else 'error'})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"Execution {self.pk} is append-only: it cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"Execution {self.pk} is append-only: it cannot be deleted")


class LinkUse(models.Model):
    """A used e-mail approval link: each signed token decides once, and only a decision uses it up
    (written in the decision's transaction, so a refused decision leaves the link usable)."""

    token_hash = models.CharField(max_length=64, unique=True, help_text="sha256 of the signed token.")
    proposal = models.ForeignKey(ProposedAction, on_delete=models.CASCADE, related_name="link_uses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_link_uses")
    verdict = models.CharField(max_length=20)
    decision = models.OneToOneField(
        Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="link_use", help_text="What it decided."
    )
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-used_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.verdict} #{self.proposal_id} via e-mail"
