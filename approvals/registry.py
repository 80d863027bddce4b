"""The action-type registry: domain apps register the actions agents may propose, like admin.register.

approvals knows nothing of ads or e-mail. An app declares its types in `<app>/actions.py` (imported
by `ApprovalsConfig.ready`) with `@register`; a proposal can only name a registered type, with
arguments that parse into the type's pydantic model. That is the whole vocabulary an LLM has.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pydantic
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .errors import InvalidArguments, UnknownActionType

CATEGORIES = ("spend", "message", "schedule", "internal")
# How a spend action is capped: "daily" adds up with the division's other spend of the brand day
# under its daily spend cap; "per_order" (a purchase order) is judged alone against the division's
# purchase order limit, since one restock can be worth many days of ad spend.
SPEND_LIMITS = ("daily", "per_order")


@dataclass(frozen=True)
class Value:
    """What an action is worth besides what it spends: the revenue a send is expected to bring, the
    spend a pause stops. `kind` names the figure for people ("expected revenue"), `how` says how it
    was estimated, with its assumptions ("1,204 consenting customers x $91.94 average order x 2%
    response (assumed)"). It ranks and informs; it is never counted as spend by the gate."""

    amount: Decimal
    kind: str
    how: str


@dataclass(frozen=True)
class Message:
    """What a customer will receive from a message action, shown to the approver before the send."""

    subject: str
    text: str
    html: str = ""


class ActionType:
    """One kind of change. Subclass per type and register it with `@register`.

    `execute` must be idempotent on `idempotency_key`: called twice with one key, the effect
    happens once and the second call returns the first result.
    """

    key: ClassVar[str]
    category: ClassVar[str]
    Args: ClassVar[type[pydantic.BaseModel]]
    label: ClassVar[str] = ""
    # After a person rejects a proposal of this type, agents leave its target alone this many days
    # unless the numbers it rested on moved (ATLAS_REJECT_COOLDOWN_DAYS overrides it per type).
    reject_cooldown_days: ClassVar[int] = 14
    # The argument fields that name what the action acts on (a campaign, a SKU): a rejection holds for
    # the target whatever the amount. Empty: the whole arguments are the target.
    target_fields: ClassVar[tuple[str, ...]] = ()
    # How many days after its execution the action's outcome is checked (0: never).
    outcome_horizon_days: ClassVar[int] = 0
    # What a track record calls several of these ("budget changes"); the key when empty.
    plural: ClassVar[str] = ""
    # "daily": counts towards the division's daily spend cap; "per_order": judged against the
    # division's purchase-order limit on its own (a PO is one large, planned commitment).
    spend_limit: ClassVar[str] = "daily"

    def targets(self, args: dict) -> tuple[str, ...]:
        """What a proposal of this type acts on, read from its stored arguments (the JSON that
        `ProposedAction.args` holds, so no database read and no re-validation): ("campaign:12",),
        ("sku:HP-104",), ("segment:vip-lapsing",), ("po:PO-7",).

        Two proposals of one type on the same targets are the same work: a director keeps the
        stronger, an agent does not propose it again while the first is open (`open_twin`), and
        the orchestrator finds a proposal's campaign, SKUs and segment here. Every type declares
        it; there is no guess from argument names.
        """
        raise NotImplementedError(f"{self.key}: the action type does not declare targets(args)")

    def money_at_stake(self, args: Any) -> Decimal:
        return Decimal("0")

    def preview(self, args: Any) -> str:
        return self.title(args)

    def basis(self, args: Any) -> dict:
        """The row versions the action rests on: {"brand.adcampaign:12": {"daily_budget": "120.00"}}."""
        return {}

    def execute(self, args: Any, *, idempotency_key: str) -> dict:
        raise NotImplementedError

    def deliver(self, args: Any, *, idempotency_key: str) -> None:
        """Tell the outside world about the applied effect (a webhook). The executor calls it after
        the effect's transaction has committed, so that a slow receiver never holds a database lock
        and is never told about an effect that then rolled back. It must be idempotent; raise
        TransientActionError to be retried (the retry finds the effect applied and only re-delivers)."""
        return None

    def applied(self, idempotency_key: str) -> dict | None:
        """The stored result when the effect under this key happened already (a worker died after
        applying it), else None. The executor then records that result instead of re-checking the
        basis, which the effect itself has changed."""
        return None

    def check(self, args: Any) -> None:
        """State the arguments must find (the campaign is active, the PO is a draft): ValueError if not."""

    def title(self, args: Any) -> str:
        return self.label or self.key

    def money_explained(self, args: Any) -> str:
        """How `money_at_stake` counts, in words, for the approver (e.g. "a week of the change")."""
        return ""

    def value(self, args: Any) -> Value | None:
        """What the action is expected to bring, protect or stop, when `money_at_stake` (what it spends
        or commits) does not say it: a send spends nothing but is worth its expected revenue. None when
        the type has no estimate of its own. Read once, when a proposal is created or its arguments change."""
        return None

    def message(self, args: Any) -> Message | None:
        """A message action's e-mail as the customer will see it; None for every other action."""
        return None

    def currency(self, args: Any) -> str:
        return _context["currency"]()

    # --- helpers the approvals services use --------------------------------------------------

    def parse(self, args: dict | pydantic.BaseModel) -> pydantic.BaseModel:
        """Arguments into the Args model; an error names the type, the field and the value."""
        if isinstance(args, self.Args):
            return args
        if isinstance(args, pydantic.BaseModel):
            args = args.model_dump(mode="json")
        if not isinstance(args, dict):
            raise InvalidArguments(f"{self.key}: arguments must be an object, got {type(args).__name__}")
        try:
            return self.Args.model_validate(args)
        except pydantic.ValidationError as exc:
            raise InvalidArguments(f"{self.key}: {format_validation_error(exc)}") from exc

    def dump(self, args: pydantic.BaseModel) -> dict:
        return args.model_dump(mode="json")

    def target(self, args: dict) -> dict:
        """What the (dumped) arguments act on: the `target_fields` of them, or all of them."""
        if not self.target_fields:
            return dict(args)
        return {name: args.get(name) for name in self.target_fields}

    def cooldown_days(self) -> int:
        """The reject cooldown in days: the setting's value for this type, else the class default."""
        overrides = settings.ATLAS_REJECT_COOLDOWN_DAYS
        return int(overrides.get(self.key, self.reject_cooldown_days))


def format_validation_error(exc: pydantic.ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())) or "arguments"
        message = error.get("msg", "invalid")
        if "input" in error and error.get("type") != "missing":
            parts.append(f"{where}={error['input']!r}: {message}")
        else:
            parts.append(f"{where}: {message}")
    return "; ".join(parts)


