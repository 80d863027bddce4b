"""The approval console in the admin: proposals scoped by division, decisions through the services.

Decisions and executions are read-only audit tables; nothing here changes a proposal except the
actions, which call `approvals.services` (the same gate as the command, the e-mail link and tasks).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin

from atlas_project.admin import CheapPaginator, ReadOnlyAdminMixin
from divisions import permissions
from divisions.permissions import signed_in

from . import hooks, registry
from .console import ArgsForm, decide_from_console, decide_together, edit_preview, proposal_page
from .errors import ApprovalError
from .models import Decision, Execution, LinkUse, ProposedAction, Status
from .policy import approvals_status
from .selectors import proposals_visible_to

EXPIRING_SOON = dt.timedelta(hours=24)


class DecisionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Decision
    extra = 0
    can_delete = False
    fields = ("at", "actor_label", "verdict", "comment", "args_diff", "via")
    readonly_fields = fields


class ExecutionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Execution
    extra = 0
    can_delete = False
    fields = ("attempt", "started_at", "finished_at", "ok", "result", "error", "actor_label")
    readonly_fields = fields


NOT_YOURS = "None of the selected proposals is yours to decide."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _decidable(request: HttpRequest, queryset: QuerySet) -> tuple[list[ProposedAction], int]:
    """The selected proposals this person may decide, and how many others were selected.

    The changelist's queryset already leaves out other divisions' proposals, so a selection made of
    them arrives empty; a viewer's proposals arrive but are not theirs to decide.
    """
    selected = list(queryset)
    mine = [p for p in selected if permissions.can_decide(request.user, p.division_id)]
    return mine, len(selected) - len(mine)


def _decide(request: HttpRequest, proposal: ProposedAction, verdict: str, text: str = "") -> ProposedAction:
    return decide_from_console(proposal=proposal, user=signed_in(request.user), verdict=verdict, comment=text)


def _run(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    verb: str,
    call: Callable[[ProposedAction], ProposedAction],
) -> None:
    """Call the service per proposal and say what happened to each, by outcome.

    An approval is not always a decision: a four-eyes proposal stays pending after the first one,
    and saying "Approved" then would tell the approver the money is moving when it is not.
    """
    proposals, not_mine = _decidable(request, queryset)
    if not proposals:
        modeladmin.message_user(request, NOT_YOURS, messages.WARNING)
        return
    done = 0
    waiting: dict[str, int] = {}  # what is still needed -> how many proposals wait for it
    failed: list[str] = []
    for proposal in proposals:
        try:
            result = call(proposal)
        except ApprovalError as exc:
            failed.append(str(exc))
            continue
        if verb == "Approved" and result.status == Status.PENDING:
            missing = approvals_status(result).missing or "another approval"
            waiting[missing] = waiting.get(missing, 0) + 1
        else:
            done += 1
    if done:
        what = "Approved and queued" if verb == "Approved" else verb
        modeladmin.message_user(request, f"{what} {_plural(done, 'proposal')}.", messages.SUCCESS)
    for missing, count in waiting.items():
        modeladmin.message_user(
            request,
            f"Recorded {_plural(count, 'approval')}; still needed: {missing}. "
            f"The proposal{'s stay' if count != 1 else ' stays'} pending until then.",
            messages.INFO,
        )
    for error in failed:
        modeladmin.message_user(request, error, messages.ERROR)
    if not_mine:
        modeladmin.message_user(request, f"Skipped {not_mine}: not in a division where you decide.", messages.WARNING)


def _with_text(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    label: str,
    verb: str,
    call: Any,
) -> HttpResponse | None:
    """Reject and send back need words: an intermediate page asks for them (like delete confirmation)."""
    if not _decidable(request, queryset)[0]:
        modeladmin.message_user(request, NOT_YOURS, messages.WARNING)
        return None
    text = request.POST.get("decision_text", "").strip()
    if "confirm" in request.POST and text:
        _run(modeladmin, request, queryset, verb, lambda p: call(p, text))
        return None
    return TemplateResponse(
        request,
        "approvals/admin_decision_text.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": f"{label}: {queryset.count()} proposal(s)",
            "proposals": queryset,
            "action": action,
            "label": label,
            "missing": "confirm" in request.POST,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


DECIDE_ACTIONS = ("approve_selected", "reject_selected", "send_back_selected", "release_selected", "cancel_selected")
WAITING = "waiting"


class ShowFilter(admin.SimpleListFilter):
    """The list opens on what waits for this person; everything they may see is one click away."""

    title = "what to show"
    parameter_name = "show"

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any) -> None:
        # A viewer decides nowhere: nothing ever waits for them, so their list opens on everything.
        self.default = WAITING if permissions.decides_anywhere(request.user) else "all"
        super().__init__(request, params, model, model_admin)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(WAITING, "Waiting for you"), ("all", "Everything you can see")]

    def value(self) -> str:
        return super().value() or self.default

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() != WAITING:
            return queryset
        mine = permissions.deciding_divisions(request.user)
        return queryset.filter(status=Status.PENDING, division__in=mine)


class DivisionFilter(admin.SimpleListFilter):
    """Only the divisions this person belongs to (owners: all)."""

    title = "division"
    parameter_name = "division"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(d.pk), d.name) for d in permissions.visible_divisions(request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(division_id=self.value()) if self.value() else queryset


class AgentFilter(admin.SimpleListFilter):
    title = "agent"
    parameter_name = "agent"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        keys = (
            proposals_visible_to(request.user)
            .exclude(agent_key="")
            .order_by("agent_key")
            .values_list("agent_key", flat=True)
            .distinct()
        )
        return [(k, k) for k in keys]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(agent_key=self.value()) if self.value() else queryset


class ExpiringFilter(admin.SimpleListFilter):
    title = "expiry"
    parameter_name = "expiring"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("24h", "Expiring within 24 hours")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() != "24h":
            return queryset
        now = timezone.now()
        return queryset.filter(status=Status.PENDING, expires_at__gt=now, expires_at__lte=now + EXPIRING_SOON)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def outcome_words(verdict: str, proposal: ProposedAction) -> str:
    """What the decision did, in words: a first four-eyes approval does not move any money yet."""
    name = f"#{proposal.pk} {proposal.title or proposal.action_type}"
    if verdict in ("approve", "edit_approve") and proposal.status == Status.PENDING:
        missing = approvals_status(proposal).missing or "another approval"
        return f"Recorded your approval of {name}; still needed: {missing}. It stays pending until then."
    if verdict in ("approve", "edit_approve"):
        edited = "Edited and approved" if verdict == "edit_approve" else "Approved"
        # The execution runs after this decision commits: say it is on its way, not that it is done.
        return f"{edited} {name}: queued to run (its page shows the execution)."
    if verdict == "send_back":
        return f"Sent {name} back to its agent with your comment."
    if verdict == "reject":
        return f"Rejected {name}."
    return f"Released the hold on {name}: it can be decided now."


class ProposalChangeList(ChangeList):
    """Each row's links carry the list's filters to the proposal and back, as the admin's do, worked
    out once per page: the admin resolves every row's link URL again to do it, which took a tenth
    of a second on a full page of proposals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.row_query = urlencode(dict(parse_qsl(self.preserved_filters))) if self.preserved_filters else ""
        self.preserved_filters = ""  # so the admin's per-row pass has nothing left to add

    def url_for_result(self, result: Any) -> str:
        url = super().url_for_result(result)
        return f"{url}?{self.row_query}" if self.row_query else url


