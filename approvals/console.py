"""The console's decisions and what a proposal's page shows before anyone decides.

`decide_from_console` is the console's one door to the decision services: the proposal's page, the
cards on Today and the list all call it, so that switching them to a single decision service is a
change here only. `proposal_page` gathers what a person reads before deciding (the change as
before -> after, money in the brand's words, the caps it meets, evidence, linked work).
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import Value
from django.utils import timezone

from divisions import permissions

from . import policy, registry, services
from .errors import InvalidArguments
from .models import ProposedAction, Status

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from divisions.permissions import Someone

VERDICTS = ("approve", "edit_approve", "send_back", "reject", "release")


def decide_from_console(
    *,
    proposal: ProposedAction,
    user: User,
    verdict: str,
    comment: str = "",
    args: dict | None = None,
    via: str = "console",  # where in the console; the decision is recorded as taken in the console
) -> ProposedAction:
    """One decision taken in the console (a proposal's page, Today, the list's bulk actions): the one
    decision service, the same gate as the e-mail link and `atlas_decide`. Releasing a hold is for
    owners and directors, with a reason; the service says so when it is not."""
    decision = services.proposal_decide(
        proposal=proposal, user=user, verdict=verdict, comment=(comment or "").strip(), args=args, via="console"
    )
    return decision.proposal


TOGETHER_VERDICTS = ("approve", "send_back", "reject")


def bundle_partners(proposal: ProposedAction) -> list[ProposedAction]:
    """The other proposals this one belongs with (either direction of the link), oldest first."""
    partners = {p.pk: p for p in [*proposal.bundled_with.all(), *proposal.bundled_into.all()] if p.pk != proposal.pk}
    return [partners[pk] for pk in sorted(partners)]


def decide_together(*, proposal: ProposedAction, user: User, verdict: str, comment: str = "") -> list[ProposedAction]:
    """One verdict on a proposal and its pending bundle partners ("Approve both", "Send both back"): each
    through the one decision service, in one transaction, so that a refusal of any (another division's
    half, a missing comment) leaves all of them as they were."""
    if verdict not in TOGETHER_VERDICTS:
        raise InvalidArguments(
            f"proposal #{proposal.pk}: {verdict!r} is not decided together (only {', '.join(TOGETHER_VERDICTS)})"
        )
    group = [proposal, *(p for p in bundle_partners(proposal) if p.status == Status.PENDING)]
    with transaction.atomic():
        return [decide_from_console(proposal=p, user=user, verdict=verdict, comment=comment) for p in group]


# --- the edit form, built from the action type's arguments model ----------------------------------


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """(the inner type, whether None is allowed) for `X | None` and `Optional[X]`."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0], True
    return annotation, False


def _form_field(name: str, info: Any) -> tuple[forms.Field, bool]:
    """A form field for one argument, and whether its value travels as JSON (lists, objects)."""
    inner, optional = _unwrap_optional(info.annotation)
    if typing.get_origin(inner) is typing.Annotated:
        inner = typing.get_args(inner)[0]
    required = info.is_required() and not optional
    label = name.replace("_", " ").capitalize()
    help_text = info.description or ""
    kwargs: dict[str, Any] = {"required": required, "label": label, "help_text": help_text}
    if inner is bool:
        return forms.BooleanField(**{**kwargs, "required": False}), False
    if inner is int:
        return forms.IntegerField(**kwargs), False
    if inner is Decimal:
        return forms.DecimalField(**kwargs), False
    if inner is float:
        return forms.FloatField(**kwargs), False
    if inner is dt.datetime:
        return forms.DateTimeField(**kwargs, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})), False
    if inner is dt.date:
        return forms.DateField(**kwargs, widget=forms.DateInput(attrs={"type": "date"})), False
    if inner is str:
        long = name in ("body", "body_html", "text", "brief", "markdown") or "body" in name
        widget = forms.Textarea(attrs={"rows": 6}) if long else forms.TextInput(attrs={"size": 60})
        return forms.CharField(**kwargs, widget=widget, strip=False), False
    if typing.get_origin(inner) is list and typing.get_args(inner) in ((str,), (int,)):
        # A list of SKUs or ids: written as people list things, separated by commas.
        kwargs["help_text"] = " ".join(filter(None, [help_text, "Separate several with commas."]))
        return ListField(**kwargs, item=typing.get_args(inner)[0]), False
    kwargs["help_text"] = " ".join(filter(None, [help_text, "JSON."]))
    return forms.CharField(**kwargs, widget=forms.Textarea(attrs={"rows": 4})), True