def targets_of(action_type: str, args: dict) -> tuple[str, ...]:
    """The targets of stored arguments by their type, as a sorted tuple (order never matters)."""
    return tuple(sorted(get(action_type).targets(args or {})))


def target_ids(targets: tuple[str, ...], kind: str) -> list[str]:
    """The ids of one kind among targets: target_ids(("campaign:12", "sku:A"), "sku") -> ["A"]."""
    prefix = f"{kind}:"
    return [target.removeprefix(prefix) for target in targets if target.startswith(prefix)]


def fingerprint(basis: dict) -> str:
    """sha256 of the canonical JSON of the basis: key order and number formatting do not matter."""
    canonical = json.dumps(basis, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


_registry: dict[str, ActionType] = {}
_context: dict[str, Any] = {
    "currency": lambda: "USD",
    "timezone": lambda: ZoneInfo("UTC"),
    # Until the domain app hands over its formatter (at start-up), the plain amount and code.
    "money_words": lambda amount, *, currency: f"{amount} {currency}",
    "day_bounds": None,
}


def register(cls: type[ActionType]) -> type[ActionType]:
    """Class decorator: registers one instance of the type under its key."""
    key = getattr(cls, "key", "")
    if not key:
        raise TypeError(f"{cls.__qualname__} has no key")
    if getattr(cls, "category", None) not in CATEGORIES:
        raise TypeError(f"{key}: category must be one of {', '.join(CATEGORIES)}")
    if not (isinstance(getattr(cls, "Args", None), type) and issubclass(cls.Args, pydantic.BaseModel)):
        raise TypeError(f"{key}: Args must be a pydantic model")
    if getattr(cls, "spend_limit", "daily") not in SPEND_LIMITS:
        raise TypeError(f"{key}: spend_limit must be one of {', '.join(SPEND_LIMITS)}")
    existing = _registry.get(key)
    if existing is not None and type(existing).__qualname__ != cls.__qualname__:
        raise TypeError(f"action type {key!r} is registered twice ({type(existing).__qualname__}, {cls.__qualname__})")
    _registry[key] = cls()
    return cls


def unregister(key: str) -> None:
    _registry.pop(key, None)


def get(key: str) -> ActionType:
    try:
        return _registry[key]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none registered"
        raise UnknownActionType(f"unknown action type {key!r} (known: {known})") from None


def all_types() -> Iterator[ActionType]:
    return iter(sorted(_registry.values(), key=lambda t: t.key))


def configure(
    *,
    currency: Callable[[], str] | None = None,
    timezone: Callable[[], dt.tzinfo] | None = None,
    money_words: Callable[..., str] | None = None,
    day_bounds: Callable[[dt.date, dt.tzinfo], tuple[dt.datetime, dt.datetime]] | None = None,
) -> None:
    """The domain app tells approvals the brand's currency, timezone (the spend cap's day) and how
    it writes money for people (`money_words(amount, *, currency)`): approvals cannot import it."""
    if currency is not None:
        _context["currency"] = currency
    if timezone is not None:
        _context["timezone"] = timezone
    if money_words is not None:
        _context["money_words"] = money_words
    if day_bounds is not None:
        _context["day_bounds"] = day_bounds


def day_bounds(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of one brand day, by the domain app's clock (never a second copy of it here)."""
    bounds = _context["day_bounds"]
    if bounds is None:
        raise ImproperlyConfigured("approvals.registry.configure(day_bounds=...) was never called: is brand installed?")
    return bounds(day, tz)


def money_words(amount: Decimal | int | float | None, *, currency: str | None = None) -> str:
    """An amount in words, by the domain app's one formatter ("$1,240", "€12.50"); in the brand's
    currency unless another is named."""
    return _context["money_words"](amount, currency=currency or _context["currency"]())


def brand_timezone() -> dt.tzinfo:
    return _context["timezone"]()
