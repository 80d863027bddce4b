"""Creative: ad fatigue (CTR over 14 days -> a refresh brief with new copy) and the copywriter.

The copywriter is also a library for the other divisions: `draft_email` writes the copy of any
e-mail proposal and `revise_email_proposal` writes its revision after a send-back comment, so every
message a specialist proposes is drafted and revised the same way.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from agents.runtime.asks import parse_ask, replace_percents
from agents.runtime.base import RunContext, Specialist
from agents.runtime.registry import register
from approvals.selectors import open_on_target
from brand.metrics.creative import CampaignCtr, fatigue_analysis

if TYPE_CHECKING:
    from approvals.models import ProposedAction

# --- e-mail copy, shared by every specialist that proposes a send ---------------------------------


class EmailCopy(BaseModel):
    subject: str = Field(max_length=200)
    preheader: str = Field(default="", max_length=200)
    body: str


_OFFLINE_TEMPLATES: dict[str, tuple[str, str]] = {
    "win_back": (
        "We saved your favourites, {first_name}",
        "Hi {first_name},\n\nIt has been a while since your last order with {brand}, and we miss you. You have "
        "been one of our most loyal customers ({orders} orders), so we wanted to say thank you and show you "
        "what is new since your last visit.\n\n{offer}Come back and see what is cooking.\n\nThe {brand} team",
    ),
    "post_purchase": (
        "Getting the most out of your first {brand} piece",
        "Hi {first_name},\n\nThank you for your first order with {brand}. Here are three ways our customers use "
        "their pieces every week, and the care tips that keep them going for years.\n\n{offer}We would love to "
        "hear how your first meal turned out.\n\nThe {brand} team",
    ),
    "announcement": (
        "Something new from {brand}: {topic}",
        "Hi {first_name},\n\nWe wanted you to be among the first to hear about {topic}. Take a look when you have "
        "a moment; we think you will like it.\n\n{offer}The {brand} team",
    ),
    "promotion": (
        "{percent}% off the {product}, this week only",
        "Hi {first_name},\n\nThe {product} is one of our best-loved pieces, and this week it is {percent}% off "
        "with code {code}.\n\n{offer}The offer ends {ends}.\n\nThe {brand} team",
    ),
}

_SOFT_REPLACEMENTS = (
    (re.compile(r"!+"), "."),
    (re.compile(r"\bthis week only\b", re.I), "this week"),
    (re.compile(r"\bwe miss you\b", re.I), "we have been thinking of you"),
    (re.compile(r"\bCome back and\b"), "Whenever you are ready,"),
    (re.compile(r"\bdon't miss out\b", re.I), "if it suits you"),
)


def _fill(template: str, facts: dict[str, Any]) -> str:
    from brand.selectors import brand_profile

    values = {"first_name": "there", "brand": brand_profile().name, "offer": "", "orders": "several", **facts}
    return template.format_map(_Default(values))


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return ""


def offline_email(purpose: str, facts: dict[str, Any], *, tone: str = "warm") -> EmailCopy:
    """Deterministic copy from the template of `purpose` and the computed numbers."""
    subject, body = _OFFLINE_TEMPLATES.get(purpose, _OFFLINE_TEMPLATES["post_purchase"])
    copy = EmailCopy(
        subject=_fill(subject, facts)[:200], preheader=str(facts.get("preheader", ""))[:200], body=_fill(body, facts)
    )
    return soften(copy) if tone == "soft" else copy


def soften(copy: EmailCopy) -> EmailCopy:
    subject, body = copy.subject, copy.body
    for pattern, replacement in _SOFT_REPLACEMENTS:
        subject, body = pattern.sub(replacement, subject), pattern.sub(replacement, body)
    return EmailCopy(subject=subject, preheader=copy.preheader, body=body)


def draft_email(ctx: RunContext, *, purpose: str, facts: dict[str, Any], tone: str = "warm") -> EmailCopy:
    """E-mail copy for a proposal: the LLM when online, the template offline; numbers come from `facts`."""
    return ctx.write(
        EmailCopy,
        task=(
            f"Write a {tone} marketing e-mail ({purpose.replace('_', ' ')}): a subject under 70 characters, a "
            "preheader and a plain-text body under 150 words. Use only the facts; quote any number exactly."
        ),
        facts={"purpose": purpose, "tone": tone, **facts},
        offline=lambda: offline_email(purpose, facts, tone=tone),
        purpose=f"email copy: {purpose}",
    )


# --- send-back comments --------------------------------------------------------------------------


def _format_percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


def apply_comment(copy: EmailCopy, comment: str) -> EmailCopy:
    """Deterministic edits a comment asks for: a new percentage, a softer tone, a given subject."""
    ask = parse_ask(comment)
    subject, body = copy.subject, copy.body
    if ask.percent is not None:
        subject, body = replace_percents(subject, ask.percent), replace_percents(body, ask.percent)
    revised = EmailCopy(subject=subject, preheader=copy.preheader, body=body)
    if ask.softer:
        revised = soften(revised)
    if ask.subject:
        revised = EmailCopy(subject=ask.subject, preheader=revised.preheader, body=revised.body)
    return revised


def revise_email_proposal(ctx: RunContext, *, extra_facts: dict[str, Any] | None = None) -> ProposedAction | None:
    """Propose the revision of the sent-back e-mail proposal in `ctx.feedback`, taking the comment into account.

    Numbers in the comment are applied deterministically; when online, the LLM rewrites the copy
    with the comment as an instruction (the offline path is the deterministic edit).
    """
    feedback = ctx.feedback or {}
    proposal, comment = feedback.get("proposal"), feedback.get("comment", "")
    if proposal is None or proposal.action_type != "email.send_campaign":
        return None
    args = dict(proposal.args)
    if args.get("email_campaign_id"):
        from brand.models import EmailCampaign

        campaign = EmailCampaign.objects.select_related("segment").get(pk=args.pop("email_campaign_id"))
        args.update(segment=campaign.segment.key, name=campaign.name, subject=campaign.subject, body=campaign.body_text)
        if campaign.scheduled_at and not args.get("scheduled_at"):
            args["scheduled_at"] = campaign.scheduled_at.isoformat()
    before = EmailCopy(subject=args.get("subject") or "", body=args.get("body") or "")
    edited = apply_comment(before, comment)
    revised = ctx.write(
        EmailCopy,
        task=(
            "Revise this marketing e-mail following the reviewer's comment exactly; keep every number the "
            "comment does not change."
        ),
        facts={"comment": comment, "subject": before.subject, "body": before.body, **(extra_facts or {})},
        offline=lambda: edited,
        purpose="email copy: revision",
    )
    percent = parse_ask(comment).percent
    if percent is not None:
        # The number the person asked for wins over whatever the LLM wrote.
        revised = apply_comment(revised, f"{_format_percent(percent)}%")
    args.update(subject=revised.subject, body=revised.body)
    return ctx.propose(
        "email.send_campaign",
        args,
        rationale=f"Revised after the send-back comment {comment!r}. Earlier rationale: {proposal.rationale}",
        evidence=list(proposal.evidence.all()),
        confidence=proposal.confidence,
        priority=proposal.priority,
        revision_of=proposal,
    )


# --- agents ---------------------------------------------------------------------------------------


class AdCopy(BaseModel):
    headline: str = Field(max_length=80)
    primary_text: str = Field(max_length=500)
    angle: str = Field(max_length=200)
    brief: str


def _offline_ad_copy(c: CampaignCtr, ratio: float) -> AdCopy:
    product = c.name.split(" - ")[0]
    return AdCopy(
        headline=f"{product}: made for slow evenings",
        primary_text=(
            f"New look, same {product} you love. Settle in with a recipe that takes care of itself - "
            "shop the collection tonight."
        ),
        angle="Swap the current visual for a fresh scene and lead with a new hook; keep the offer.",
        brief=(
            f"Creative refresh for {c.name} ({c.channel}). CTR fell from {c.ctr_prev_7d:.2%} to {c.ctr_7d:.2%} "
            f"({ratio - 1:+.0%}) week over week on steady impressions ({c.impressions_prev_7d:,} -> "
            f"{c.impressions_7d:,}): the audience has seen the current creative. Deliver two new visuals and the "
            f"copy below by the end of the week; current copy: {c.ad_copy or '(none on record)'}"
        ),
    )


@register
class CreativeFatigue(Specialist):
    key = "creative.fatigue"
    division = "creative"
    name = "Creative fatigue"
    description = (
        "Watches click-through rate (CTR) per ad campaign over 14 days, the last 7 days against the 7 before. "
        "A CTR that falls by 40% or more on steady impressions is creative fatigue: it drafts a creative "
        "refresh brief with new ad copy (headline, primary text, angle). Ask it about tired ads, dropping "
        "CTR, new ad creative or ad copy for a campaign."
    )
    defaults = {
        "max_ctr_ratio": 0.6,  # last-7-day CTR at most 60% of the 7 days before (a 40% fall)
        "min_impressions_7d": 5000,
        "steady_impressions_low": 0.7,
        "steady_impressions_high": 1.3,
        "intent_max_ctr_ratio": 0.85,  # when a person names a campaign, a 15% fall is enough
        "max_proposals": 3,
    }

    def run(self, ctx: RunContext) -> None:
        config = dict(ctx.config)
        named = _named_in(ctx, lambda: [c.name for c in fatigue_analysis(ctx.today, config).campaigns])
        if named:
            config["max_ctr_ratio"] = max(float(config["max_ctr_ratio"]), float(config["intent_max_ctr_ratio"]))
        findings = fatigue_analysis(ctx.today, config)
        fatigued = [c for c in findings.fatigued if not named or c.name in named]
        for c in fatigued[: int(config["max_proposals"])]:
            ratio = c.ctr_ratio or 0
            entry = ctx.remember(
                key=f"campaign:{c.campaign_id}:ctr_trend",
                kind="metric",
                subject=c.name,
                data={
                    "value": round(ratio, 3),
                    "ctr_7d": round(c.ctr_7d or 0, 5),
                    "ctr_prev_7d": round(c.ctr_prev_7d or 0, 5),
                    "impressions_7d": c.impressions_7d,
                    "impressions_prev_7d": c.impressions_prev_7d,
                },
                evidence=[{"model": "brand.adcampaign", "pk": c.campaign_id}],
                text=(
                    f"{c.name}: CTR {c.ctr_7d:.2%} in the last 7 days vs {c.ctr_prev_7d:.2%} the 7 before "
                    f"({ratio - 1:+.0%}) on steady impressions"
                ),
            )
            copy = ctx.write(
                AdCopy,
                task="Write a creative refresh brief and new ad copy for a fatigued ad campaign.",
                facts={
                    "campaign": c.name,
                    "channel": c.channel,
                    "ctr_7d": c.ctr_7d,
                    "ctr_prev_7d": c.ctr_prev_7d,
                    "current_copy": c.ad_copy,
                },
                offline=partial(_offline_ad_copy, c, ratio),
                purpose="creative refresh brief",
            )
            body = (
                f"{copy.brief}\n\nNew ad copy\nHeadline: {copy.headline}\nPrimary text: {copy.primary_text}\n"
                f"Angle: {copy.angle}"
            )
            ctx.propose(
                "brief.draft",
                {
                    "title": f"Creative refresh: {c.name}"[:200],
                    "body": body,
                    "data": {
                        "campaign_id": c.campaign_id,
                        "ctr_7d": round(c.ctr_7d or 0, 5),
                        "ctr_prev_7d": round(c.ctr_prev_7d or 0, 5),
                        "headline": copy.headline,
                        "primary_text": copy.primary_text,
                    },
                },
                rationale=(
                    f"{c.name}: CTR fell {1 - ratio:.0%} week over week ({c.ctr_prev_7d:.2%} -> {c.ctr_7d:.2%}) "
                    f"on {c.impressions_7d:,} impressions vs {c.impressions_prev_7d:,}: the creative is worn out."
                ),
                evidence=[entry],
                confidence=min(0.95, 0.5 + (1 - ratio)),
                priority=round((1 - ratio) * 100, 1),
            )


@register
class Copywriter(Specialist):
    key = "creative.copywriter"
    division = "creative"
    name = "Copywriter"
    description = (
        "Drafts and revises the copy of every message proposal: e-mail subject lines, preheaders and bodies for "
        "win-back, post-purchase and promotion e-mails, and their revisions after a send-back comment (a new "
        "percentage, a softer tone, a new subject). Ask it to rewrite, soften or shorten an e-mail."
    )
    defaults = {"max_proposals": 3}

    def run(self, ctx: RunContext) -> None:
        if ctx.feedback:
            revise_email_proposal(ctx)
            return
        if ctx.intent is None:
            # In the daily cycle the copywriter serves the others through `draft_email`.
            return
        draft_from_intent(ctx)


def audience_ready(ctx: RunContext, segment_key: str) -> bool:
    """A send is proposed only to a segment that reaches someone: one not built yet, or with no
    customer who accepts marketing, is a warning on the run (the gate would refuse the send anyway)."""
    from brand.models import Segment

    segment = Segment.objects.filter(key=segment_key).first()
    if segment is None:
        ctx.warn(f"segment {segment_key!r} does not exist: no e-mail proposed to it")
        return False
    if not segment.audience().exists():
        built = "never built" if segment.built_at is None else f"built {segment.built_at:%Y-%m-%d}"
        ctx.warn(
            f"segment {segment_key!r} ({segment.name}, {built}) has no customer who accepts marketing: "
            "no e-mail proposed to it until it is built"
        )
        return False
    return True


# A person asking for a message to go out: "send", "announce", "e-mail the VIPs", "tell our subscribers".
ASKS_A_SEND = re.compile(r"\b(?:send|announce|e-?mail|mail|newsletter|tell|message|let \w+ know)\b", re.IGNORECASE)


def draft_from_intent(ctx: RunContext, *, fallback_segment: str | None = "all-subscribers") -> bool:
    """A person asked for an e-mail: draft it to the segment their words name (else `fallback_segment`),
    with what it is "about", to be sent once approved. False when no segment is named and there is no
    fallback (the caller's own analysis then answers)."""
    from brand.models import Segment

    if ctx.intent is None:
        raise ValueError(f"run #{ctx.run.pk}: drafting an e-mail from a request needs the run's intent")

    text = ctx.intent.text.lower()
    # Only segments the e-mail would reach: a named segment with no consenting member is warned about below.
    segments = list(Segment.objects.values_list("key", "name"))
    named = [
        key
        for key, name in segments
        if re.search(rf"\b(?:{re.escape(key)}|{re.escape(name.lower())}|{re.escape(key.replace('-', ' '))})s?\b", text)
    ]
    # "lapsing VIPs" names lapsing-vip, not vip too: the longest name said wins.
    chosen = max(named, key=len, default=None) or next((k for k, _ in segments if k == fallback_segment), None)
    if chosen is None:
        if fallback_segment is None:
            return False
        ctx.warn("no segment to write to: build one (segment.build) first")
        return True
    if not audience_ready(ctx, chosen):
        return True
    existing = open_on_target(action_type="email.send_campaign", target=f"segment:{chosen}")
    if existing is not None:
        # One open send per segment: two sends in a day to the same people is what the rules refuse anyway.
        ctx.annotate(cited=[*(ctx.run.context or {}).get("cited", []), existing.pk])
        ctx.warn(
            f"Segment {chosen} already has an open send, #{existing.pk} ({existing.title}, {existing.status}): "
            "decide that one, or send it back with what it should say."
        )
        return True
    tone = "soft" if parse_ask(ctx.intent.text).softer else "warm"
    # The request is an instruction to us, not copy: offline, only what it is "about" goes in the e-mail.
    about = re.search(
        r"\b(?:about|announcing|announce)\s+(.+?)(?:\s+to\s+(?:the\s+|our\s+)?[\w -]+)?[.!?]*$",
        ctx.intent.text.strip(),
        re.I,
    )
    topic = about.group(1) if about else "what is new"
    copy = draft_email(ctx, purpose="announcement", facts={"request": ctx.intent.text, "topic": topic}, tone=tone)
    ctx.propose(
        "email.send_campaign",
        {"segment": chosen, "name": copy.subject[:200], "subject": copy.subject, "body": copy.body},
        rationale=f"Drafted on request: {ctx.intent.text!r}, to segment {chosen}.",
        confidence=0.5,
    )
    return True


def _named_in(ctx: RunContext, names: Any) -> set[str]:
    """Campaign or product names the intent's text mentions (lower-cased containment)."""
    if ctx.intent is None:
        return set()
    text = ctx.intent.text.lower()
    return {n for n in names() if n.lower() in text or n.split(" - ")[0].lower() in text}
