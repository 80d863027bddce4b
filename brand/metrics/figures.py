"""Small helpers for the numbers the analyses return: database sums as cents, safe ratios, percentages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from brand.money import money_words

CENT = Decimal("0.01")


def money(value: Decimal | float | int | None) -> Decimal:
    """A database sum as cents: Decimal on PostgreSQL, sometimes a float on SQLite, None over no rows."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def safe_ratio(numerator: float | Decimal | int, denominator: float | Decimal | int) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


# The dollars-only copy that lived here is gone: money in words is `brand.money.money_words`, in the
# brand's currency. The name stays importable for code written against it.
usd = money_words


def pct(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"
