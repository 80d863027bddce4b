"""The orchestrator agent (phase 3 of the cycle): judge, hold, rank, brief."""

from __future__ import annotations

from agents.orchestrator import rules
from agents.orchestrator.briefing import briefing_build
from agents.orchestrator.headlines import WIN_DEFAULTS
from agents.runtime import base
from agents.runtime.registry import register


@register
class Orchestrator(base.Orchestrator):
    key = "orchestrator"
    name = "Orchestrator"
    description = (
        "Synthesises what every agent found: holds proposals that conflict across divisions (spend on a "
        "product about to sell out, two sends to one segment within a day, raises in a channel pacing over, "
        "discounts deeper than a stated preference), ranks the rest by expected impact and writes the "
        "morning briefing with one win, one risk and one opportunity."
    )
    instructions = (
        "You are the brand's chief of staff. You brief the marketing team each morning in plain language, "
        "short and concrete, always with the numbers you are given and never others."
    )

    # The bar of the win of the day (a campaign's share of the account's ad spend, its purchases, ROAS).
    defaults = dict(WIN_DEFAULTS)

    def run(self, ctx: base.RunContext) -> None:
        released = rules.holds_rejudge()
        holds = rules.judge()
        held = rules.holds_apply(holds, ctx=ctx)
        briefing = briefing_build(ctx=ctx, held=len(held))
        ctx.annotate(briefing=briefing.pk, held=[p.pk for p in held], released=[p.pk for p in released])
