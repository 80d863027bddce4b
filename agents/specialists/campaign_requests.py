"""A person's request about one ad campaign, honoured as asked: pause it, resume it, or set, raise or
cut its daily budget by an amount, to an amount or by a percentage.

The campaign the request names most precisely gets the change asked for, or the open proposal on it
is cited; Atlas's view (its ROAS over 7 and 28 days against the paid-media thresholds, and the
cross-division rules that would hold it) is written beside the proposal, never swapped for another
proposal. A request that names no campaign, or asks for no change to one, is left to the analysis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from agents.runtime.asks import parse_ask
from agents.specialists import focus
from approvals import hooks as approval_hooks
from approvals.models import ProposedAction
from approvals.selectors import open_on_target
from brand.metrics.growth import CampaignRoas
from brand.models import AdCampaign, CampaignStatus
from brand.money import money_words
from divisions.models import Division

if TYPE_CHECKING:
    from agents.runtime.context import RunContext

CENT = Decimal("0.01")

PAUSE = re.compile(r"\b(?:pause|stop|switch off|turn off|kill)\b", re.IGNORECASE)
RESUME = re.compile(r"\b(?:resume|restart|unpause|switch (?:it )?back on|turn (?:it )?back on|reactivate)\b", re.I)
RAISE = re.compile(r"\b(?:raise|increase|scale|boost|up|more|double|grow)\b", re.IGNORECASE)
CUT = re.compile(r"\b(?:cut|reduce|lower|decrease|trim|halve|less|drop)\b", re.IGNORECASE)
SET = re.compile(r"\b(?:set|make|change|move)\b", re.IGNORECASE)
BY = re.compile(r"\bby\s*(?:[$€£]\s*)?\d", re.IGNORECASE)
HALVE, DOUBLE = re.compile(r"\bhalve\b", re.I), re.compile(r"\bdouble\b", re.I)


@dataclass(frozen=True)
class CampaignAsk:
    campaign: AdCampaign
    action_type: str
    args: dict
    what: str  # "pause", "daily budget $150 -> $120"


def read_request(text: str, campaigns: list[AdCampaign], *, default_fraction: Decimal) -> CampaignAsk | str | None:
    """What the request asks of which campaign; a sentence saying why it cannot be done as asked; or
    None when it names no campaign or asks for no change to one."""
    named = focus.most_named(text, campaigns, lambda c: (c.name,))
    if len(named) != 1:
        return None
    campaign = named[0]
    if PAUSE.search(text):
        if campaign.status != CampaignStatus.ACTIVE:
            return f"{campaign.name} is {campaign.status}, not active: there is nothing to pause."
        return CampaignAsk(campaign, "ads.pause_campaign", {"campaign_id": campaign.pk}, "pause it")
    if RESUME.search(text):
        if campaign.status != CampaignStatus.PAUSED:
            return f"{campaign.name} is {campaign.status}, not paused: there is nothing to resume."
        return CampaignAsk(campaign, "ads.resume_campaign", {"campaign_id": campaign.pk}, "resume it")
    raising, cutting = bool(RAISE.search(text)), bool(CUT.search(text))
    if not (raising or cutting or SET.search(text)):
        return None
    ask = parse_ask(text)
    current = campaign.daily_budget
    if ask.amount is not None and not BY.search(text):
        new = ask.amount  # "to $200", "set it at $80"
    elif ask.amount is not None:
        new = current + ask.amount if raising and not cutting else current - ask.amount
    elif ask.percent is not None:
        share = ask.percent / 100
        new = current * (1 + share) if raising and not cutting else current * (1 - share)
    elif HALVE.search(text) or DOUBLE.search(text):
        new = current / 2 if HALVE.search(text) else current * 2
    elif raising != cutting:
        # "raise it" with no number: Atlas's usual step.
        new = current * (1 + default_fraction) if raising else current * (1 - default_fraction)
    else:
        return f"The request names {campaign.name} but no budget Atlas can read (an amount, $ or a percentage)."
    new = new.quantize(CENT, rounding=ROUND_HALF_UP)
    if new <= 0:
        return (
            f"{money_words(new)} a day is no budget for {campaign.name}: ask to pause it instead "
            f"(its budget is {money_words(current)} a day)."
        )
    if new == current:
        return f"{campaign.name} already has a daily budget of {money_words(current)}: nothing to change."
    args = {"campaign_id": campaign.pk, "daily_budget": str(new)}
    return CampaignAsk(
        campaign, "ads.set_daily_budget", args, f"daily budget {money_words(current)} -> {money_words(new)}"
    )


def atlas_view(ask: CampaignAsk, roas: CampaignRoas | None, *, weak_ratio: float, winner_min_roas: float) -> list[str]:
    """Where Atlas's numbers disagree with what was asked."""
    if roas is None or roas.roas_28d is None:
        return [f"Atlas has no 28-day ROAS for {ask.campaign.name} to judge the change by"]
    r7 = "n/a" if roas.roas_7d is None else f"{roas.roas_7d:.2f}"
    numbers = f"ROAS 7d {r7} vs 28d {roas.roas_28d:.2f}"
    weak = roas.roas_7d is not None and roas.roas_7d < weak_ratio * roas.roas_28d
    strong = roas.roas_28d >= winner_min_roas and not weak
    more = ask.action_type == "ads.resume_campaign" or (
        ask.action_type == "ads.set_daily_budget" and Decimal(ask.args["daily_budget"]) > ask.campaign.daily_budget
    )
    if more and weak:
        return [f"{ask.campaign.name} is weakening ({numbers}): Atlas would not spend more on it now"]
    if not more and strong:
        return [f"{ask.campaign.name} earns well ({numbers}): Atlas would keep its spend"]
    return []


