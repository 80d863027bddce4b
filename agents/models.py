"""The agent machinery's records: configuration per agent, cycles, runs and their LLM calls."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from atlas_project.audit import audited_history


class AgentKind(models.TextChoices):
    SPECIALIST = "specialist", "Specialist"
    DIRECTOR = "director", "Director"
    ORCHESTRATOR = "orchestrator", "Orchestrator"


class Agent(models.Model):
    """Database configuration of an agent defined in code (kept in step by the registry on migrate)."""

    key = models.CharField(max_length=80, unique=True, help_text="e.g. growth.paid_media")
    kind = models.CharField(max_length=20, choices=AgentKind.choices)
    division = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, null=True, blank=True, related_name="agents"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    schedule = models.CharField(max_length=40, default="daily", help_text="'daily' (the morning cycle) or 'manual'.")
    llm_model = models.CharField(max_length=80, blank=True, help_text="Empty: ATLAS_LLM_MODEL.")
    instructions_override = models.TextField(blank=True)
    config = models.JSONField(default=dict, blank=True, help_text="Overrides of the agent's thresholds.")
    daily_token_budget = models.PositiveIntegerField(default=200_000)
    daily_cost_budget = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal("2.0000"))
    in_code = models.BooleanField(default=True, help_text="False once its code is gone; kept for its history.")
    history = audited_history()

    class Meta:
        ordering = ["kind", "key"]

    def __str__(self) -> str:
        return self.key


class CycleStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class CyclePhase(models.TextChoices):
    SPECIALISTS = "specialists", "Specialists"
    DIRECTORS = "directors", "Directors"
    ORCHESTRATOR = "orchestrator", "Orchestrator"
    FINISHED = "finished", "Finished"


class Cycle(models.Model):
    """One daily cycle for one brand day: specialists, then directors, then the orchestrator."""

    brand_date = models.DateField()
    trigger = models.CharField(max_length=20, default="manual")
    scope = models.CharField(max_length=120, blank=True, help_text="Division or agent the cycle was limited to.")
    status = models.CharField(max_length=20, choices=CycleStatus.choices, default=CycleStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The phase the cycle is in; moved forward with a conditional update so that of several
    # workers finishing the last runs of a phase at once exactly one starts the next phase.
    phase = models.CharField(max_length=20, choices=CyclePhase.choices, default=CyclePhase.SPECIALISTS)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # A second trigger for the same brand day while one runs does not start a second cycle.
            models.UniqueConstraint(
                fields=["brand_date", "scope"],
                condition=models.Q(status="running"),
                name="cycle_one_running_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"Cycle {self.pk} {self.brand_date} ({self.status})"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Manual"
    INTENT = "intent", "Intent"
    REVISION = "revision", "Revision"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class Intent(models.Model):
    """Something a person asked for in words, and where the orchestrator routed it."""

    text = models.TextField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="intents")
    division = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, null=True, blank=True, related_name="intents"
    )
    agent_keys = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(default=0)
    reason = models.TextField(blank=True)
    overridden = models.BooleanField(default=False, help_text="A person chose the division instead of the router.")
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.text[:60]} -> {self.division_id}"


class AgentRun(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="runs")
    intent = models.ForeignKey(Intent, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, null=True, blank=True, related_name="runs")
    trigger = models.CharField(max_length=20, choices=RunTrigger.choices, default=RunTrigger.MANUAL)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    context = models.JSONField(default=dict, blank=True, help_text="Intent text, send-back comment, ...")
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    warnings = models.JSONField(
        default=list, blank=True, help_text="Problems that did not stop the run, e.g. a proposal approvals refused."
    )
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    llm_calls = models.PositiveIntegerField(default=0)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))

    class Meta:
        ordering = ["-queued_at"]
        indexes = [models.Index(fields=["agent", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.agent.key} run {self.pk} ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class CallState(models.TextChoices):
    # Before the call: the estimate holds its place in the day's budgets. After it: the real usage.
    RESERVED = "reserved", "Reserved"
    SETTLED = "settled", "Settled"
    RELEASED = "released", "Released (failed or refused)"
    # Reserved by a worker that died mid-call (SIGKILL, a lost machine): freed once the call's
    # longest possible life had passed, so it stops holding the day's budget.
    ABANDONED = "abandoned", "Abandoned (its worker died)"


class LLMCall(models.Model):
    """One call to a provider: reserved against the budgets before it is made, settled after it.

    While `state` is reserved, `tokens_in` holds the prompt's estimate, `tokens_out` the answer's
    allowance (`max_output_tokens`, the call's max_tokens) and `cost` their price, so that the
    concurrent calls of one cycle see each other's whole share of the day's budget, answers included.
    """

    run = models.ForeignKey(AgentRun, on_delete=models.CASCADE, related_name="calls")
    provider = models.CharField(max_length=20)
    model = models.CharField(max_length=80)
    purpose = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    latency_ms = models.PositiveIntegerField(default=0)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    ok = models.BooleanField(default=True)
    error = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=CallState.choices, default=CallState.SETTLED)
    estimated_tokens = models.PositiveIntegerField(
        default=0, help_text="Reserved before the call: the prompt's estimate plus the answer's allowance."
    )
    max_output_tokens = models.PositiveIntegerField(default=0, help_text="The answer's allowance (max_tokens).")
    finish_reason = models.CharField(
        max_length=40, blank=True, help_text="Why the answer ended, as the provider said: stop, length, ..."
    )
    # What was said, for the owners who audit the agents; emptied after ATLAS_LLM_LOG_RETENTION_DAYS.
    system_prompt = models.TextField(blank=True)
    prompt = models.TextField(blank=True)
    response = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at"]
        indexes = [models.Index(fields=["started_at"])]

    def __str__(self) -> str:
        return f"{self.model} for {self.run_id} ({self.tokens_in}/{self.tokens_out})"


class LLMBudgetDay(models.Model):
    """One row per day, locked while a call is reserved, so that the budget checks of concurrent
    calls run one after the other (PostgreSQL: the row lock; SQLite: the write lock of the
    transaction, taken at its start)."""

    day_start = models.DateTimeField(unique=True)

    def __str__(self) -> str:
        return f"LLM budget day from {self.day_start:%Y-%m-%d %H:%M}"


class Briefing(models.Model):
    """The orchestrator's morning briefing for one brand day."""

    brand_date = models.DateField(unique=True)
    cycle = models.ForeignKey(Cycle, on_delete=models.SET_NULL, null=True, blank=True, related_name="briefings")
    persona = models.CharField(max_length=40, default="Alexia")
    narrative = models.TextField()
    drafted_by = models.CharField(max_length=80, blank=True, help_text="'offline' or the LLM model that wrote it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-brand_date"]

    def __str__(self) -> str:
        return f"Briefing {self.brand_date}"


class ItemKind(models.TextChoices):
    WIN = "win", "Win"
    RISK = "risk", "Risk"
    OPPORTUNITY = "opportunity", "Opportunity"
    RANKED = "ranked", "The rest, ranked"


class BriefingItem(models.Model):
    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    rank = models.PositiveIntegerField(default=0)
    division = models.ForeignKey(
        "divisions.Division", on_delete=models.PROTECT, null=True, blank=True, related_name="briefing_items"
    )
    title = models.CharField(max_length=200)
    text = models.TextField()
    numbers = models.JSONField(default=dict, blank=True, help_text="The figures the item rests on.")
    ranking = models.JSONField(default=dict, blank=True, help_text="The ranking's inputs: money, confidence, urgency.")
    proposals = models.ManyToManyField("approvals.ProposedAction", blank=True, related_name="briefing_items")

    class Meta:
        ordering = ["briefing", "rank"]
        constraints = [
            # Exactly one win, one risk and one opportunity per briefing.
            models.UniqueConstraint(
                fields=["briefing", "kind"],
                condition=~models.Q(kind="ranked"),
                name="briefing_one_item_per_headline_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"
