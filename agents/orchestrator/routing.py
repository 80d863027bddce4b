"""Routing a person's words to a division and its specialists.

Offline (the default): TF-IDF similarity between the request and each division's mandate, its
agents' descriptions and a few words per division a marketing lead would use, plus the brand's own
names (products, SKUs, campaigns, segments, discount codes) recognised in the text. With the
openai provider: a structured choice among the division slugs and agent keys (pydantic Literals),
the offline answer standing by when the model gives no usable answer.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from agents.orchestrator.text import STOPWORDS, TfIdf, stem, terms, words

# Words of each division's day-to-day vocabulary that its mandate does not spell out. They weigh
# as much as the mandate, so keep them specific: a word listed under two divisions routes nowhere.
DIVISION_HINTS: dict[str, str] = {
    "growth": "ads ad campaign campaigns budget budgets roas scale scaling push harder promote promotion sale "
    "acquisition prospecting retargeting meta google tiktok spend more paid media boost winner winners "
    "under-promoted bid traffic audience reach",
    "retention": "customers customer churn lapsing lapsed vip vips win-back winback loyalty repeat reorder "
    "second order lifecycle post-purchase subscribers cohort rfm come back bring back haven't ordered re-engage "
    "existing buyers",
    "creative": "creative copy ad copy headline fatigue fatigued ctr click-through clicks video image visual "
    "refresh rewrite brief subject line subject lines wording tired stale new angle",
    "operations": "stock inventory stock-out stockout run out running out sell out reorder restock purchase order "
    "supplier lead time delivery days of cover calendar schedule clash overlap send twice same day back-to-back",
    "finance": "finance pacing pace overspend overspending monthly budget cash payment terms invoice net supplier "
    "terms confirm po purchase order approval cap caps spend cap afford money margin",
    "product": "product products assortment overstock overstocked slow mover slow movers sitting dust markdown "
    "clearance clear returns refunds refund rate quality defective broken complaints discontinue range",
    "sales": "sales revenue forecast target month goal quota behind short discount discounts code codes coupon "
    "voucher margin erosion uplift report numbers",
    "intelligence": "trend trending trends spike anomaly anomalies unusual weird odd strange jump surge week over "
    "week growth signal signals market data overnight popular viral what's happening",
}

# A recognised name nudges toward the divisions that usually own it; the verbs decide the rest.
ENTITY_HINTS: dict[str, str] = {
    "campaign": "ad campaign",
    "email": "email",
    "segment": "customer",
    "discount": "discount code",
    "product": "",
}


@dataclass(frozen=True)
class Entity:
    kind: str  # product | campaign | email | segment | discount
    label: str  # what a person would call it ("GK-150 Glass Kettle - Blue")
    pk: int
    score: float


@dataclass
class Route:
    division: str
    agent_keys: list[str]
    confidence: float
    reason: str
    scores: dict[str, float] = field(default_factory=dict)
    entities: list[Entity] = field(default_factory=list)
    drafted_by: str = "offline"

    def as_context(self) -> dict[str, Any]:
        """What the specialists get with the intent: the names recognised, ready to filter on."""
        return {
            "entities": [{"kind": e.kind, "label": e.label, "pk": e.pk} for e in self.entities],
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
        }


# --- the divisions and their agents -------------------------------------------------------------


@dataclass(frozen=True)
class AgentInfo:
    key: str
    division: str
    name: str
    description: str


def division_mandates() -> dict[str, tuple[str, str]]:
    """slug -> (name, mandate), from the database (a brand may edit mandates), the catalogue otherwise."""
    from divisions.catalog import DIVISIONS
    from divisions.models import Division

    rows = {d.slug: (d.name, d.mandate) for d in Division.objects.all()}
    return rows or {slug: (name, mandate) for slug, name, mandate in DIVISIONS}


def specialists() -> list[AgentInfo]:
    """The registered specialists (their descriptions route intents), minus those disabled in the admin."""
    from agents.models import Agent, AgentKind
    from agents.runtime import registry

    disabled = set(Agent.objects.filter(enabled=False).values_list("key", flat=True))
    return [
        AgentInfo(cls.key, str(cls.division), cls.name or cls.key, cls.description or "")
        for cls in registry.of_kind(AgentKind.SPECIALIST)
        if cls.key not in disabled
    ]


# --- recognising the brand's names --------------------------------------------------------------

_GENERIC = frozenset(terms("set pack the and with of for in on - new classic small large medium"))


def _name_terms(name: str) -> list[str]:
    return [t for t in (stem(w) for w in words(name) if w not in STOPWORDS) if t not in _GENERIC]


def brand_names() -> list[tuple[str, str, int, list[str]]]:
    """(kind, label, pk, terms) of every name a person may use for a product, campaign, segment, e-mail or code."""
    from brand import models as bm

    names: list[tuple[str, str, int, list[str]]] = []
    for variant in bm.Variant.objects.select_related("product").filter(is_active=True):
        label = f"{variant.sku} {variant.product.title}" + (f" - {variant.title}" if variant.title else "")
        text = f"{variant.product.title} {variant.title} {variant.product.handle.replace('-', ' ')}"
        names.append(("product", label, variant.pk, _name_terms(text)))
    for campaign in bm.AdCampaign.objects.exclude(status=bm.CampaignStatus.ARCHIVED):
        names.append(("campaign", campaign.name, campaign.pk, _name_terms(campaign.name)))
    for email in bm.EmailCampaign.objects.exclude(status=bm.EmailStatus.CANCELLED):
        names.append(("email", email.name, email.pk, _name_terms(email.name)))
    for segment in bm.Segment.objects.all():
        names.append(("segment", segment.name, segment.pk, _name_terms(f"{segment.name} {segment.key}")))
    for discount in bm.Discount.objects.exclude(status=bm.DiscountStatus.RETIRED):
        names.append(("discount", discount.code, discount.pk, [discount.code.lower()]))
    return names


def recognise(text: str, names: list[tuple[str, str, int, list[str]]] | None = None) -> list[Entity]:
    """The brand's names mentioned in the text, best first.

    An exact SKU or code wins outright ("HP-104", "WELCOME40"); otherwise each name's distinctive
    words are matched against the text's words, fuzzily (difflib ratio >= 0.84, for "kettel"), and
    weighted by how rare the word is among all names, so "blue kettle" finds the blue glass kettle and
    not every blue product.
    """
    names = brand_names() if names is None else names
    raw = text.lower()
    text_terms = set(_name_terms(text))
    compact = re.sub(r"[^a-z0-9]", "", raw)
    df: Counter[str] = Counter()
    for *_, name_terms in names:
        df.update(set(name_terms))
    total = len(names) or 1
    found: list[Entity] = []
    for kind, label, pk, name_terms in names:
        sku = label.split(" ", 1)[0].lower() if kind == "product" else ""
        if (sku and re.search(rf"(?<![a-z0-9]){re.escape(sku)}(?![a-z0-9])", raw)) or (
            kind == "discount" and name_terms and name_terms[0] in compact
        ):
            found.append(Entity(kind, label, pk, 10.0))
            continue
        distinct = list(dict.fromkeys(name_terms))
        if not distinct:
            continue
        weight_all = matched = 0.0
        hits = 0
        for term in distinct:
            idf = math.log((1 + total) / (1 + df[term])) + 1
            weight_all += idf
            if term in text_terms or any(
                len(term) > 4 and difflib.SequenceMatcher(None, term, t).ratio() >= 0.84 for t in text_terms
            ):
                matched += idf
                hits += 1
        coverage = matched / weight_all
        # Two words of a name, or one rare word covering most of a short name ("Evergreen").
        if (hits >= 2 and coverage >= 0.5) or (hits == 1 and coverage >= 0.6):
            found.append(Entity(kind, label, pk, round(coverage * (1 + 0.1 * hits), 4)))
    found.sort(key=lambda e: (-e.score, e.label))
    exact = [e for e in found if e.score >= 10]
    fuzzy = [e for e in found if e.score < 10]
    # Of the fuzzy matches keep the best and its near ties ("the kettle" when there are two).
    best = fuzzy[0].score if fuzzy else 0
    return (exact + [e for e in fuzzy if e.score >= best * 0.85])[:5]


# --- routing ------------------------------------------------------------------------------------


def _naming_terms(entities: list[Entity]) -> set[str]:
    """The words that surely name what was recognised. A product's variant word ("Clear" of "Glass Kettle
    - Clear", "Large", "Blue") is what sets it apart from its siblings, and may as well be the person's
    own word ("clear the glass kettles"): it stays in the request for routing, and only the product's
    title is taken out. Other names, and a product named by its SKU, are taken out whole."""
    naming: set[str] = set()
    for entity in entities:
        label = entity.label
        if entity.kind == "product" and entity.score < 10 and " - " in label:
            label = label.rsplit(" - ", 1)[0]
        naming |= set(_name_terms(label))
    return naming


def _without_names(text: str, entities: list[Entity]) -> str:
    """The request minus the names it mentions: "VIP Restock Alert" is a name, not a wish to restock."""
    if not entities:
        return text
    name_terms = _naming_terms(entities) | {e.label.split(" ", 1)[0].lower() for e in entities}
    kept = [w for w in re.split(r"\s+", text) if not (set(_name_terms(w)) & name_terms) and w.lower() not in name_terms]
    return " ".join(kept)


def _documents(mandates: dict[str, tuple[str, str]], agents: list[AgentInfo]) -> dict[str, list[str]]:
    docs: dict[str, list[str]] = {}
    for slug, (name, mandate) in mandates.items():
        described = " ".join(f"{a.name} {a.description}" for a in agents if a.division == slug)
        docs[slug] = terms(f"{name} {mandate} {described} {DIVISION_HINTS.get(slug, '')}")
    return docs


def route_offline(text: str, *, division: str | None = None) -> Route:
    """The offline router: deterministic, explainable (the reason names the words that decided)."""
    mandates = division_mandates()
    agents = specialists()
    entities = recognise(text)
    query = terms(_without_names(text, entities))
    for entity in entities[:2]:
        query += terms(ENTITY_HINTS.get(entity.kind, ""))
    index = TfIdf(_documents(mandates, agents))
    scores = index.scores(query)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    if division is not None:
        if division not in mandates:
            raise ValueError(f"Unknown division {division!r}: expected one of {', '.join(sorted(mandates))}.")
        chosen, top = division, scores.get(division, 0.0)
    else:
        chosen, top = ranked[0] if ranked and ranked[0][1] > 0 else ("", 0.0)
    second = next((s for slug, s in ranked if slug != chosen), 0.0)
    confidence = 0.0 if top <= 0 else round(min(0.99, top / (top + second) if second else 0.95), 2)
    picked = _pick_agents(chosen, query, agents) if chosen else []
    matched = sorted({t for t in query if index.vectors.get(chosen, {}).get(t)}) if chosen else []
    reason_bits = []
    if division is not None:
        reason_bits.append(f"routed to {division} by the person (override)")
    elif chosen:
        reason_bits.append(f"closest mandate: {mandates[chosen][0]} ({top:.2f} vs next {second:.2f})")
    else:
        reason_bits.append("no division's mandate matches these words")
    if matched:
        reason_bits.append("words: " + ", ".join(matched[:8]))
    if entities:
        reason_bits.append("recognised: " + "; ".join(f"{e.label} ({e.kind})" for e in entities[:3]))
    return Route(
        division=chosen,
        agent_keys=picked,
        confidence=1.0 if division is not None else confidence,
        reason="; ".join(reason_bits),
        scores=scores,
        entities=entities,
    )


def _pick_agents(division: str, query: list[str], agents: list[AgentInfo]) -> list[str]:
    """The division's specialists whose description is closest to the request; all of them if none is."""
    mine = [a for a in agents if a.division == division]
    if not mine:
        return []
    index = TfIdf({a.key: terms(f"{a.name} {a.description}") for a in agents})
    scores = index.scores(query)
    best = max(scores.get(a.key, 0.0) for a in mine)
    if best <= 0:
        return [a.key for a in mine]
    return [a.key for a in mine if scores.get(a.key, 0.0) >= best * 0.6]


