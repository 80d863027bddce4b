"""What a person's words ask for: the percentage, the amount, the date, the subject line, the tone.

The one parser of requests, send-back comments and people's preferences, used by the specialists
and the orchestrator alike, so that "from 25% to 15%" means 15 everywhere. It is deterministic:
the numbers a person names are applied as they are; anything beyond them is the LLM's, online.

Numbers are read in either convention: "1,200.50" and "1.200,50" are both 1200.50; a single
separator followed by exactly three digits groups thousands ("$1,200", "1.200 €"), any other
is the decimal point ("12,5 %", "$40.50").

Which number is asked for, when several are named: the one marked as the target ("to 15%",
"make it 15%", "cap at $40", "15% instead", "15%, not 25%"); else the first one not marked as
the old or refused value ("not 25%", "from 25%", "instead of $60", "25% is too much"); else the
first one.

Dates are read as written in ISO order ("2026-12-10", "2026/12/10"): a person's "10/12" is a
different day on each side of the Atlantic, so it is not guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

# A number: grouped thousands (not starting with 0) with an optional decimal part, or plain digits.
_NUMBER = r"(?:[1-9]\d{0,2}(?:[.,'\u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
_CURRENCY_BEFORE = r"(?:(?:A|C|US)?\$|[€£¥]|\b(?:USD|EUR|GBP|AUD|CAD|JPY|CHF)\b)"
_CURRENCY_AFTER = r"(?:[$€£¥]|\b(?:USD|EUR|GBP|AUD|CAD|JPY|CHF|dollars?|euros?|pounds?|bucks)\b)"

PERCENT = re.compile(rf"(?P<n>{_NUMBER})\s*(?:%|\bpercent\b|\bper cent\b|\bpct\b|\bpc\b)", re.IGNORECASE)
AMOUNT = re.compile(
    rf"{_CURRENCY_BEFORE}\s?(?P<n1>{_NUMBER})|(?P<n2>{_NUMBER})\s?{_CURRENCY_AFTER}",
    re.IGNORECASE,
)
DATE = re.compile(r"\b(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})\b")
# A number with no currency or percent sign, read as an amount only when it is the target of the ask
# ("cut it to 110 instead", "make it 95"): people often leave the currency out of a budget.
# A time ("at 10", "to 10 am", "10:30") or a count of days is never such an amount.
BARE = re.compile(
    rf"(?<![\w.,:$€£¥-])(?P<n>{_NUMBER})"
    r"(?![\w%.,:-]|\s*(?:%|percent|per cent|pct|pc|am|pm|h|hours?|days?|weeks?|o'clock)\b)",
    re.IGNORECASE,
)
_BARE_TARGET = re.compile(r"(?:\bto|=|\bmake it|\bmake that|\bmake them)\s*$", re.IGNORECASE)
SUBJECT = re.compile(r"subject(?: line)?\s*[:=]\s*[\"“']?(?P<s>.+?)[\"”']?\s*$", re.IGNORECASE | re.MULTILINE)

_TARGET_BEFORE = re.compile(r"(?:\bto|\bat|=|\bmake it|\bmake that|\bmake them|\bset it to)\s*$", re.IGNORECASE)
_TARGET_AFTER = re.compile(r"^\s*,?\s*(?:not\b|instead\b|rather\b)", re.IGNORECASE)
_OLD_BEFORE = re.compile(r"(?:\bnot|\bfrom|\binstead of|\brather than|\bthan|\bwas)\s*$", re.IGNORECASE)
_OLD_AFTER = re.compile(r"^\s*(?:is|are|was|'s|seems)\s+(?:too|way too|a bit)\b", re.IGNORECASE)
_SOFT_WORDS = ("softer", "soft ", "gentler", "gentle", "less pushy", "warmer", "tone down", "calmer", "friendlier")

SUBJECT_MAX = 200


@dataclass(frozen=True)
class Ask:
    """What the words ask for; every field empty when they name nothing."""

    percent: Decimal | None = None
    amount: Decimal | None = None
    subject: str | None = None
    date: dt.date | None = None
    softer: bool = False
    # Every percentage and amount named, in order (a preference's "never more than 20%").
    percents: tuple[Decimal, ...] = ()
    amounts: tuple[Decimal, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self == Ask()


def parse_number(raw: str) -> Decimal:
    """ "1,200.50", "1.200,50", "1'200", "12,5", "40" -> Decimal, by the rules in this module's doc."""
    text = re.sub(r"['\u00a0\u202f]", "", raw.strip())
    if not re.fullmatch(r"\d[\d.,]*", text) or not text[-1].isdigit():
        raise ValueError(f"not a number: {raw!r}")
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if decimal_mark == "," else ","
        text = text.replace(grouping, "").replace(decimal_mark, ".")
    elif "," in text or "." in text:
        mark = "," if "," in text else "."
        *head, last = text.split(mark)
        text = "".join([*head, last]) if len(last) == 3 and head[0] not in ("", "0") else f"{''.join(head)}.{last}"
    return Decimal(text)


def parse_ask(text: str | None) -> Ask:
    """What `text` asks for (a comment, a request, a preference): see the module's doc."""
    text = text or ""
    percents = [(m, parse_number(m.group("n"))) for m in PERCENT.finditer(text)]
    percent_spans = [m.span() for m, _ in percents]
    amounts = [
        (m, parse_number(m.group("n1") or m.group("n2")))
        for m in AMOUNT.finditer(text)
        # "15 % off" is never an amount, however the currency words fall around it.
        if not any(start <= m.start("n1" if m.group("n1") else "n2") < end for start, end in percent_spans)
    ]
    if not amounts and not percents:
        date_spans = [m.span() for m in DATE.finditer(text)]
        amounts = [
            (m, parse_number(m.group("n")))
            for m in BARE.finditer(text)
            if _BARE_TARGET.search(text[: m.start()]) and not any(s <= m.start() < e for s, e in date_spans)
        ]
    subject = SUBJECT.search(text)
    # ISO dates are not amounts or percentages: "2026-12-10" must not read as 2026 anything.
    dates = [_date(m) for m in DATE.finditer(text)]
    lowered = f" {text.lower()} "
    return Ask(
        percent=_asked(text, percents),
        amount=_asked(text, amounts),
        subject=subject.group("s").strip()[:SUBJECT_MAX] if subject else None,
        # The last day named: "not 2026-12-01, 2026-12-10" and "from 2026-12-01 to 2026-12-10" ask for the 10th.
        date=next((d for d in reversed(dates) if d is not None), None),
        softer=any(word in lowered for word in _SOFT_WORDS),
        percents=tuple(value for _, value in percents),
        amounts=tuple(value for _, value in amounts),
    )


def _date(match: re.Match[str]) -> dt.date | None:
    try:
        return dt.date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
    except ValueError:
        return None  # "2026-13-40" names no day


def replace_percents(text: str, percent: Decimal) -> str:
    """Every percentage in `text` (our own copy) replaced by `percent`: "25% off" -> "15% off"."""
    return PERCENT.sub(f"{percent.normalize():f}%", text)


def _asked(text: str, found: list[tuple[re.Match[str], Decimal]]) -> Decimal | None:
    if not found:
        return None
    for match, value in found:
        before, after = text[: match.start()], text[match.end() :]
        if _TARGET_BEFORE.search(before) or _TARGET_AFTER.match(after):
            return value
    for match, value in found:
        before, after = text[: match.start()], text[match.end() :]
        if not (_OLD_BEFORE.search(before) or _OLD_AFTER.match(after)):
            return value
    return found[0][1]
