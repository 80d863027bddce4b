"""`parse_ask`: the one reading of what a person's words ask for (comments, requests, preferences)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.runtime.asks import Ask, parse_ask, parse_number, replace_percents


@pytest.mark.parametrize(
    ("text", "percent"),
    [
        ("from 25% to 15%", Decimal("15")),
        ("make it 15% not 25%", Decimal("15")),
        ("not 25% but 15%", Decimal("15")),
        ("instead of 25%, do 15%", Decimal("15")),
        ("25% is too much, 10% instead", Decimal("10")),
        ("Change the discount to 12%", Decimal("12")),
        ("10 % please", Decimal("10")),
        ("12,5 % off", Decimal("12.5")),
        ("7.5 percent", Decimal("7.5")),
        ("softer tone", None),
    ],
)
def test_the_percentage_asked_for(text, percent):
    assert parse_ask(text).percent == percent


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("cap at $40", Decimal("40")),
        ("cut it to $150 a day", Decimal("150")),
        ("$1,200", Decimal("1200")),  # thousands, not 1.2
        ("1.200,50 €", Decimal("1200.50")),
        ("1,200.50 USD", Decimal("1200.50")),
        ("EUR 1.200", Decimal("1200")),
        ("$40.50 a day", Decimal("40.50")),
        ("12,5 €", Decimal("12.5")),
        ("from $120 to $80", Decimal("80")),
        ("$60 is too much, $45", Decimal("45")),
        ("40 dollars", Decimal("40")),
        ("C$40 please", Decimal("40")),
        ("15% off", None),  # a percentage is not an amount
        ("raise it a bit", None),
    ],
)
def test_the_amount_asked_for(text, amount):
    assert parse_ask(text).amount == amount


def test_a_subject_line_is_taken_as_written():
    assert parse_ask("subject: Spring is here").subject == "Spring is here"
    assert parse_ask('Good. Subject line = "A gift for you"').subject == "A gift for you"
    assert parse_ask("subject: " + "x" * 300).subject == "x" * 200
    assert parse_ask("the subject is weak").subject is None


def test_plain_words_ask_for_nothing():
    assert parse_ask("looks good, thanks").is_empty
    assert parse_ask("").is_empty and parse_ask(None) == Ask()


def test_tone_and_every_number_named():
    ask = parse_ask("Softer tone; never more than 20% off, 30% for VIPs, budget $1,000 or 900 €")
    assert ask.softer
    assert ask.percents == (Decimal("20"), Decimal("30"))
    assert ask.amounts == (Decimal("1000"), Decimal("900"))
    assert not parse_ask("shorter").softer


def test_percentages_in_copy_are_replaced():
    assert replace_percents("25% off, this week: 25 % off", Decimal("15.0")) == "15% off, this week: 15% off"


@pytest.mark.parametrize("bad", ["", "abc", "1,", ",5"])
def test_a_malformed_number_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="not a number"):
        parse_number(bad)


amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


def _grouped(value: Decimal, *, group: str, mark: str) -> str:
    whole, cents = f"{value:.2f}".split(".")
    return f"{int(whole):,}".replace(",", group) + mark + cents


@given(amounts)
def test_english_grouping_reads_back(value):
    assert parse_ask(f"cap it at ${_grouped(value, group=',', mark='.')}").amount == value


@given(amounts)
def test_continental_grouping_reads_back(value):
    assert parse_ask(f"{_grouped(value, group='.', mark=',')} € instead").amount == value


@given(st.integers(min_value=1, max_value=10**9))
def test_whole_grouped_amounts_read_back(value):
    assert parse_ask(f"${value:,}").amount == value
    assert parse_ask(f"{value:,} €".replace(",", ".")).amount == value


@given(st.decimals(min_value=Decimal("0.1"), max_value=99, places=1), st.decimals(min_value=1, max_value=99, places=0))
def test_the_new_percentage_wins_over_the_old(new, old):
    assert parse_ask(f"from {old}% to {new}%").percent == new
    assert parse_ask(f"make it {new}% not {old}%").percent == new


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("Cut it to 110 instead", Decimal("110")),  # a budget named without its currency
        ("make it 95", Decimal("95")),
        ("reduce from 140 to 110", Decimal("110")),
        ("send on 2026-12-10 at 10", None),  # a time, not an amount
        ("move it to 10 am", None),
        ("push it to 3 days later", None),
        ("move to 10:30", None),
        ("cut by 20", None),  # a bare number that is not the target stays unread
        ("to 15% instead", None),
    ],
)
def test_a_bare_number_is_an_amount_only_as_the_target(text, amount):
    assert parse_ask(text).amount == amount
