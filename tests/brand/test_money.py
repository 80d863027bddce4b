"""`money_words`: money in words in the brand's currency, the one formatter for people."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from approvals import registry
from brand.models import BrandProfile
from brand.money import brand_currency, money_words
from brand.selectors import brand_profile


@pytest.mark.parametrize(
    ("amount", "currency", "words"),
    [
        (Decimal("1240"), "USD", "$1,240"),
        (Decimal("1240.00"), "USD", "$1,240"),  # whole amounts without cents
        (Decimal("12.5"), "EUR", "€12.50"),
        ("12.345", "GBP", "£12.35"),  # half up, to the cent
        (0.1 + 0.2, "USD", "$0.30"),  # a float's binary noise never shows
        (1_000_000, "AUD", "A$1,000,000"),
        (99.99, "CAD", "C$99.99"),
        (Decimal("1200.4"), "JPY", "¥1,200"),  # no minor units in yen
        (Decimal("1200"), "CHF", "CHF 1,200"),  # code prefix for a currency without a symbol
        (Decimal("-40"), "USD", "-$40"),
        (Decimal("-1234.5"), "SEK", "-SEK 1,234.50"),
        (Decimal("-0.004"), "USD", "$0"),  # rounds to zero: no "-$0"
        (0, "usd", "$0"),  # a lower-case code is still the code
        (None, "USD", "-"),
    ],
)
def test_amounts_in_words(amount, currency, words):
    assert money_words(amount, currency=currency) == words


def test_whole_rounds_to_units_for_headline_figures():
    assert money_words(Decimal("1239.50"), currency="USD", whole=True) == "$1,240"
    assert money_words(Decimal("-0.4"), currency="EUR", whole=True) == "€0"


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", ""])
def test_not_a_number_is_a_clear_error(bad):
    with pytest.raises(ValueError, match=r"amount="):
        money_words(bad, currency="USD")


@pytest.mark.django_db
def test_the_brand_currency_is_the_default():
    assert brand_currency() == "USD"  # before a profile exists
    profile = brand_profile()
    profile.currency = "EUR"
    profile.save()
    assert brand_currency() == "EUR"
    assert money_words(Decimal("12.5")) == "€12.50"
    assert money_words(Decimal("12.5"), currency="GBP") == "£12.50"  # a given currency wins


@pytest.mark.django_db
def test_approvals_and_templates_use_the_same_formatter():
    BrandProfile.objects.update_or_create(pk=brand_profile().pk, defaults={"currency": "EUR"})
    assert registry.money_words(Decimal("1240"), currency="EUR") == "€1,240"
    rendered = Template("{% load money %}{{ a|money_words }} / {{ a|money_words:'GBP' }}").render(
        Context({"a": Decimal("7.5")})
    )
    assert rendered == "€7.50 / £7.50"


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_the_words_read_back_as_the_amount(amount):
    words = money_words(amount, currency="USD")
    sign = -1 if words.startswith("-") else 1
    digits = words.lstrip("-").removeprefix("$").replace(",", "")
    assert Decimal(digits) * sign == amount
    assert ("." in digits) == (amount != amount.to_integral_value())