# --- the LLM router -----------------------------------------------------------------------------


def route_schema(divisions: list[str], agent_keys: list[str]) -> type[BaseModel]:
    """The structured answer: one division slug and agent keys, each restricted to what exists."""
    # Literal types built at run time from what exists: pydantic reads them, a type checker cannot.
    division_type: Any = Literal[tuple(divisions)]
    agent_type: Any = Literal[tuple(agent_keys)] if agent_keys else str
    return create_model(
        "IntentRoute",
        division=(division_type, Field(description="The division slug that owns this request.")),
        agent_keys=(list[agent_type], Field(default_factory=list, description="Specialists to run.")),
        confidence=(float, Field(ge=0, le=1)),
        reason=(str, Field(description="One sentence: why this division.")),
    )


def route_with_provider(text: str, *, provider: Any, model: str) -> Route:
    """Ask the provider for the route; the offline router is its template (and the fallback offline)."""
    offline_route = route_offline(text)
    mandates = division_mandates()
    agents = specialists()
    if not offline_route.division or provider.name == "offline":
        return offline_route
    schema = route_schema(sorted(mandates), [a.key for a in agents])
    catalogue = "\n".join(
        f"- {slug}: {mandate}\n" + "\n".join(f"    - {a.key}: {a.description}" for a in agents if a.division == slug)
        for slug, (_name, mandate) in sorted(mandates.items())
    )
    names = "; ".join(f"{e.label} ({e.kind})" for e in offline_route.entities) or "none"
    result = provider.generate(
        schema,
        system="You route a marketing team member's request to the one division that owns it and the "
        "specialists that should act. Answer with JSON that fits the schema exactly.",
        prompt=f"Request: {text}\n\nBrand names recognised in it: {names}\n\nDivisions and specialists:\n{catalogue}",
        model=model,
        purpose="route intent",
        offline=lambda: schema(
            division=offline_route.division,
            agent_keys=offline_route.agent_keys,
            confidence=offline_route.confidence,
            reason=offline_route.reason,
        ),
    )
    answer = result.parsed
    keys = [k for k in answer.agent_keys if any(a.key == k and a.division == answer.division for a in agents)]
    return Route(
        division=answer.division,
        agent_keys=keys or _pick_agents(answer.division, terms(text), agents),
        confidence=round(float(answer.confidence), 2),
        reason=answer.reason,
        scores=offline_route.scores,
        entities=offline_route.entities,
        drafted_by=result.model,
    )
