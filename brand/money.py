"""Money in words in the brand's currency: "$1,240", "€12.50", "CHF 300", "-$40".

The one formatter of amounts for people (rationales, briefings, digests, previews, the console),
so that a brand selling in euros never reads dollars anywhere. Amounts for machines (arguments,
ledger rows, JSON numbers) stay Decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .selectors import stored_brand_profile

DEFAULT_CURRENCY = "USD"
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "AUD": "A$", "CAD": "C$", "JPY": "¥"}
# Currencies without minor units: a yen amount is never written with cents.
ZERO_DECIMALS = {"JPY"}
CENT = Decimal("0.01")
WHOLE = Decimal("1")


def brand_currency() -> str:
    """The brand profile's currency (ISO 4217), USD before a profile exists; read once per request
    (a list page writes an amount per row)."""
    profile = stored_brand_profile()
    return (profile.currency if profile is not None and profile.currency else DEFAULT_CURRENCY).upper()


def money_words(amount: Decimal | int | float | str | None, *, currency: str | None = None, whole: bool = False) -> str:
    """An amount as people write it: whole amounts without cents ("$1,240"), else cents ("$12.50").

    `currency` defaults to the brand's. Known currencies take their symbol, others their code
    ("CHF 1,200"); a negative amount puts the sign first ("-$40"); None reads "-". `whole` rounds
    to whole units, for headline figures where cents are noise. Rounding is half up, to the cent.
    """
    if amount is None:
        return "-"
    try:
        value = Decimal(str(amount))  # str() first: a float's binary noise never shows up as cents
    except InvalidOperation:
        raise ValueError(f"money_words: amount={amount!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"money_words: amount={amount!r} is not a finite number")
    code = (currency or brand_currency()).strip().upper()
    step = WHOLE if whole or code in ZERO_DECIMALS else CENT
    value = value.quantize(step, rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    value = abs(value)  # also turns a rounded -0.00 into 0
    digits = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{code} {digits}"
