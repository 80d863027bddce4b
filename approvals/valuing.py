"""A proposal's value at stake: the one estimate of what it is worth that people and the ranking read.

`money_at_stake` is what an action spends or commits (the gate's four-eyes and spend caps count it);
a send spends nothing and a pause stops spend, yet both are worth something. The value is the
largest of: the money at stake, the action type's own estimate (`ActionType.value`) and the estimates
an agent left in the memory entries the proposal cites. It is computed once, when the proposal is
created or its arguments are edited, and stored with the figure's name and how it was estimated.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from . import registry

if TYPE_CHECKING:
    from memory.models import MemoryEntry

CENT = Decimal("0.01")
# Keys under which an agent may leave its own estimate of what a proposal is worth (revenue
# protected or gained) in the data of the memory entries it cites.
ESTIMATE_KEYS = ("expected_revenue", "revenue_at_risk", "revenue_at_stake", "value_at_stake", "money_at_stake")
MONEY_KIND = "money at stake"


def value_at_stake(
    action: registry.ActionType, args: Any, *, money: Decimal, evidence: Iterable[MemoryEntry] = ()
) -> registry.Value:
    """The largest of the money at stake, the type's own estimate and the cited entries' estimates."""
    best = registry.Value(money, MONEY_KIND, action.money_explained(args) or "what the action spends or commits")
    own = action.value(args)
    candidates = [own] if own is not None else []
    for entry in evidence:
        data = entry.data if isinstance(entry.data, dict) else {}
        for key in ESTIMATE_KEYS:
            amount = _amount(data.get(key))
            if amount is not None:
                about = f": {entry.subject}" if entry.subject else ""
                candidates.append(registry.Value(amount, key.replace("_", " "), f"memory #{entry.pk}{about}"))
    for candidate in candidates:
        if candidate.amount > best.amount:
            best = candidate
    return registry.Value(best.amount.quantize(CENT, rounding=ROUND_HALF_UP), best.kind, best.how)


def _amount(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount > 0 else None