class ListField(forms.CharField):
    """A list of short values ("HP-104, HP-310") as one text input; cleans to a list of str or int."""

    def __init__(self, *, item: type, **kwargs: Any) -> None:
        self.item = item
        super().__init__(widget=forms.TextInput(attrs={"size": 60}), **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[Any]:  # type: ignore[override]
        text = str(super().to_python(value) or "")
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if self.item is int:
            try:
                return [int(part) for part in parts]
            except ValueError as exc:
                raise forms.ValidationError(f"whole numbers separated by commas, got {text!r}") from exc
        return parts


def _like(value: Decimal, original: Any) -> Decimal:
    """An edited amount written with the proposal's own decimals (100 -> 100.00 next to 80.00)."""
    try:
        exponent = Decimal(str(original)).as_tuple().exponent
    except (ArithmeticError, ValueError):
        return value
    if isinstance(exponent, int) and exponent < 0 and value.as_tuple().exponent > exponent:  # type: ignore[operator]
        return value.quantize(Decimal(1).scaleb(exponent))
    return value


class ArgsForm(forms.Form):
    """The proposal's arguments as a form; `args()` re-validates them through the action type."""

    comment = forms.CharField(required=False, label="Comment (optional)", widget=forms.TextInput(attrs={"size": 60}))

    def __init__(self, *a: Any, proposal: ProposedAction, **kw: Any) -> None:
        self.proposal = proposal
        self.action = registry.get(proposal.action_type)
        self.json_fields: set[str] = set()
        initial = {}
        fields = {}
        for name, info in self.action.Args.model_fields.items():
            form_field, as_json = _form_field(name, info)
            value = proposal.args.get(name)
            if as_json:
                self.json_fields.add(name)
                value = json.dumps(value, indent=1) if value is not None else ""
            elif isinstance(form_field, forms.DateTimeField) and isinstance(value, str):
                value = timezone.localtime(dt.datetime.fromisoformat(value), registry.brand_timezone()).replace(
                    tzinfo=None
                )
            fields[name] = form_field
            initial[name] = value
        kw.setdefault("initial", initial)
        super().__init__(*a, **kw)
        comment = self.fields.pop("comment")
        self.fields.update(fields)
        self.fields["comment"] = comment

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.parsed = self.action.parse(self._raw(cleaned))
        except InvalidArguments as exc:
            raise forms.ValidationError(str(exc)) from exc
        return cleaned

    def _raw(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for name in self.action.Args.model_fields:
            value = cleaned.get(name)
            if name in self.json_fields:
                if value in ("", None):
                    value = None
                else:
                    try:
                        value = json.loads(value)
                    except ValueError as exc:
                        raise forms.ValidationError({name: f"not valid JSON: {exc}"}) from exc
            elif value == "" or value is None or (value == [] and name not in self.proposal.args):
                value = None
            elif isinstance(value, dt.datetime):
                if timezone.is_naive(value):
                    value = value.replace(tzinfo=registry.brand_timezone())
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(_like(value, self.proposal.args.get(name)))
            elif isinstance(value, dt.date):
                value = value.isoformat()
            if value is None and name not in self.proposal.args:
                continue
            raw[name] = value
        return raw

    def new_args(self) -> dict[str, Any]:
        return self.action.dump(self.parsed)


@dataclass(frozen=True)
class ArgChange:
    name: str
    before: Any
    after: Any

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()

    @property
    def before_words(self) -> str:
        return _value_words(self.name, self.before)

    @property
    def after_words(self) -> str:
        return _value_words(self.name, self.after)


# Argument names that hold an amount of money: shown in the brand's currency ("$140", not "140.00").
MONEY_ARGS = ("budget", "price", "amount", "cost", "total", "spend")


def _value_words(name: str, value: Any) -> str:
    if value is None or value == "":
        return "-"
    if any(hint in name for hint in MONEY_ARGS) and not isinstance(value, bool):
        try:
            return registry.money_words(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            return str(value)
    return str(value)


def args_diff(before: dict[str, Any], after: dict[str, Any]) -> list[ArgChange]:
    return [
        ArgChange(name, before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    ]


@dataclass(frozen=True)
class EditPreview:
    """What an edit would change, and what the policy will then ask for, before anyone confirms."""

    changes: list[ArgChange]
    money_before: str
    money_after: str
    four_eyes: bool
    new_args_json: str


def edit_preview(proposal: ProposedAction, form: ArgsForm) -> EditPreview:
    new_args = form.new_args()
    money_after = form.action.money_at_stake(form.parsed)
    return EditPreview(
        changes=args_diff(proposal.args, new_args),
        money_before=registry.money_words(proposal.money_at_stake),
        money_after=registry.money_words(money_after),
        four_eyes=proposal.is_gated and money_after > settings.ATLAS_FOUR_EYES_AMOUNT,
        new_args_json=json.dumps(new_args),
    )


# --- what the proposal's page shows ---------------------------------------------------------------


@dataclass
class ProposalPage:
    proposal: ProposedAction
    money: str
    money_how: str = ""
    changes: list[ArgChange] = field(default_factory=list)
    cap_warning: str = ""
    approvals_missing: str = ""
    four_eyes: bool = False
    message: registry.Message | None = None
    can_decide: bool = False
    can_release: bool = False
    linked: list[tuple[str, ProposedAction]] = field(default_factory=list)
    bundle_note: str = ""
    # The pending partners decided with it by "Approve both" / "Send both back".
    together: list[ProposedAction] = field(default_factory=list)
    can_decide_together: bool = False
    evidence: list[Any] = field(default_factory=list)


def before_after(proposal: ProposedAction) -> list[ArgChange]:
    """The arguments that change a value the proposal rests on: the basis holds the value before."""
    changes = []
    for values in (proposal.basis or {}).values():
        if not isinstance(values, dict):
            continue
        for name, before in values.items():
            if name in proposal.args and str(proposal.args[name]) != str(before):
                changes.append(ArgChange(name, before, proposal.args[name]))
    return changes


def _revisions_and_bundlers(proposal: ProposedAction) -> list[ProposedAction]:
    """Its revisions and the proposals that bundle it, in one query (`bundles_it` tells which)."""
    links = ProposedAction.bundled_with.through.objects.filter(to_proposedaction_id=proposal.pk)
    # A UNION of two index lookups (the revision_of key, the primary key): an OR of the two made
    # PostgreSQL read every proposal.
    # No ordering inside a UNION (SQLite refuses it); the whole is ordered below.
    revisions = ProposedAction.objects.filter(revision_of_id=proposal.pk).annotate(bundles_it=Value(False)).order_by()
    bundlers = (
        ProposedAction.objects.filter(pk__in=links.values("from_proposedaction_id"))
        .annotate(bundles_it=Value(True))
        .order_by()
    )
    return list(revisions.union(bundlers, all=True).order_by("pk"))


def proposal_page(proposal: ProposedAction, user: Someone) -> ProposalPage:
    action = registry.get(proposal.action_type)
    pending = proposal.status == Status.PENDING
    page = ProposalPage(
        proposal=proposal,
        money=registry.money_words(proposal.money_at_stake),
        changes=before_after(proposal),
        four_eyes=policy.needs_four_eyes(proposal),
        can_decide=pending and permissions.can_decide(user, proposal.division_id),
        can_release=pending and proposal.is_held and permissions.is_director(user, proposal.division_id),
        evidence=list(proposal.evidence.all()),
    )
    if pending:
        page.cap_warning = policy.spend_cap_breach(proposal)
        page.approvals_missing = policy.approvals_status(proposal).missing
    if pending:
        # Read from today's rows: once executed, those rows show the change itself, not what it changed.
        try:
            page.money_how = action.money_explained(action.parse(proposal.args))
        except (InvalidArguments, ValueError):
            page.money_how = ""  # the rows it counted on are gone; the amount stands as proposed
    if proposal.category == "message":
        try:
            page.message = action.message(action.parse(proposal.args))
        except InvalidArguments:
            page.message = None
    visible = permissions.access(user).visible_ids()
    linked: list[tuple[str, ProposedAction]] = []
    if proposal.revision_of is not None:
        linked.append(("revision of", proposal.revision_of))
    later = _revisions_and_bundlers(proposal)
    linked += [("revised as", p) for p in later if p.revision_of_id == proposal.pk]
    linked += [("bundled with", p) for p in proposal.bundled_with.all()]
    linked += [("bundled into", p) for p in later if p.bundles_it]  # type: ignore[attr-defined]
    page.linked = [(how, p) for how, p in linked if p.division_id in visible]
    page.bundle_note = bundle_note(proposal, [p for how, p in linked if how.startswith("bundled")])
    page.together = [p for how, p in page.linked if how.startswith("bundled") and p.status == Status.PENDING]
    page.can_decide_together = bool(page.together) and page.can_decide and not proposal.is_held
    return page


def bundle_note(proposal: ProposedAction, bundled: list[ProposedAction]) -> str:
    """What deciding this proposal alone does to the work it belongs with, said before anyone decides."""
    open_ones = [p for p in bundled if p.status == Status.PENDING]
    if proposal.status != Status.PENDING or not open_ones:
        return ""
    names = ", ".join(f"#{p.pk}" for p in open_ones)
    return (
        f"This proposal belongs with {names}. Deciding it alone leaves {names} undecided: approving one half "
        "of a pair (a cut that funds a raise, a discount and the e-mail announcing it) can change spend or "
        "promise customers something the other half does not deliver. Decide them together with the buttons "
        "below."
    )
