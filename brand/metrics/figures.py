"""Small helpers for the numbers the analyses return: database sums as cents, safe ratios, money in words."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal | float | int | None) -> Decimal:
    """A database sum as cents: Decimal on PostgreSQL, sometimes a float on SQLite, None over no rows."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def safe_ratio(numerator: float | Decimal | int, denominator: float | Decimal | int) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


def usd(value: Decimal | float | int) -> str:
    """$1,240 or $12.50: whole amounts without cents, as people write them in a rationale."""
    amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    sign, amount = ("-", -amount) if amount < 0 else ("", amount)
    return f"{sign}${amount:,.0f}" if amount == amount.to_integral_value() else f"{sign}${amount:,.2f}"


def pct(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"
