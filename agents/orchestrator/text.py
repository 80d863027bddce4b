"""Plain-text helpers for routing: tokens, a light stemmer, synonyms and TF-IDF cosine.

Deterministic and dependency-free on purpose: the offline router must give the same division for
the same words on every machine, and a marketing lead's request is a dozen words, not a corpus.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping

_STOPWORDS_TEXT = """
    a about above after again all also am an and any are as at be been before being below between both but by
    can could did do does doing down during each few for from further had has have having he her here hers how
    i if in into is it its itself just let lets me more most my no nor not now of off on once only or other our
    ours out over own please same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who whom why will with
    would you your yours ve re ll d s t m can't don't we're i'm it's let's get got go going want need make
    think look looks looking see thing things bit really much many lot lots quite right ok okay hey hi team
    someone anyone something anything maybe today tomorrow yesterday week weeks day days our us
    """
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

# Words a marketing lead types, mapped to the vocabulary of the mandates and agent descriptions.
# Plain words on both sides (compiled to stems below); a value may name several terms.
_SYNONYM_WORDS: dict[str, str] = {
    # growth
    "push": "promote scale",
    "harder": "scale",
    "boost": "scale promote",
    "scaling": "scale",
    "ads": "ad campaign",
    "advert": "ad campaign",
    "advertising": "ad campaign",
    "facebook": "meta ad",
    "instagram": "meta ad",
    "meta": "ad",
    "google": "ad",
    "tiktok": "ad",
    "roas": "roas",
    "acquire": "acquisition",
    "prospecting": "acquisition",
    "traffic": "acquisition ad",
    "sale": "promote",
    "promo": "promote",
    "spotlight": "promote",
    "visibility": "promote",
    "bid": "budget ad",
    "marketing": "promote",
    "social": "ad",
    "paid": "ad",
    # retention
    "lapsed": "lapsing churn",
    "lapsing": "churn",
    "winback": "win back churn",
    "vip": "vip loyalty",
    "vips": "vip loyalty",
    "loyal": "loyalty",
    "reorder": "repeat",
    "retain": "retention",
    "lifecycle": "lifecycle",
    "onboarding": "lifecycle",
    "postpurchase": "lifecycle",
    "cohort": "repeat lifecycle",
    "subscribers": "retention",
    "comeback": "win back",
    "stopped": "churn",
    "disappeared": "churn",
    "customers": "customer",
    "buyers": "customer",
    "shoppers": "customer",
    # creative
    "copywriting": "copy",
    "headline": "copy",
    "fatigued": "fatigue",
    "stale": "fatigue",
    "tired": "fatigue",
    "worn": "fatigue",
    "ctr": "ctr click",
    "clickthrough": "ctr click",
    "video": "creative",
    "image": "creative",
    "visual": "creative",
    "refresh": "fatigue creative",
    "rewrite": "copy",
    "wording": "copy",
    # operations
    "stockout": "stock out",
    "inventory": "stock",
    "restock": "reorder stock",
    "replenish": "reorder stock",
    "po": "purchase order",
    "delivery": "lead supplier",
    "shipment": "lead supplier",
    "calendar": "schedule",
    "clash": "clash",
    "overlap": "clash",
    "collide": "clash",
    "twice": "clash",
    "back-to-back": "clash",
    # finance
    "pacing": "pace",
    "overspend": "pace spend",
    "overspent": "pace spend",
    "overspending": "pace spend",
    "spent": "spend",
    "invoice": "terms cash",
    "pay": "terms cash",
    "payment": "terms cash",
    "net": "terms",
    "money": "cash",
    "afford": "cash",
    # product
    "overstocked": "overstock slow",
    "overstock": "slow",
    "excess": "overstock",
    "sitting": "slow",
    "dust": "slow",
    "dead": "slow",
    "clearance": "markdown",
    "clear": "markdown",
    "liquidate": "markdown",
    "refund": "return",
    "refunds": "return",
    "broken": "quality return",
    "defective": "quality return",
    "complaints": "quality return",
    "assortment": "assortment",
    "discontinue": "assortment",
    "range": "assortment",
    "catalogue": "assortment",
    "catalog": "assortment",
    # sales
    "goal": "target",
    "quota": "target",
    "hit": "target",
    "miss": "target",
    "short": "target",
    "behind": "target",
    "coupon": "code discount",
    "voucher": "code discount",
    "code": "discount",
    "codes": "discount",
    "eroding": "margin",
    "losing": "margin",
    "profitable": "margin",
    "unprofitable": "margin",
    # intelligence
    "trending": "trend",
    "spike": "anomaly",
    "spiked": "anomaly",
    "jump": "anomaly trend",
    "jumped": "anomaly trend",
    "weird": "anomaly",
    "strange": "anomaly",
    "odd": "anomaly",
    "unusual": "anomaly",
    "suddenly": "anomaly",
    "surge": "trend",
    "surging": "trend",
    "popular": "trend",
    "viral": "trend",
    "overnight": "anomaly",
    "taking": "trend",
    "week-over-week": "trend growth",
}

_TOKEN = re.compile(r"[a-z0-9]+")
_SUFFIXES = (
    "ational",
    "iveness",
    "fulness",
    "ousness",
    "ization",
    "ations",
    "ation",
    "ments",
    "ment",
    "ingly",
    "ings",
    "ing",
    "edly",
    "ies",
    "ied",
    "ness",
    "ers",
    "ed",
    "es",
    "er",
    "ly",
    "y",
    "s",
    "e",
)


def stem(word: str) -> str:
    """A light suffix stripper: "overstocked" -> "overstock", "returns" -> "return", "copy" -> "copi".

    Not Porter: enough to make plural and tense variants meet, predictable enough to write
    synonyms against. Short words are kept whole so that "ads", "po" and "ctr" stay recognisable.
    """
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "i"
    if word.endswith("y") and len(word) > 3:
        return word[:-1] + "i"
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    """Lower-case alphanumeric words, "don't" and hyphens folded ("win-back" -> "winback" and "win", "back")."""
    lowered = text.lower().replace("'", "").replace("\u2019", "")
    out: list[str] = []
    for chunk in re.split(r"\s+", lowered):
        parts = _TOKEN.findall(chunk)
        out.extend(parts)
        if len(parts) > 1 and "-" in chunk:
            out.append("".join(parts))
    return out


def _compile(table: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    compiled: dict[str, tuple[str, ...]] = {}
    for key, value in table.items():
        for form in {"".join(words(key)), *(stem(w) for w in words(key))}:
            if len(words(key)) > 1 and form != "".join(words(key)):
                continue
            compiled[stem(form)] = tuple(dict.fromkeys(stem(w) for w in words(value)))
    return compiled


SYNONYMS: dict[str, tuple[str, ...]] = _compile(_SYNONYM_WORDS)


def terms(text: str, *, synonyms: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
    """The routing terms of a text: stems without stop words, each followed by its synonyms' stems."""
    table = SYNONYMS if synonyms is None else synonyms
    out: list[str] = []
    for word in words(text):
        if word in STOPWORDS:
            continue
        stemmed = stem(word)
        out.append(stemmed)
        out.extend(e for e in table.get(stemmed, ()) if e != stemmed)
    return out


class TfIdf:
    """TF-IDF vectors over a handful of documents (the divisions), compared by cosine similarity."""

    def __init__(self, documents: Mapping[str, Iterable[str]]):
        self.docs = {name: Counter(tokens) for name, tokens in documents.items()}
        count = len(self.docs) or 1
        df: Counter[str] = Counter()
        for counts in self.docs.values():
            df.update(counts.keys())
        # Smoothed IDF: a term every division shares still counts a little.
        self.idf = {term: math.log((1 + count) / (1 + n)) + 1 for term, n in df.items()}
        self.vectors = {name: self._weigh(counts) for name, counts in self.docs.items()}

    def _weigh(self, counts: Counter[str]) -> dict[str, float]:
        vector = {t: (1 + math.log(c)) * self.idf.get(t, 0.0) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {t: v / norm for t, v in vector.items()}

    def scores(self, tokens: Iterable[str]) -> dict[str, float]:
        query = self._weigh(Counter(t for t in tokens if t in self.idf))
        return {
            name: sum(weight * vector.get(term, 0.0) for term, weight in query.items())
            for name, vector in self.vectors.items()
        }
