"""`{{ amount|money_words }}` or `{{ amount|money_words:currency }}`: money in words in templates."""

from __future__ import annotations

from decimal import Decimal

from django import template

from brand.money import money_words as _money_words

register = template.Library()


@register.filter
def money_words(amount: Decimal | int | float | str | None, currency: str | None = None) -> str:
    return _money_words(amount, currency=currency or None)
