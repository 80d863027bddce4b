"""A shop's history from its scenario: catalogue, orders and ad results, deterministic for a seed.

Healthy items keep 45-75 days of cover (over any lead time, under any slow-mover limit) and steady
ROAS; planted items are generated off that baseline, and their true numbers are measured back
from the generated rows (what a correct agent should report), not copied from the intent. Ad budgets
scale with the shop's sales (a fifth of them), so a tiny shop's campaigns spend tens of dollars a day
and a large one's thousands: no dollar threshold can be right for both.
"""

from __future__ import annotations

import calendar
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
AD_SHARE_OF_SALES = 0.2  # the account's daily ad budget, as a share of a day's sales
TEST_CAMPAIGN_SHARE = 0.01  # a test campaign's budget, as a share of the account's
CONSENT_RATE = 0.65  # customers who accept marketing, in a shop with e-mail history
NEWSLETTER_EVERY_DAYS = 7
SUBSCRIBERS = "all-subscribers"
LAPSING_SEGMENT = "lapsing-vip"
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
    test: bool = False  # a sliver of the account, never a planted target


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
class EmailSend:
    """A past or scheduled e-mail to a segment (the e-mail tool's campaign list)."""

    name: str
    segment: str
    at: dt.datetime
    sent: bool  # sent at `at`, else scheduled for it


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
    channel_budgets: dict[str, Decimal] = field(default_factory=dict)  # finance's budget for end_date's month
    over_pace: set[str] = field(default_factory=set)  # planted over-pace channels
    consent: set[str] = field(default_factory=set)  # e-mails of customers who accept marketing
    segments: dict[str, list[str]] = field(default_factory=dict)  # segment key: its customers' e-mails
    sends: list[EmailSend] = field(default_factory=list)

    @property
    def customers(self) -> list[str]:
        return sorted({o.email for o in self.orders})

    def month_to_date(self, channel: str) -> Decimal:
        """The channel's spend from the first of end_date's month to end_date."""
        first = self.end_date.replace(day=1)
        return sum((a.spend for a in self.ads if a.campaign.channel == channel and a.day >= first), Decimal(0))

    def pacing(self, channel: str) -> float:
        """Month-to-date spend over the budget prorated to the days elapsed (1.4: 40% ahead)."""
        days_in_month = calendar.monthrange(self.end_date.year, self.end_date.month)[1]
        expected = (self.channel_budgets[channel] * self.end_date.day / days_in_month).quantize(CENT)
        return float(self.month_to_date(channel) / expected)

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


def _mean_price(items: list[Item]) -> float:
    return float(sum(i.price for i in items) / len(items))


def _campaigns(rng: random.Random, scenario: Scenario, items: list[Item]) -> list[Campaign]:
    account = scenario.orders_per_day * _mean_price(items) * AD_SHARE_OF_SALES
    count = len(scenario.channels) * scenario.campaigns_per_channel
    campaigns = []
    for channel in scenario.channels:
        for k in range(scenario.campaigns_per_channel):
            campaigns.append(
                Campaign(
                    name=f"{channel.title()} {['Prospecting', 'Retargeting', 'Brand', 'Catalog'][k % 4]} {k + 1}",
                    channel=channel,
                    budget=Decimal(max(3, round(account / count * rng.uniform(0.6, 1.4)))),
                    spend_share=rng.uniform(0.7, 0.88),
                    roas=rng.uniform(2.0, 3.8),
                )
            )
    if scenario.test_campaign:
        channel = scenario.channels[-1]
        campaigns.append(
            Campaign(
                name=f"{channel.title()} Test",
                channel=channel,
                budget=Decimal(max(3, round(account * TEST_CAMPAIGN_SHARE))),
                spend_share=rng.uniform(0.7, 0.88),
                roas=rng.uniform(2.5, 3.5),
                recent_roas_factor=0.4,
                test=True,
            )
        )
    return campaigns


def _plant(rng: random.Random, shop: Shop, kind: PlantKind) -> None:
    items, campaigns = shop.items, [c for c in shop.campaigns if not c.test]
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
    elif kind == PlantKind.OVER_PACE:
        # The channel of the first campaign: where a collapse or a winner is planted too, if any.
        channel = campaigns[0].channel
        shop.over_pace.add(channel)
        shop.plants.append(Plant(kind, channel))
    elif kind == PlantKind.RECENT_SEND:
        shop.plants.append(Plant(kind, LAPSING_SEGMENT))


def _stock_for_vips(rng: random.Random, shop: Shop) -> None:
    """The planted VIPs buy the dearest item: stock it for the demand a 28-day window sees of them too, so a
    healthy item does not turn into an unplanted stock-out (a planted one keeps its own stock)."""
    dearest = max(shop.items, key=lambda i: i.price)
    if not shop.vips or dearest.sku in {p.target for p in shop.plants}:
        return
    units = len(shop.vips) * 4 * (28 - VIP_SILENCE_DAYS) / VIP_INTERVAL_DAYS / 28  # a day, over 28 days
    dearest.stock += round(units * rng.uniform(45, 75))


