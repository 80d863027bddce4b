"""The approval console in the admin: proposals scoped by division, decisions through the services.

Decisions and executions are read-only audit tables; nothing here changes a proposal except the
actions, which call `approvals.services` (the same gate as the command, the e-mail link and tasks).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from atlas_project.admin import ReadOnlyAdminMixin
from divisions import permissions
from divisions.permissions import signed_in

from . import services
from .errors import ApprovalError
from .models import Decision, Execution, LinkUse, ProposedAction, Status
from .policy import approvals_status
from .selectors import proposals_visible_to


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


def _decide(request: HttpRequest, proposal: ProposedAction, verdict: str, text: str = "") -> Decision:
    return services.proposal_decide(
        proposal=proposal, user=signed_in(request.user), verdict=verdict, comment=text, via="console"
    )


def _run(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, verb: str, call: Any) -> None:
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
            result = call(proposal).proposal
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


@admin.register(ProposedAction)
class ProposedActionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    # The change page is a read-only view; every change goes through the actions.
    list_display = (
        "id",
        "title_or_type",
        "status",
        "category",
        "money",
        "division",
        "agent_key",
        "drafted",
        "expires_at",
        "held",
        "created_at",
    )
    list_filter = ("status", "category", "division")
    search_fields = ("title", "action_type", "preview", "rationale", "agent_key")
    list_select_related = ("division",)
    date_hierarchy = "created_at"
    inlines = [DecisionInline, ExecutionInline]
    actions = list(DECIDE_ACTIONS)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProposedAction]:
        return proposals_visible_to(request.user)

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
                    ("money_at_stake", "currency"),
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
                    ("confidence", "priority"),
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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields] + ["drafted", "evidence", "bundled_with"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return permissions.can_view(request.user, obj.division_id)
        return permissions.visible_divisions(request.user).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_history_or_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # With SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS the history pages ask only for the
        # historical model's permission, which knows nothing of divisions: scope them like the change page.
        return self.has_view_permission(request, obj) and super().has_view_history_or_change_history_permission(
            request, obj
        )

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return permissions.deciding_divisions(request.user).exists()

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
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

    @admin.display(description="Proposal", ordering="title")
    def title_or_type(self, obj: ProposedAction) -> str:
        return obj.title or obj.action_type

    @admin.display(description="At stake", ordering="money_at_stake")
    def money(self, obj: ProposedAction) -> str:
        return obj.money_in_words

    @admin.display(description="Drafted", ordering="drafted_by")
    def drafted(self, obj: ProposedAction) -> str:
        return obj.drafted_label

    @admin.display(description="Held", boolean=True)
    def held(self, obj: ProposedAction) -> bool:
        return obj.is_held

    @admin.action(description="Approve selected proposals", permissions=["decide"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(self, request, queryset, "Approved", lambda p: _decide(request, p, "approve"))

    @admin.action(description="Reject selected proposals (with a reason)", permissions=["decide"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return _with_text(
            self,
            request,
            queryset,
            action="reject_selected",
            label="Reject",
            verb="Rejected",
            call=lambda p, text: _decide(request, p, "reject", text),
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
            call=lambda p, text: _decide(request, p, "send_back", text),
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
