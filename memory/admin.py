"""The memory browser and the conflict list in the admin.

Entries are read-only here: an agent's entry is evidence and must not change under the proposals
resting on it, and a person's entry changes by writing a new one. People add preferences and facts
through the add form, which calls `memory_add_by_person` (the same rules as the command).
Conflicts are resolved with an action that asks for a note and calls `conflict_resolve`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from atlas_project.admin import CheapPaginator, ReadOnlyAdminMixin
from atlas_project.audit import Actor, acting_as
from divisions import permissions
from divisions.models import Division

from . import search, selectors, services
from .errors import AtlasMemoryError
from .models import Conflict, Kind, MemoryEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Entity types offered by the key filter; other prefixes work through the search box.
KEY_ENTITY_TYPES = ("sku", "product", "campaign", "channel", "segment", "email", "customer", "supplier", "po", "policy")
ADMIN_SEARCH_WINDOW = 1000


class ConflictedFilter(admin.SimpleListFilter):
    title = "conflict"
    parameter_name = "conflicted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "In an open conflict"), ("no", "Not in conflict")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(in_conflict=True)
        if self.value() == "no":
            return queryset.filter(in_conflict=False)
        return queryset


class CurrentFilter(admin.SimpleListFilter):
    title = "current or superseded"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("current", "Current"), ("superseded", "Superseded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "current":
            return queryset.filter(is_current=True)
        if self.value() == "superseded":
            return queryset.filter(is_current=False)
        return queryset


class KeyPrefixFilter(admin.SimpleListFilter):
    title = "key"
    parameter_name = "key_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("none", "No key"), *[(t, f"{t}:…") for t in KEY_ENTITY_TYPES]]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "none":
            return queryset.filter(key__isnull=True)
        if value:
            return queryset.filter(key__startswith=f"{value}:")
        return queryset


class PersonEntryForm(forms.ModelForm):
    """The add form: what a person may say, checked with the same rules as the service."""

    kind = forms.ChoiceField(
        choices=[
            (Kind.PREFERENCE, "Preference (a rule agents must respect)"),
            *[choice for choice in Kind.choices if choice[0] != Kind.PREFERENCE],
        ],
        initial=Kind.PREFERENCE,
    )
    value = forms.CharField(
        required=False, help_text='Optional value as JSON, e.g. 20 or "paused"; compared to spot conflicts.'
    )

    class Meta:
        model = MemoryEntry
        fields = ["kind", "division", "key", "subject", "text", "value", "valid_until"]

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        division_field = self.fields.get("division")
        if isinstance(division_field, forms.ModelChoiceField):
            division_field.queryset = (
                Division.objects.all()
                if permissions.is_owner(user)
                else Division.objects.filter(memberships__user=user, memberships__role="director")
            )
            division_field.required = not permissions.is_owner(user)

    def clean_value(self) -> Any:
        raw = self.cleaned_data.get("value", "").strip()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON ({exc.msg} at column {exc.colno}).") from exc

    def clean_key(self) -> str | None:
        key = (self.cleaned_data.get("key") or "").strip() or None
        if key is not None and not services.KEY_RE.match(key):
            raise forms.ValidationError("Expected entity:attribute, e.g. policy:discount:max_pct.")
        return key

    def _post_clean(self) -> None:
        # The model's own validation would demand author_label and valid_from, which the service fills.
        pass


@admin.register(MemoryEntry)
class MemoryEntryAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    # Entries are never edited or deleted (a new entry supersedes); people may add, see below.
    list_display = (
        "short_text",
        "key_link",
        "kind",
        "division",
        "author_label",
        "confidence",
        "valid_from",
        "is_current",
        "conflicted",
    )
    list_filter = ("division", "kind", KeyPrefixFilter, CurrentFilter, ConflictedFilter)
    list_select_related = ("division",)
    search_fields = ("key",)
    search_help_text = "Words are matched in key, subject and text (full-text); a key prefix matches keys."
    show_full_result_count = False
    paginator = CheapPaginator
    list_per_page = 50
    ordering = ("-created_at", "-id")
    readonly_fields = ("key_history",)

    # --- scoping and permissions ----------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[MemoryEntry]:
        return selectors.entries_visible_to(request.user)

    def has_view_permission(self, request: HttpRequest, obj: MemoryEntry | None = None) -> bool:
        if obj is not None and obj.division_id is not None:
            return permissions.can_view(request.user, obj.division_id)
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_history_or_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The historical model's permission knows nothing of divisions: scope the history pages too.
        return self.has_view_permission(request, obj) and super().has_view_history_or_change_history_permission(
            request, obj
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return permissions.directs_anywhere(user)

    # --- the add form calls the service ---------------------------------------------------------

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = PersonEntryForm
        base = super().get_form(request, obj, change=change, **kwargs)

        user = permissions.signed_in(request.user)

        # The base is the form class the admin builds at run time, which a type checker cannot follow.
        class FormForUser(base):  # type: ignore[misc,valid-type]  # the admin instantiates forms without our `user` argument
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, user=user, **kw)

        return FormForUser

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["kind", "division", "key", "subject", "text", "value", "valid_until"]
        return [
            "kind",
            "key",
            "subject",
            "text",
            "data",
            "division",
            "author_label",
            "author_run",
            "author_user",
            "confidence",
            "evidence",
            "valid_from",
            "valid_until",
            "is_current",
            "supersedes",
            "created_at",
            "key_history",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return self.get_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: MemoryEntry, form: Any, change: bool) -> None:
        data = form.cleaned_data
        user = permissions.signed_in(request.user)
        with acting_as(Actor.for_user(user)):
            entry = services.memory_add_by_person(
                user=user,
                text=data["text"],
                kind=data["kind"],
                key=data.get("key"),
                subject=data.get("subject") or "",
                data={"value": data["value"]} if data.get("value") is not None else None,
                division=data.get("division"),
                valid_until=data.get("valid_until"),
            )
        obj.pk = entry.pk
        obj.__dict__.update({k: v for k, v in entry.__dict__.items() if k != "_state"})
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # no relations to save; the service wrote the entry

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        try:
            return super().add_view(request, form_url, extra_context)
        except AtlasMemoryError as exc:
            # The form checks what it can; the service has the last word (permissions, a race).
            self.message_user(request, str(exc), messages.ERROR)
            return super().add_view(_as_get(request), form_url, extra_context)

    # --- search through the full-text index -----------------------------------------------------

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        # The full-text index with a bounded window (the newest matches), superseded values included:
        # the browser shows history, recall does not.
        found = search.candidates(term, division_id=None, kinds=None, window=ADMIN_SEARCH_WINDOW, current_only=False)
        ids = [c.id for c in found]
        return queryset.filter(Q(pk__in=ids) | Q(key__startswith=term)), False

    # --- columns --------------------------------------------------------------------------------

    @admin.display(description="Text", ordering="text")
    def short_text(self, obj: MemoryEntry) -> str:
        return obj.text if len(obj.text) <= 90 else obj.text[:87] + "…"

    @admin.display(description="Key", ordering="key")
    def key_link(self, obj: MemoryEntry) -> str:
        if not obj.key:
            return "—"
        url = reverse("admin:memory_memoryentry_changelist") + f"?key__exact={obj.key}"
        return format_html('<a href="{}" title="Every value of this key, with its author">{}</a>', url, obj.key)

    @admin.display(description="Conflict", boolean=True, ordering="in_conflict")
    def conflicted(self, obj: MemoryEntry) -> bool:
        return bool(getattr(obj, "in_conflict", False))

    @admin.display(description="History of this key")
    def key_history(self, obj: MemoryEntry) -> str:
        if not obj.key:
            return "—"
        rows = selectors.key_history(obj.key)[:50]
        return format_html(
            "<table><tr><th>When</th><th>Author</th><th>Value</th><th>Text</th><th></th></tr>{}</table>",
            format_html_join(
                "",
                '<tr><td>{}</td><td>{}</td><td>{}</td><td><a href="{}">{}</a></td><td>{}</td></tr>',
                (
                    (
                        f"{e.created_at:%Y-%m-%d %H:%M}",
                        e.author_label,
                        repr(e.value) if e.has_value else "",
                        reverse("admin:memory_memoryentry_change", args=[e.pk]),
                        e.text[:120],
                        "current" if e.is_current else "superseded",
                    )
                    for e in rows
                ),
            ),
        )


def _as_get(request: HttpRequest) -> HttpRequest:
    request.method = "GET"
    return request


class ResolveForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), help_text="Which value holds, and why."
    )


@admin.register(Conflict)
class ConflictAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("key", "earlier_said", "later_said", "is_open", "created_at", "resolved_by", "resolution_note")
    list_filter = ("is_open",)
    list_select_related = ("earlier", "later", "resolved_by")
    search_fields = ("key",)
    actions = ["resolve_selected"]
    readonly_fields = ("key", "earlier", "later", "is_open", "resolution_note", "resolved_by", "resolved_at")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conflict]:
        # A conflict shows both entries' values: staff see it only when both entries are theirs to
        # see (their divisions' or brand-wide), the same rule as the memory browser.
        qs = selectors.conflicts_visible_to(request.user)
        if permissions.is_owner(request.user):
            return qs
        divisions = permissions.visible_divisions(request.user)
        return qs.filter(Q(earlier__division__isnull=True) | Q(earlier__division__in=divisions))

    def has_view_permission(self, request: HttpRequest, obj: Conflict | None = None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        if obj is None or permissions.is_owner(request.user):
            return True
        return all(
            entry.division_id is None or permissions.can_view(request.user, entry.division_id)
            for entry in (obj.earlier, obj.later)
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_history_or_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The historical model's permission knows nothing of divisions: scope the history pages too.
        return self.has_view_permission(request, obj) and super().has_view_history_or_change_history_permission(
            request, obj
        )

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return permissions.directs_anywhere(user)

    @admin.display(description="Earlier")
    def earlier_said(self, obj: Conflict) -> str:
        return _said(obj.earlier)

    @admin.display(description="Later (current)")
    def later_said(self, obj: Conflict) -> str:
        return _said(obj.later)

    @admin.action(description="Resolve selected conflicts (with a note)", permissions=["resolve"])
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = ResolveForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            resolved, skipped = services.conflicts_resolve(
                conflicts=queryset, user=permissions.signed_in(request.user), note=form.cleaned_data["note"]
            )
            if resolved:
                self.message_user(request, f"Resolved {resolved} conflict{'s' if resolved != 1 else ''}.")
            if skipped:
                self.message_user(
                    request,
                    f"Skipped {skipped}: already resolved, or not in a division you direct.",
                    messages.WARNING,
                )
            return None
        return TemplateResponse(
            request,
            "memory/admin_resolve_conflicts.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Resolve {queryset.count()} conflict(s)",
                "conflicts": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


def _said(entry: MemoryEntry) -> str:
    return f"{entry.author_label}: {entry.value!r}"
