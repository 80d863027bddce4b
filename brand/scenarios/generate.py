"""A shop's history from its scenario: catalogue, orders and ad results, deterministic for a seed.

Healthy items keep 45-75 days of cover (over any lead time, under any slow-mover limit) and steady
ROAS; planted items are generated off that baseline, and their true numbers are measured back
from the generated rows (what a correct agent should report), not copied from the intent.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from .spec import Plant, PlantKind, Scenario

CENT = Decimal("0.01")
BASE_REFUND_RATE = 0.03
VIP_INTERVAL_DAYS = 8
VIP_SILENCE_DAYS = 20
# Every shop has a modest welcome code: a healthy discount, not a signal.
WELCOME_CODE = ("WELCOME10", (10, 0.06))
ADJECTIVES = ["Linen", "Oak", "Copper", "Stone", "Wool", "Clay", "Cedar", "Brass", "Cotton", "Slate", "Amber", "Moss"]
NOUNS = ["Mug", "Throw", "Board", "Vase", "Lamp", "Tray", "Bowl", "Candle", "Apron", "Basket", "Towel", "Jar"]


@dataclass
class Item:
    sku: str
    handle: str
    title: str
    price: Decimal
    cost: Decimal
    rate: float  # units a day, the baseline
    stock: int = 0
    recent_factor: float = 1.0  # the last 7 days' rate over the baseline


@dataclass
class Campaign:
    name: str
    channel: str
    budget: Decimal
    spend_share: float  # of the budget, a day
    roas: float
    recent_roas_factor: float = 1.0  # the last 7 days' ROAS over the usual


@dataclass
class OrderRow:
    name: str
    email: str
    created_at: dt.datetime
    lines: list[tuple[Item, int]]
    code: str = ""
    percent_off: int = 0
    refunded: bool = False

    @property
    def subtotal(self) -> Decimal:
        return sum((item.price * q for item, q in self.lines), Decimal(0))

    @property
    def discount(self) -> Decimal:
        return (self.subtotal * self.percent_off / 100).quantize(CENT)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount


@dataclass
class AdRow:
    campaign: Campaign
    day: dt.date
    spend: Decimal
    revenue: Decimal
    impressions: int
    clicks: int
    purchases: int


@dataclass
class Shop:
    scenario: Scenario
    end_date: dt.date  # the last whole day of history (yesterday)
    tz: dt.tzinfo
    items: list[Item]
    campaigns: list[Campaign]
    orders: list[OrderRow] = field(default_factory=list)
    ads: list[AdRow] = field(default_factory=list)
    plants: list[Plant] = field(default_factory=list)
    lead_times: dict[str, int] = field(default_factory=dict)  # supplier lead time by SKU, when suppliers exist
    refund_rates: dict[str, float] = field(default_factory=dict)  # a planted SKU's refund rate (others: base)
    codes: dict[str, tuple[int, float]] = field(default_factory=dict)  # code: (percent off, share of orders)
    vips: list[str] = field(default_factory=list)  # planted lapsing VIPs' e-mails

    def units(self, sku: str, days: int) -> int:
        """Units of `sku` ordered in the last `days` days of history."""
        first = self.end_date - dt.timedelta(days=days - 1)
        return sum(
            q
            for o in self.orders
            if first <= o.created_at.astimezone(self.tz).date() <= self.end_date
            for item, q in o.lines
            if item.sku == sku
        )

    def roas(self, name: str, days: int) -> float:
        first = self.end_date - dt.timedelta(days=days - 1)
        rows = [a for a in self.ads if a.campaign.name == name and a.day >= first]
        spend = sum(a.spend for a in rows)
        return float(sum(a.revenue for a in rows) / spend) if spend else 0.0


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    threshold, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def _catalogue(rng: random.Random, scenario: Scenario) -> list[Item]:
    # Popularity falls off like a real catalogue's (a few best-sellers, a long tail).
    weights = [1 / (i + 1) ** 0.8 for i in range(scenario.skus)]
    total = sum(weights)
    items = []
    for i in range(scenario.skus):
        price = Decimal(rng.randrange(18, 120)).quantize(CENT)
        margin = Decimal(str(rng.uniform(0.40, 0.55)))
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        rate = scenario.orders_per_day * weights[i] / total
        items.append(
            Item(
                sku=f"SC-{i + 1:04d}",
                handle=f"{name.lower().replace(' ', '-')}-{i + 1}",
                title=f"{name} {i + 1}",
                price=price,
                cost=(price * (1 - margin)).quantize(CENT),
                rate=rate,
                stock=max(0, round(rate * rng.uniform(45, 75))),
            )
        )
    return items


def _campaigns(rng: random.Random, scenario: Scenario) -> list[Campaign]:
    campaigns = []
    for channel in scenario.channels:
        for k in range(scenario.campaigns_per_channel):
            campaigns.append(
                Campaign(
                    name=f"{channel.title()} {['Prospecting', 'Retargeting', 'Brand', 'Catalog'][k % 4]} {k + 1}",
                    channel=channel,
                    budget=Decimal(rng.randrange(60, 300)),
                    spend_share=rng.uniform(0.7, 0.88),
                    roas=rng.uniform(2.0, 3.8),
                )
            )
    return campaigns


def _plant(rng: random.Random, shop: Shop, kind: PlantKind) -> None:
    items, campaigns = shop.items, shop.campaigns
    taken = {p.target for p in shop.plants}
    free_items = [i for i in items if i.sku not in taken]
    if kind == PlantKind.STOCKOUT:
        item = free_items[0]
        item.stock = max(1, round(item.rate * rng.uniform(3, 7)))
        shop.plants.append(Plant(kind, item.sku))
    elif kind == PlantKind.BESTSELLER_OVERSTOCK:
        item = free_items[0]
        item.stock = round(item.rate * rng.uniform(125, 140))
        shop.plants.append(Plant(kind, item.sku))
    elif kind == PlantKind.SLOW_MOVER:
        item = free_items[-1]
        item.rate = rng.uniform(0.03, 0.12)
        item.stock = rng.randrange(250, 900)
        shop.plants.append(Plant(kind, item.sku))
    elif kind == PlantKind.RISING:
        # A trend a week can show: a SKU selling about one a day or more (a jump from 1 to 3 sales a week
        # is chance, not a trend, for the agents and for a merchandiser alike).
        steady = [i for i in free_items[1:] if i.rate >= 1.0]
        item = steady[-1] if steady else free_items[len(free_items) // 2]
        item.recent_factor = 5.0
        # 28-day rate is twice the baseline (3 weeks at 1x, 1 week at 5x): 150-220 days of cover on it.
        item.stock = round(2 * item.rate * rng.uniform(150, 220))
        shop.plants.append(Plant(kind, item.sku))
    elif kind == PlantKind.REFUND_SPIKE:
        # A seller with enough orders for a refund rate to mean something: the best free one.
        item = free_items[0]
        shop.refund_rates[item.sku] = rng.uniform(0.25, 0.35)
        shop.plants.append(Plant(kind, item.sku))
    elif kind == PlantKind.LOSING_CODE:
        code = f"VIP{rng.randrange(60, 70)}"
        shop.codes[code] = (int(code[3:]), rng.uniform(0.10, 0.15))
        shop.plants.append(Plant(kind, code))
    elif kind == PlantKind.LAPSING_VIPS:
        shop.vips = [f"vip{n}@shop{shop.scenario.seed}.example" for n in range(8)]
        shop.plants.append(Plant(kind, "lapsing-vip"))
    elif kind == PlantKind.COLLAPSE:
        campaign = next(c for c in campaigns if c.name not in taken)
        campaign.recent_roas_factor = rng.uniform(0.2, 0.3)
        shop.plants.append(Plant(kind, campaign.name))
    elif kind == PlantKind.UNDERFUNDED:
        campaign = next(c for c in reversed(campaigns) if c.name not in taken)
        campaign.spend_share = 1.0
        campaign.roas = rng.uniform(5.5, 7.0)
        shop.plants.append(Plant(kind, campaign.name))


def _history(rng: random.Random, shop: Shop) -> None:
    scenario = shop.scenario
    first = shop.end_date - dt.timedelta(days=scenario.history_days - 1)
    customers = [f"customer{n}@shop{scenario.seed}.example" for n in range(max(50, scenario.skus * 15))]
    number = 1000
    dearest = max(shop.items, key=lambda i: i.price)
    for offset in range(scenario.history_days):
        day = first + dt.timedelta(days=offset)
        recent = (shop.end_date - day).days < 7
        weekly = 1 + scenario.seasonality * (1 if day.weekday() >= 5 else -0.4)
        for item in shop.items:
            mean = item.rate * weekly * max(0.0, rng.gauss(1, scenario.noise)) * (item.recent_factor if recent else 1)
            for _ in range(_poisson(rng, mean)):
                number += 1
                at = dt.datetime.combine(day, dt.time(rng.randrange(7, 23), rng.randrange(60)), tzinfo=shop.tz)
                code, percent = "", 0
                draw = rng.random()
                for name, (off, share) in shop.codes.items():
                    if draw < share:
                        code, percent = name, off
                        break
                    draw -= share
                refunded = rng.random() < shop.refund_rates.get(item.sku, BASE_REFUND_RATE)
                shop.orders.append(
                    OrderRow(f"#{number}", rng.choice(customers), at, [(item, 1)], code, percent, refunded)
                )
        silent = (shop.end_date - day).days < VIP_SILENCE_DAYS
        for n, email in enumerate(shop.vips):
            # Every 8 days, four of the dearest item: the top spenders, until they fall silent.
            if not silent and (offset + n) % VIP_INTERVAL_DAYS == 0:
                number += 1
                at = dt.datetime.combine(day, dt.time(12, n), tzinfo=shop.tz)
                shop.orders.append(OrderRow(f"#{number}", email, at, [(dearest, 4)]))
        for c in shop.campaigns:
            spend = (c.budget * Decimal(str(min(1.0, c.spend_share * rng.uniform(0.97, 1.03))))).quantize(CENT)
            roas = c.roas * max(0.1, rng.gauss(1, scenario.noise)) * (c.recent_roas_factor if recent else 1)
            revenue = (spend * Decimal(str(roas))).quantize(CENT)
            impressions = int(float(spend) * rng.uniform(80, 120))
            shop.ads.append(
                AdRow(c, day, spend, revenue, impressions, int(impressions * 0.015), max(0, int(revenue / 45)))
            )


def _measure(shop: Shop) -> None:
    """The true numbers of each plant, from the generated rows."""
    by_sku = {i.sku: i for i in shop.items}
    measured = []
    for plant in shop.plants:
        numbers: dict[str, float | int | None]
        if plant.kind == PlantKind.LOSING_CODE:
            first = shop.end_date - dt.timedelta(days=59)
            coded = [o for o in shop.orders if o.code == plant.target and o.created_at.date() >= first]
            gross = sum(o.subtotal for o in coded)
            discount = sum(o.discount for o in coded)
            cogs = sum(item.cost * q for o in coded for item, q in o.lines)
            numbers = {
                "orders_60d": len(coded),
                "margin_rate": round(float((gross - discount - cogs) / (gross - discount)), 4),
            }
        elif plant.kind == PlantKind.LAPSING_VIPS:
            numbers = {"lapsing": len(shop.vips)}
        elif plant.kind == PlantKind.REFUND_SPIKE:
            first = shop.end_date - dt.timedelta(days=89)
            mine = [o for o in shop.orders if o.lines[0][0].sku == plant.target and o.created_at.date() >= first]
            numbers = {"orders_90d": len(mine), "refund_rate": round(sum(o.refunded for o in mine) / len(mine), 4)}
        elif plant.kind in (PlantKind.COLLAPSE, PlantKind.UNDERFUNDED):
            numbers = {
                "roas_7d": round(shop.roas(plant.target, 7), 2),
                "roas_28d": round(shop.roas(plant.target, 28), 2),
            }
        else:
            item = by_sku[plant.target]
            units_28d, units_7d = shop.units(item.sku, 28), shop.units(item.sku, 7)
            long_days = min(90, shop.scenario.history_days)
            units_long = shop.units(item.sku, long_days)
            numbers = {
                "stock": item.stock,
                "units_28d": units_28d,
                "units_7d": units_7d,
                "days_of_cover_28d": round(item.stock / (units_28d / 28), 1) if units_28d else None,
                "days_of_cover_long": round(item.stock / (units_long / long_days), 1) if units_long else None,
            }
        measured.append(Plant(plant.kind, plant.target, numbers))
    shop.plants = measured


def generate(scenario: Scenario, end_date: dt.date, tz: dt.tzinfo) -> Shop:
    rng = random.Random(f"{scenario.name}:{scenario.seed}")
    shop = Shop(scenario, end_date, tz, _catalogue(rng, scenario), _campaigns(rng, scenario))
    shop.codes = dict([WELCOME_CODE])
    for kind in scenario.plants:
        _plant(rng, shop, kind)
    if scenario.suppliers:
        shop.lead_times = {i.sku: rng.choice((14, 21, 28)) for i in shop.items}
    _history(rng, shop)
    _measure(shop)
    return shop
