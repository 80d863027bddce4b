"""Labelled requests a marketing lead would type, with the division that owns each.

The offline router must get at least 90% of these right (test_routing.py). Names come from the
demo brand (Hearth & Pine, docs/demo-signals.md); `demo_names` in the test builds them.
"""

from __future__ import annotations

INTENTS: list[tuple[str, str]] = [
    # growth
    ("push the summer sale harder", "growth"),
    ("Can we scale Evergreen - Retargeting? It's been crushing it", "growth"),
    ("put more budget behind the roasting pan ads", "growth"),
    ("our meta prospecting ROAS looks bad, should we cut the budget?", "growth"),
    ("the enamel roasting pan deserves a campaign of its own", "growth"),
    ("We need more new customers from paid social", "growth"),
    ("raise the daily budget on google retargeting", "growth"),
    # retention
    ("win back the VIPs who stopped ordering", "retention"),
    ("lapsing VIP customers haven't bought in months", "retention"),
    ("fewer first-time buyers are coming back for a second order", "retention"),
    ("set up a post-purchase email flow for new customers", "retention"),
    ("how do we get more repeat purchases from loyal customers?", "retention"),
    ("churn among subscribers seems to be going up", "retention"),
    # creative
    ("the Cozy Nights video feels tired, people stopped clicking", "creative"),
    ("write fresh ad copy for the cold brew maker", "creative"),
    ("our CTR on meta dropped off a cliff, refresh the creative", "creative"),
    ("need a better subject line for the VIP Early Access email", "creative"),
    ("draft a creative brief for the fall campaign visuals", "creative"),
    ("rewrite the headline on Spring Glow", "creative"),
    # operations
    ("are we going to run out of the cast iron skillet?", "operations"),
    ("HP-104 stock looks low, reorder before it sells out", "operations"),
    ("when does the next delivery from Ironworks Foundry arrive", "operations"),
    ("two VIP emails are going out on the same day, fix the calendar", "operations"),
    ("check days of cover on the best sellers", "operations"),
    ("VIP Restock Alert and VIP Early Access clash, move one", "operations"),
    # finance
    ("tiktok is overspending its monthly budget", "finance"),
    ("are we pacing over on ad spend this month?", "finance"),
    ("confirm the draft PO to Copper & Co", "finance"),
    ("what are our payment terms with the suppliers, can we afford the PO", "finance"),
    ("keep spend within the cap for finance", "finance"),
    ("how much cash do open purchase orders tie up", "finance"),
    # product
    ("we're overstocked on the linen apron", "product"),
    ("lots of refunds on the blue kettle, what's going on", "product"),
    ("the Glass Kettle - Blue keeps coming back as returns", "product"),
    ("which products are slow movers we should mark down", "product"),
    ("the sage apron is just sitting there gathering dust", "product"),
    ("should we discontinue anything in the range?", "product"),
    # sales
    ("are we going to hit the revenue target this month?", "sales"),
    ("WELCOME40 is losing us money", "sales"),
    ("which discount codes actually give uplift", "sales"),
    ("give me the sales forecast for the rest of the month", "sales"),
    ("we're behind on our monthly goal", "sales"),
    ("is SPRING10 eroding margin", "sales"),
    # intelligence
    ("the cold brew maker is suddenly trending", "intelligence"),
    ("something weird happened with spend two days ago", "intelligence"),
    ("what's trending this week", "intelligence"),
    ("any anomalies in orders or revenue?", "intelligence"),
    ("CB-500 sales jumped week over week, is it real?", "intelligence"),
    ("spot unusual spikes in the data", "intelligence"),
]
