"""The demo's past: three actions Atlas proposed, people approved and the executor ran in the weeks
before today, and a proposal a person rejected yesterday.

Data only, in days before today (brand time). The generator shapes the history around it (the slump
before the budget cut and the recovery after, the lapsed customers the win-back e-mail brought back),
`records_set` writes the rows it starts from (the campaign's budget before the cut, the win-back
segment and its code), and `agents.demo_past` replays it through the services with the clock set
back, then runs the real outcome checks over the data. What each check finds is the data's doing:
nothing here is a verdict.
"""

from __future__ import annotations

from decimal import Decimal

# A budget cut after which ROAS recovered: a week of slump, the cut, then the campaign's usual ROAS on
# less spend. Outside the last 28 days, so that today's paid-media analysis sees a healthy campaign.
BUDGET_CUT_CAMPAIGN = "Linen Lookbook - Carousel"
BUDGET_CUT_DAYS_AGO = 35
BUDGET_AFTER = Decimal("70.00")
SLUMP_ROAS = 1.2
SLUMP_DAYS = 7

# A markdown that did not move the stock: the bread pan sells as it did before, so nothing in the
# data changes at the markdown.
MARKDOWN_SKU = "HP-345"
MARKDOWN_PERCENT = Decimal("20")
MARKDOWN_DAYS_AGO = 28

# A win-back e-mail that brought orders: customers whose last order is months old, a code only the
# e-mail carries, and some of them coming back with it within the week after the send.
WINBACK_SEGMENT = "win-back"
WINBACK_CODE = "COMEBACK15"
WINBACK_PERCENT = Decimal("15")
WINBACK_DAYS_AGO = 18
WINBACK_CUSTOMERS = 40
WINBACK_RETURNING = 14
# The segment's customers placed no order in this many days before the send.
WINBACK_LAPSED_DAYS = 60

# Rejected yesterday by a person: today's cycle must not propose it again.
# What the discounts specialist proposes on the demo (retire WELCOME40), rejected by the sales director.
REJECTED_DAYS_AGO = 1
REJECTION_REASON = (
    "WELCOME40 stays until the spring launch: it is how we buy first orders, and the second orders pay it back."
)

__all__ = [
    "BUDGET_AFTER",
    "BUDGET_CUT_CAMPAIGN",
    "BUDGET_CUT_DAYS_AGO",
    "MARKDOWN_DAYS_AGO",
    "MARKDOWN_PERCENT",
    "MARKDOWN_SKU",
    "REJECTED_DAYS_AGO",
    "REJECTION_REASON",
    "SLUMP_DAYS",
    "SLUMP_ROAS",
    "WINBACK_CODE",
    "WINBACK_CUSTOMERS",
    "WINBACK_DAYS_AGO",
    "WINBACK_LAPSED_DAYS",
    "WINBACK_PERCENT",
    "WINBACK_RETURNING",
    "WINBACK_SEGMENT",
]
