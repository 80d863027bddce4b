"""What a generated shop is: its shape, and the signals planted in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class PlantKind(StrEnum):
    """A planted signal. All but the last two must be found; those two are traps a careless rule falls into."""

    STOCKOUT = "stockout"  # a best-seller with days of stock left, well under any lead time
    COLLAPSE = "collapse"  # a campaign whose last 7 days' ROAS fell to a quarter of its usual
    UNDERFUNDED = "underfunded"  # a high-ROAS campaign spending its whole budget every day
    SLOW_MOVER = "slow_mover"  # deep stock that hardly sells
    REFUND_SPIKE = "refund_spike"  # a product refunded about ten times as often as the rest
    LOSING_CODE = "losing_code"  # a discount code so deep that its orders lose money
    LAPSING_VIPS = "lapsing_vips"  # the best customers, regular every 8 days, silent for the last 20
    OVER_PACE = "over_pace"  # a channel spending well over finance's monthly budget, prorated (needs channel budgets)
    RISING = "rising"  # trap: deep stock on the 28-day rate, but sales quintupled in the last week
    BESTSELLER_OVERSTOCK = "bestseller_overstock"  # trap: the best-seller with a little over 120 days of cover
    # trap: the lapsing-VIP segment was e-mailed yesterday evening and has another send scheduled tomorrow
    # morning; a new send within 24 hours of either is harmful (needs e-mail history)
    RECENT_SEND = "recent_send"


TRAPS = (PlantKind.RISING, PlantKind.BESTSELLER_OVERSTOCK, PlantKind.RECENT_SEND)
# The risk of the day should be the most urgent planted risk: a stock-out (the one with the fewest days
# of cover) before ad money being wasted, where a collapsing campaign and a channel spending ahead of its
# month's budget are one tier (either one leaks money every day; which leaks more is the ranking's call).
RISK_TIERS = ((PlantKind.STOCKOUT,), (PlantKind.COLLAPSE, PlantKind.OVER_PACE))


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int
    skus: int = 12
    channels: tuple[str, ...] = ("meta",)
    campaigns_per_channel: int = 2
    suppliers: bool = False  # a supplier list with lead times (never in a Shopify export)
    budgets: bool = False  # daily budgets on the campaigns (often absent from an ads export)
    channel_budgets: bool = False  # finance's monthly budget per ad channel (never in an export)
    email_history: bool = False  # past e-mail sends, segments and customers' consent to marketing
    # A sliver of the account (about 1% of its ad spend, a purchase or so a day) whose last week dipped
    # by chance: too little to judge, in a shop large enough for it to matter nothing.
    test_campaign: bool = False
    history_days: int = 90
    noise: float = 0.15  # day-to-day multiplicative noise on sales and ad results
    seasonality: float = 0.2  # weekly swing of sales (weekend peak)
    orders_per_day: float = 20.0  # across the catalogue, before noise and seasonality
    plants: tuple[PlantKind, ...] = ()
    demo: bool = False  # the demo brand (Hearth & Pine), built by brand.demo instead

    @property
    def export_only(self) -> bool:
        return not (self.suppliers or self.budgets or self.channel_budgets or self.email_history)

    @property
    def healthy(self) -> bool:
        return not self.plants and not self.demo


@dataclass(frozen=True)
class Plant:
    """A planted signal with its target and the true numbers it was generated with."""

    kind: PlantKind
    target: str  # a SKU, a campaign name, a channel, a discount code or a segment key
    numbers: dict[str, Any] = field(default_factory=dict)
