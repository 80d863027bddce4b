"""The agents in the console: their configuration (editable), cycles and runs (read-only records),
the morning briefings and the intents people typed (read-only).

Briefings: every staff member who opens the console sees the briefing's narrative, which is
brand-wide by design (it is the team's morning read, and its figures are the headline numbers);
the items under it (each a division's win, risk, opportunity or ranked proposal, with its numbers)
are scoped like proposals: staff see their divisions' items and the brand-wide ones, owners all,
and an item links only the proposals its reader may open.
Intents: owners see all; staff the intents routed to their divisions and their own.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from agents.models import Agent, AgentRun, Briefing, BriefingItem, Cycle, Intent, LLMCall
from agents.outcomes.checks import VERDICT_WORDS, VERDICTS
from agents.outcomes.selectors import TrackRecord, track_record
from agents.runtime.llm.base import drafted_by_label, unpriced
from agents.runtime.selectors import runs_visible_to
from atlas_project.admin import ReadOnlyAdminMixin
from divisions import permissions


class AgentForm(forms.ModelForm):
    class Meta:
        model = Agent
        fields = [
            "enabled",
            "schedule",
            "llm_model",
            "instructions_override",
            "config",
            "daily_token_budget",
            "daily_cost_budget",
        ]

    def clean_llm_model(self) -> str:
        # The same rule as system check agents.E001 for ATLAS_LLM_MODEL: an unpriced model's calls
        # would slip through the cost budgets.
        model = (self.cleaned_data.get("llm_model") or "").strip()
        if model and (problem := unpriced(model)):
            raise forms.ValidationError(problem)
        return model


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    form = AgentForm
    list_display = ("key", "name", "kind", "division", "enabled", "schedule", "llm_model", "in_code")
    list_filter = ("kind", "division", "enabled", "in_code")
    list_select_related = ("division",)
    search_fields = ("key", "name", "description")
    # The code owns these; the registry writes them on migrate.
    readonly_fields = ("key", "kind", "division", "name", "description", "in_code", "track_record_table")
    fields = (
        ("key", "kind", "division"),
        "name",
        "description",
        ("enabled", "schedule"),
        "llm_model",
        "instructions_override",
        "config",
        ("daily_token_budget", "daily_cost_budget"),
        "in_code",
        "track_record_table",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Track record")
    def track_record_table(self, obj: Agent) -> str:
        """Per action type: what the agent proposed, what people did with it, and how it came out."""
        records = track_record(agent_key=obj.key) if obj.pk else []
        if not records:
            return "No proposals yet."
        labels = ["action type", "proposed", "approved", "sent back", "rejected", "executed", "money moved"]
        labels += [VERDICT_WORDS[v] for v in VERDICTS] + ["success rate"]
        head = format_html_join("", "<th>{}</th>", ((label,) for label in labels))
        body = format_html_join(
            "",
            "<tr>{}</tr>",
            ((format_html_join("", "<td>{}</td>", ((cell,) for cell in _track_record_cells(r))),) for r in records),
        )
        table = '<table class="track-record"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
        return format_html(table, head, body)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _track_record_cells(r: TrackRecord) -> list[Any]:
    counts = [r.outcomes[v] for v in VERDICTS]
    decided = [r.proposed, r.approved, r.sent_back, r.rejected, r.executed]
    return [r.action_type, *decided, r.money_moved, *counts, f"{r.success_rate():.0%}"]


class LLMCallInline(admin.TabularInline):
    """A run's calls. What was said (prompts, answers) is for owners only: a prompt carries the facts of
    every division the agent read, and division staff see only their own divisions' work."""

    model = LLMCall
    extra = 0
    can_delete = False
    fields = (
        "provider",
        "model",
        "purpose",
        "state",
        "ok",
        "latency_ms",
        "tokens_in",
        "tokens_out",
        "max_output_tokens",
        "finish_reason",
        "cost",
        "error",
    )
    readonly_fields = fields
    texts = ("system_prompt", "prompt", "response")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*self.fields, *self.texts) if permissions.is_owner(request.user) else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AgentRun)
class AgentRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "agent", "trigger", "status", "queued_at", "duration", "llm_calls", "tokens", "cost")
    list_filter = ("status", "trigger", "agent__kind", "agent__division")
    list_select_related = ("agent",)
    search_fields = ("agent__key", "error")
    date_hierarchy = "queued_at"
    inlines = [LLMCallInline]
    readonly_fields = [f.name for f in AgentRun._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgentRun]:
        return _runs_visible(request, super().get_queryset(request))

    @admin.display(description="seconds")
    def duration(self, run: AgentRun) -> str:
        seconds = run.duration_seconds
        return f"{seconds:.1f}" if seconds is not None else "-"

    @admin.display(description="tokens in/out")
    def tokens(self, run: AgentRun) -> str:
        return f"{run.tokens_in}/{run.tokens_out}"


class RunInline(admin.TabularInline):
    model = AgentRun
    extra = 0
    can_delete = False
    fields = ("agent", "status", "error", "llm_calls", "tokens_in", "tokens_out", "cost")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgentRun]:
        return _runs_visible(request, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _runs_visible(request: HttpRequest, runs: QuerySet[AgentRun]) -> QuerySet[AgentRun]:
    return runs_visible_to(request.user, runs)


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "brand_date", "scope", "trigger", "status", "phase", "started_at", "finished_at")
    list_filter = ("status", "trigger")
    date_hierarchy = "brand_date"
    inlines = [RunInline]
    readonly_fields = [f.name for f in Cycle._meta.fields]