@admin.register(ProposedAction)
class ProposedActionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    # The change page is a read-only view; every change goes through the actions.
    list_display = (
        "id",
        "title_or_type",
        "status",
        "money",
        "division",
        "drafted",
        "priority_rounded",
        "expires",
        "held",
    )
    list_display_links = ("id", "title_or_type")
    list_filter = (ShowFilter, "status", "category", DivisionFilter, AgentFilter, ExpiringFilter)
    # Urgency: what expires first, then what the agents rank highest.
    ordering = (F("expires_at").asc(nulls_last=True), "-priority", "-pk")
    search_fields = ("title", "action_type", "preview", "rationale", "agent_key")
    list_select_related = ("division",)
    # A year of proposals: no COUNT(*) over all of them on every page.
    paginator = CheapPaginator
    inlines = [DecisionInline, ExecutionInline]
    actions = list(DECIDE_ACTIONS)
    show_full_result_count = False

    # What a person decides on first; the machinery (arguments, basis, claim) folded away below.
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "preview",
                    "rationale",
                    "drafted",
                    "stake",
                    ("status", "expires_at"),
                    "status_reason",
                    "hold_reason",
                    "bundled_with",
                )
            },
        ),
        (
            "Who proposed it, and on what",
            {
                "fields": (
                    ("division", "agent_key", "agent_run"),
                    "proposed_by",
                    "priority_rounded",
                    "track_record",
                    "evidence",
                    "revision_of",
                )
            },
        ),
        (
            "Technical",
            {
                "classes": ("collapse",),
                "fields": (
                    ("action_type", "category"),
                    "args",
                    "basis",
                    "basis_fingerprint",
                    ("created_at", "updated_at"),
                    ("claimed_at", "claim_token", "attempts", "next_attempt_at"),
                    "drafted_by",
                ),
            },
        ),
    )

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> ProposedAction:
        # Another division's proposal is simply not there for this person: a plain 404, not the
        # admin's "doesn't exist. Perhaps it was deleted?" redirect, which hints that it might.
        # The page reads it twice (ours, then the admin's change view): one read per request, with
        # what both show fetched once.
        memo: dict[tuple[str, str | None], ProposedAction] = request.__dict__.setdefault("_atlas_proposals", {})
        if (object_id, from_field) not in memo:
            proposal = self._read_one(request, object_id, from_field)
            if proposal is None:
                raise Http404(f"No proposal #{object_id} here.")
            memo[(object_id, from_field)] = proposal
        return memo[(object_id, from_field)]

    def _read_one(self, request: HttpRequest, object_id: str, from_field: str | None) -> ProposedAction | None:
        # ModelAdmin.get_object's lookup, with what the page shows beside the proposal read with it
        # (evidence, links, the run's agent) rather than once per field that shows it.
        queryset = (
            self.get_queryset(request).select_related("agent_run__agent").prefetch_related("evidence", "bundled_with")
        )
        field = ProposedAction._meta.pk if from_field is None else ProposedAction._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})  # type: ignore[union-attr]
        except (ProposedAction.DoesNotExist, ValidationError, ValueError):
            return None

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProposedAction]:
        return proposals_visible_to(request.user)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ProposalChangeList

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/decide/", view(self.decide_view), name="approvals_proposedaction_decide"),
            path("<path:object_id>/edit/", view(self.edit_view), name="approvals_proposedaction_edit"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        proposal = self.get_object(request, object_id)
        page = proposal_page(proposal, request.user)
        extra = {
            **(extra_context or {}),
            "page": page,
            "title": proposal.title or proposal.action_type,
            "subtitle": f"Proposal #{proposal.pk}",
        }
        return super().change_view(request, object_id, form_url, extra)

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A decision posted from the proposal's page or from a card on Today."""
        proposal = self.get_object(request, object_id)
        here = reverse("admin:approvals_proposedaction_change", args=[proposal.pk])
        if request.method != "POST":
            return HttpResponseRedirect(here)
        verdict = request.POST.get("verdict", "")
        comment = request.POST.get("comment", "")
        try:
            if request.POST.get("together"):
                results = decide_together(
                    proposal=proposal, user=signed_in(request.user), verdict=verdict, comment=comment
                )
            else:
                results = [
                    decide_from_console(
                        proposal=proposal, user=signed_in(request.user), verdict=verdict, comment=comment
                    )
                ]
        except ApprovalError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(_safe_next(request, here))
        for result in results:
            self.message_user(request, outcome_words(verdict, result), messages.SUCCESS)
        return HttpResponseRedirect(_safe_next(request, here))

    def edit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Edit and approve: the arguments' form, then the diff and what the policy will ask, then confirm."""
        proposal = self.get_object(request, object_id)
        here = reverse("admin:approvals_proposedaction_change", args=[proposal.pk])
        if not permissions.can_decide(request.user, proposal.division_id) or proposal.status != Status.PENDING:
            self.message_user(request, f"Proposal #{proposal.pk} is not yours to edit now.", messages.WARNING)
            return HttpResponseRedirect(here)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "proposal": proposal,
            "title": f"Edit and approve: {proposal.title or proposal.action_type}",
            "money": registry.money_words(proposal.money_at_stake),
        }
        if request.method == "POST" and "confirm" in request.POST:
            try:
                args = json.loads(request.POST.get("args_json", ""))
                result = decide_from_console(
                    proposal=proposal,
                    user=signed_in(request.user),
                    verdict="edit_approve",
                    args=args,
                    comment=request.POST.get("comment", ""),
                )
            except (ApprovalError, ValueError) as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(request, outcome_words("edit_approve", result), messages.SUCCESS)
            return HttpResponseRedirect(here)
        form = ArgsForm(request.POST if request.method == "POST" else None, proposal=proposal)
        if request.method == "POST" and form.is_valid():
            context["preview"] = edit_preview(proposal, form)
            context["comment"] = form.cleaned_data.get("comment", "")
        context["form"] = form
        return TemplateResponse(request, "approvals/edit_approve.html", context)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields] + [
            "drafted",
            "evidence",
            "bundled_with",
            "priority_rounded",
            "track_record",
            "stake",
        ]

    @admin.display(description="Track record")
    def track_record(self, obj: ProposedAction) -> str:
        """The proposing agent's judged outcomes of this kind of action, to weigh its proposal by."""
        return hooks.track_record_words(obj) or "-"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return permissions.can_view(request.user, obj.division_id)
        return permissions.sees_anywhere(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_history_or_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # With SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS the history pages ask only for the
        # historical model's permission, which knows nothing of divisions: scope them like the change page.
        return self.has_view_permission(request, obj) and super().has_view_history_or_change_history_permission(
            request, obj
        )

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return permissions.decides_anywhere(request.user)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra_context = {"title": "Proposals", **(extra_context or {})}
        # Someone who decides nowhere has no decide actions, and Django would ignore a posted one
        # without a word; say why nothing happened.
        if (
            request.method == "POST"
            and request.POST.get("action") in DECIDE_ACTIONS
            and not self.has_decide_permission(request)
        ):
            self.message_user(request, NOT_YOURS, messages.WARNING)
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)

    def action_checkbox(self, obj: ProposedAction) -> str:
        # The input Django's widget renders, written directly: rendering the widget's template once
        # per row was a third of the list's time at a full page of proposals.
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )

    @admin.display(description="Proposal", ordering="title")
    def title_or_type(self, obj: ProposedAction) -> str:
        return obj.title or obj.action_type

    @admin.display(description="At stake", ordering="value_at_stake")
    def money(self, obj: ProposedAction) -> str:
        # The value orders the column: a send spends nothing but is worth its expected revenue.
        return obj.stake_short

    @admin.display(description="At stake")
    def stake(self, obj: ProposedAction) -> str:
        # Money in the proposal's currency, with the value beside it when it is a figure of its own.
        return obj.stake_words[0].upper() + obj.stake_words[1:]

    @admin.display(description="Priority", ordering="priority")
    def priority_rounded(self, obj: ProposedAction) -> str:
        return f"{obj.priority:.0f}"

    @admin.display(description="Expires", ordering="expires_at")
    def expires(self, obj: ProposedAction) -> str:
        if obj.expires_at is None:
            return "-"
        return timezone.localtime(obj.expires_at, registry.brand_timezone()).strftime("%b %d, %H:%M")

    @admin.display(description="Proposed by", ordering="agent_key")
    def drafted(self, obj: ProposedAction) -> str:
        # One column for who and how: the agent, and whether an LLM or the offline templates wrote it.
        return f"{obj.agent_key} ({obj.drafted_label})" if obj.agent_key else obj.drafted_label

    @admin.display(description="Held", ordering="hold_reason")
    def held(self, obj: ProposedAction) -> str:
        # Words, not Django's red cross on every proposal that is not held (it read as an error).
        return "held" if obj.is_held else ""

    @admin.action(description="Approve selected proposals", permissions=["decide"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            self,
            request,
            queryset,
            "Approved",
            lambda p: decide_from_console(proposal=p, user=signed_in(request.user), verdict="approve", via="admin"),
        )

    @admin.action(description="Reject selected proposals (with a reason)", permissions=["decide"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return _with_text(
            self,
            request,
            queryset,
            action="reject_selected",
            label="Reject",
            verb="Rejected",
            call=lambda p, text: decide_from_console(
                proposal=p, user=signed_in(request.user), verdict="reject", comment=text, via="admin"
            ),
        )

    @admin.action(description="Send selected proposals back (with a comment)", permissions=["decide"])
    def send_back_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return _with_text(
            self,
            request,
            queryset,
            action="send_back_selected",
            label="Send back",
            verb="Sent back",
            call=lambda p, text: decide_from_console(
                proposal=p, user=signed_in(request.user), verdict="send_back", comment=text, via="admin"
            ),
        )

    @admin.action(
        description="Release the hold on selected proposals (directors, with a reason)", permissions=["decide"]
    )
    def release_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return _with_text(
            self,
            request,
            queryset,
            action="release_selected",
            label="Release the hold",
            verb="Released the hold on",
            call=lambda p, text: _decide(request, p, "release", text),
        )

    @admin.action(description="Cancel selected approvals not yet executing", permissions=["decide"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(self, request, queryset, "Cancelled", lambda p: _decide(request, p, "cancel"))


class _ProposalAudit(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Decisions, executions and link uses: append-only, seen only with the proposal they belong to."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        visible = proposals_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(proposal__in=visible).select_related("proposal")


@admin.register(Decision)
class DecisionAdmin(_ProposalAudit):
    list_display = ("at", "proposal", "actor_label", "verdict", "via", "comment")
    list_filter = ("verdict", "via")
    search_fields = ("actor_label", "comment")


@admin.register(Execution)
class ExecutionAdmin(_ProposalAudit):
    list_display = ("started_at", "proposal", "action_type", "attempt", "ok", "error", "finished_at")
    list_filter = ("ok", "action_type")
    search_fields = ("idempotency_key", "action_type", "error")


@admin.register(LinkUse)
class LinkUseAdmin(_ProposalAudit):
    list_display = ("used_at", "proposal", "user", "verdict", "decision")
