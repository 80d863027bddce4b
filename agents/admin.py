"""The agents in the console: their configuration (editable), cycles and runs (read-only records)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from agents.models import Agent, AgentRun, Cycle, LLMCall


class ReadOnly(admin.ModelAdmin):
    """Runs and calls are what happened: nobody edits or deletes them through the console."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "kind", "division", "enabled", "schedule", "llm_model", "in_code")
    list_filter = ("kind", "division", "enabled", "in_code")
    list_select_related = ("division",)
    search_fields = ("key", "name", "description")
    # The code owns these; the registry writes them on migrate.
    readonly_fields = ("key", "kind", "division", "name", "description", "in_code")
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
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LLMCallInline(admin.TabularInline):
    model = LLMCall
    extra = 0
    can_delete = False
    fields = ("provider", "model", "purpose", "ok", "latency_ms", "tokens_in", "tokens_out", "cost", "error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AgentRun)
class AgentRunAdmin(ReadOnly):
    list_display = ("pk", "agent", "trigger", "status", "queued_at", "duration", "llm_calls", "tokens", "cost")
    list_filter = ("status", "trigger", "agent__kind", "agent__division")
    list_select_related = ("agent",)
    search_fields = ("agent__key", "error")
    date_hierarchy = "queued_at"
    inlines = [LLMCallInline]
    readonly_fields = [f.name for f in AgentRun._meta.fields]

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

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Cycle)
class CycleAdmin(ReadOnly):
    list_display = ("pk", "brand_date", "scope", "trigger", "status", "phase", "started_at", "finished_at")
    list_filter = ("status", "trigger")
    date_hierarchy = "brand_date"
    inlines = [RunInline]
    readonly_fields = [f.name for f in Cycle._meta.fields]
