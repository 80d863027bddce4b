"""The eight divisions every Atlas brand has, with their mandates (used for routing requests)."""

from __future__ import annotations

DIVISIONS: list[tuple[str, str, str]] = [
    (
        "growth",
        "Growth",
        "Paid media and promotions: ad campaigns, budgets, ROAS, acquisition, scaling winners, pushing a sale "
        "or a product harder, discounts to drive demand.",
    ),
    (
        "retention",
        "Retention",
        "Existing customers: churn, win-back, lapsing VIPs, lifecycle and post-purchase e-mails, repeat "
        "purchases, loyalty, RFM segments.",
    ),
    (
        "creative",
        "Creative",
        "Ad creative and copy: fatigue, click-through rate, new ad copy, creative briefs, e-mail copy and "
        "subject lines, revisions.",
    ),
    (
        "operations",
        "Operations",
        "Inventory and schedules: stock, days of cover, stock-outs, reorders and purchase orders, supplier "
        "lead times, the content calendar and send clashes.",
    ),
    (
        "finance",
        "Finance",
        "Money: spend pacing against monthly budgets, cash, purchase order confirmation, supplier terms, "
        "margins and caps.",
    ),
    (
        "product",
        "Product",
        "The assortment: slow movers, overstock, markdowns, returns and refund rates, product quality.",
    ),
    (
        "sales",
        "Sales",
        "Revenue: forecasts against target, discount codes and their uplift or margin erosion, sales reports.",
    ),
    (
        "intelligence",
        "Intelligence",
        "Market and data signals: trending products and categories, week-over-week growth, anomalies in "
        "revenue, orders and spend.",
    ),
]