def _is_staff(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_staff)


def _visible_division_ids(request: HttpRequest) -> set[int] | None:
    """None for owners (everything), else the ids of the divisions the user is a member of."""
    if permissions.is_owner(request.user):
        return None
    return set(permissions.visible_divisions(request.user).values_list("pk", flat=True))


def _proposal_links(proposals: Any, visible: set[int] | None) -> str:
    shown = [p for p in proposals if visible is None or p.division_id in visible]
    if not shown:
        return "—"
    return format_html_join(
        ", ",
        '<a href="{}">#{} {}</a>',
        (
            (reverse("admin:approvals_proposedaction_change", args=[p.pk]), p.pk, p.title or p.action_type)
            for p in shown
        ),
    )


class BriefingItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BriefingItem
    extra = 0
    can_delete = False
    fields = ("kind", "rank", "division", "title", "text", "numbers", "ranking", "proposal_links")
    readonly_fields = fields
    ordering = ("rank", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[BriefingItem]:
        # Inline instances are made per request: keep what this reader may see for the links.
        self._visible = _visible_division_ids(request)
        qs = super().get_queryset(request).select_related("division").prefetch_related("proposals")
        if self._visible is None:
            return qs
        return qs.filter(Q(division__isnull=True) | Q(division__in=self._visible))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_staff(request)

    @admin.display(description="Proposals")
    def proposal_links(self, item: BriefingItem) -> str:
        return _proposal_links(item.proposals.all(), getattr(self, "_visible", set()))


@admin.register(Briefing)
class BriefingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("brand_date", "persona", "drafted", "opening", "updated_at")
    date_hierarchy = "brand_date"
    fields = ("brand_date", "persona", "drafted", "narrative", "cycle", "created_at", "updated_at")
    readonly_fields = fields
    inlines = [BriefingItemInline]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_staff(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_staff(request)

    def get_urls(self) -> list:
        today = path("today/", self.admin_site.admin_view(self.today_view), name="agents_briefing_today")
        return [today, *super().get_urls()]

    def today_view(self, request: HttpRequest) -> HttpResponse:
        """The index links here: today's briefing (brand date), or the latest with a word why."""
        from brand.clock import brand_today

        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        today = brand_today()
        briefing = Briefing.objects.filter(brand_date=today).first()
        if briefing is None:
            briefing = Briefing.objects.order_by("-brand_date").first()
            if briefing is None:
                self.message_user(request, "No briefing yet: the first morning cycle writes one.", messages.INFO)
                return HttpResponseRedirect(reverse("admin:agents_briefing_changelist"))
            self.message_user(request, f"No briefing for {today:%Y-%m-%d} yet; this is the latest.", messages.INFO)
        return HttpResponseRedirect(reverse("admin:agents_briefing_change", args=[briefing.pk]))

    @admin.display(description="Drafted", ordering="drafted_by")
    def drafted(self, briefing: Briefing) -> str:
        return drafted_by_label(briefing.drafted_by)

    @admin.display(description="Narrative")
    def opening(self, briefing: Briefing) -> str:
        return briefing.narrative if len(briefing.narrative) <= 120 else briefing.narrative[:117] + "…"


@admin.register(Intent)
class IntentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What people asked for; a plain ModelAdmin (no history pages to scope): an intent never changes."""

    list_display = ("created_at", "short_text", "user", "division", "agents", "confidence", "overridden")
    list_filter = ("division", "overridden")
    list_select_related = ("user", "division")
    search_fields = ("text", "reason")
    date_hierarchy = "created_at"
    fields = ("text", "user", "division", "agent_keys", "confidence", "reason", "overridden", "created_at", "runs")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Intent]:
        qs = super().get_queryset(request).select_related("user", "division")
        visible = _visible_division_ids(request)
        if visible is None:
            return qs
        return qs.filter(Q(division__in=visible) | Q(user=request.user))

    def has_view_permission(self, request: HttpRequest, obj: Intent | None = None) -> bool:
        if not _is_staff(request):
            return False
        if obj is None or permissions.is_owner(request.user) or obj.user_id == request.user.pk:
            return True
        return obj.division_id is not None and permissions.can_view(request.user, obj.division_id)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_staff(request)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Intent | None:
        intent = super().get_object(request, object_id, from_field)
        if intent is not None:
            # The admin instance is shared by every request: the reader's scope travels on the object.
            intent._visible_divisions = _visible_division_ids(request)
        return intent

    @admin.display(description="Text", ordering="text")
    def short_text(self, intent: Intent) -> str:
        return intent.text if len(intent.text) <= 90 else intent.text[:87] + "…"

    @admin.display(description="Agents")
    def agents(self, intent: Intent) -> str:
        return ", ".join(intent.agent_keys or []) or "—"

    @admin.display(description="Runs and their proposals")
    def runs(self, intent: Intent) -> str:
        runs = intent.runs.select_related("agent").prefetch_related("proposals").order_by("queued_at")
        if not runs:
            return "—"
        visible: set[int] = getattr(intent, "_visible_divisions", set())
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{} run {}</a> ({}): {}</li>',
                (
                    (
                        reverse("admin:agents_agentrun_change", args=[run.pk]),
                        run.agent.key,
                        run.pk,
                        run.status,
                        _proposal_links(run.proposals.all(), visible),
                    )
                    for run in runs
                ),
            ),
        )