def honour_campaign_request(ctx: RunContext, roas: list[CampaignRoas], config: dict) -> bool:
    """Propose what the person asked of the campaign they named (or cite the open proposal on it, or
    say why it cannot be done); False when the request is not about changing one campaign."""
    intent = ctx.intent
    if intent is None:
        return False
    campaigns = list(AdCampaign.objects.exclude(status=CampaignStatus.ARCHIVED))
    read = read_request(intent.text, campaigns, default_fraction=Decimal(str(config["cut_fraction"])))
    if read is None:
        return False
    if isinstance(read, str):
        ctx.warn(read)
        return True
    for action_type in ("ads.set_daily_budget", "ads.pause_campaign", "ads.resume_campaign"):
        existing = open_on_target(action_type=action_type, target=f"campaign:{read.campaign.pk}")
        if existing is not None:
            ctx.annotate(cited=[*(ctx.run.context or {}).get("cited", []), existing.pk])
            ctx.warn(
                f"{read.campaign.name} already has an open change, #{existing.pk} ({existing.title}, "
                f"{existing.status}): decide that one, or send it back with what you want."
            )
            return True
    figures = next((r for r in roas if r.campaign_id == read.campaign.pk), None)
    views = atlas_view(
        read,
        figures,
        weak_ratio=float(config["weak_ratio"]),
        winner_min_roas=float(config["winner_min_roas"]),
    )
    division = Division.objects.filter(slug="growth").first()
    gate = approval_hooks.judge(ProposedAction(action_type=read.action_type, args=read.args, division=division))
    if gate is not None:
        views.append(f"the rules hold it ({gate.rule}): {gate.reason.rstrip('.')}")
    who = intent.user.get_username() if intent.user_id else "a person"
    rationale = f'{who} asked: "{intent.text.strip()}". {read.campaign.name}: {read.what}.'
    if figures is not None and figures.roas_28d is not None:
        r7 = "n/a" if figures.roas_7d is None else f"{figures.roas_7d:.2f}"
        rationale += f" ROAS 7d {r7}, 28d {figures.roas_28d:.2f}."
    if views:
        rationale += f" Where Atlas disagrees: {'; '.join(views)}. Proposed as asked, for a person to decide."
    ctx.propose(read.action_type, read.args, rationale=rationale, confidence=0.4 if views else 0.75)
    return True