def _history(rng: random.Random, shop: Shop) -> None:
    scenario = shop.scenario
    first = shop.end_date - dt.timedelta(days=scenario.history_days - 1)
    customers = [f"customer{n}@shop{scenario.seed}.example" for n in range(max(50, scenario.skus * 15))]
    number = 1000
    dearest = max(shop.items, key=lambda i: i.price)
    basket = _mean_price(shop.items)
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
            # Whole purchases of about an average basket each: a small campaign sees one or two a day.
            expected = float(revenue) / basket
            purchases = int(expected) + (rng.random() < expected - int(expected))
            shop.ads.append(AdRow(c, day, spend, revenue, impressions, int(impressions * 0.015), purchases))


def _measure(shop: Shop) -> None:
    """The true numbers of each plant, from the generated rows."""
    by_sku = {i.sku: i for i in shop.items}
    measured = []
    for plant in shop.plants:
        numbers: dict[str, float | int | list[str] | None]
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
        elif plant.kind == PlantKind.OVER_PACE:
            numbers = {
                "pacing": round(shop.pacing(plant.target), 4),
                "mtd_spend": float(shop.month_to_date(plant.target)),
                "budget": float(shop.channel_budgets[plant.target]),
            }
        elif plant.kind == PlantKind.RECENT_SEND:
            numbers = {"sends": [s.at.isoformat() for s in shop.sends if s.segment == plant.target]}
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


def _channel_budgets(rng: random.Random, shop: Shop) -> None:
    """Finance's monthly budget per channel, set from what the channel spent this month so far: a healthy
    channel paces at 80-95% of it, a planted one at 135-160%."""
    days_in_month = calendar.monthrange(shop.end_date.year, shop.end_date.month)[1]
    for channel in sorted({c.channel for c in shop.campaigns}):
        ratio = rng.uniform(1.35, 1.6) if channel in shop.over_pace else rng.uniform(0.8, 0.95)
        spent = shop.month_to_date(channel)
        shop.channel_budgets[channel] = (spent / Decimal(str(ratio)) * days_in_month / shop.end_date.day).quantize(
            Decimal("1")
        )


def _email_history(rng: random.Random, shop: Shop) -> None:
    """Consent, the subscribers' segment and a weekly newsletter to it over the history; the lapsing-VIP
    segment when VIPs are planted; a send yesterday evening and one tomorrow morning to it when planted."""
    customers = shop.customers
    shop.consent = {e for e in customers if e in shop.vips or rng.random() < CONSENT_RATE}
    shop.segments[SUBSCRIBERS] = sorted(shop.consent)
    first = shop.end_date - dt.timedelta(days=shop.scenario.history_days - 1)
    day = first + dt.timedelta(days=rng.randrange(NEWSLETTER_EVERY_DAYS))
    while day <= shop.end_date:
        at = dt.datetime.combine(day, dt.time(10), tzinfo=shop.tz)
        shop.sends.append(EmailSend(f"Newsletter {day:%d %B}", SUBSCRIBERS, at, sent=True))
        day += dt.timedelta(days=NEWSLETTER_EVERY_DAYS)
    if shop.vips or any(p.kind == PlantKind.RECENT_SEND for p in shop.plants):
        # Built a while ago: the VIPs then, and a few regulars.
        shop.segments[LAPSING_SEGMENT] = sorted(set(shop.vips) | set(customers[:5]))
    if any(p.kind == PlantKind.RECENT_SEND for p in shop.plants):
        yesterday = dt.datetime.combine(shop.end_date, dt.time(19), tzinfo=shop.tz)
        tomorrow = dt.datetime.combine(shop.end_date + dt.timedelta(days=2), dt.time(9), tzinfo=shop.tz)
        shop.sends.append(EmailSend("We miss you", LAPSING_SEGMENT, yesterday, sent=True))
        shop.sends.append(EmailSend("We miss you: a reminder", LAPSING_SEGMENT, tomorrow, sent=False))


def generate(scenario: Scenario, end_date: dt.date, tz: dt.tzinfo) -> Shop:
    rng = random.Random(f"{scenario.name}:{scenario.seed}")
    items = _catalogue(rng, scenario)
    shop = Shop(scenario, end_date, tz, items, _campaigns(rng, scenario, items))
    shop.codes = dict([WELCOME_CODE])
    for kind in scenario.plants:
        _plant(rng, shop, kind)
    _stock_for_vips(rng, shop)
    if scenario.suppliers:
        shop.lead_times = {i.sku: rng.choice((14, 21, 28)) for i in shop.items}
    _history(rng, shop)
    if scenario.channel_budgets or shop.over_pace:
        _channel_budgets(rng, shop)
    if scenario.email_history:
        _email_history(rng, shop)
    _measure(shop)
    return shop
