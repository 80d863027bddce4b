"""The demo brand's history, generated in memory: customers, orders, stock, ad metrics.

Pure Python and deterministic for (seed, end_date): `random.Random(seed)` drives every draw, in a
fixed order. The planted signals of docs/demo-signals.md are placed by construction (exact counts
where the spec gives numbers), and `brand.demo.measure.measure_dataset` checks them on the result
before anything is written, so a seed that failed to plant a signal fails loudly.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from . import catalog as cat
from . import past

TZ = ZoneInfo("America/New_York")
HISTORY_DAYS = 180
CENT = Decimal("0.01")
# Mon..Sun: weekends sell more.
WEEKDAY_FACTOR = (0.92, 0.9, 0.93, 0.97, 1.05, 1.22, 1.18)
DISCOUNTS = {
    "WELCOME40": Decimal("40"),
    "SPRING10": Decimal("10"),
    "THANKYOU15": Decimal("15"),
    past.WINBACK_CODE: past.WINBACK_PERCENT,
}

FIRST_NAMES = (  # noqa: SIM905
    "Ava Liam Maya Noah Emma Owen Chloe Ethan Grace Lucas Ella Mason Nora Caleb Ruby Henry Iris Jack  "
    "Hazel Leo Alice Miles Clara Eli Zoe Theo Lila Isaac Ivy Julian Stella Wyatt Aria Ezra June Felix  "
    "Naomi Silas Piper Jonah Priya Mateo Sofia Diego Amara Kenji Yuki Omar Leila Sanjay Mei Luca Anya  "
    "Tariq Ines Kofi Hana Marco Elena Ravi"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Smith Johnson Brown Garcia Miller Davis Wilson Anderson Thomas Taylor Moore Martin Lee Thompson  "
    "White Harris Clark Lewis Walker Hall Young Allen King Wright Scott Green Baker Adams Nelson Hill  "
    "Campbell Mitchell Roberts Carter Phillips Evans Turner Torres Parker Collins Edwards Stewart Morris  "
    "Nguyen Chen Patel Kim Okafor Rossi Novak Silva Tanaka Cohen Murphy Rivera Cooper Reed Bailey Bell  "
    "Ward Brooks Price Hughes Foster Ellis Shaw"
).split()


def money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class DemoCustomer:
    email: str
    first_name: str
    last_name: str
    accepts_marketing: bool
    kind: str  # "regular" | "vip" | "lapsing" | "winback"


@dataclass
class DemoOrder:
    customer: int  # index into Dataset.customers
    day: int  # 0..179, index into Dataset.days
    first: bool
    seconds: int = 0  # seconds after midnight, brand time
    lines: list[tuple[str, int]] = field(default_factory=list)  # (sku, quantity)
    code: str = ""
    refunded: bool = False
    name: str = ""

    def subtotal(self) -> Decimal:
        return sum((cat.BY_SKU[sku].price * qty for sku, qty in self.lines), Decimal("0.00"))

    def discount(self) -> Decimal:
        return money(self.subtotal() * DISCOUNTS[self.code] / 100) if self.code else Decimal("0.00")

    def total(self) -> Decimal:
        return self.subtotal() - self.discount()

    def cost(self) -> Decimal:
        return sum((cat.BY_SKU[sku].cost * qty for sku, qty in self.lines), Decimal("0.00"))


@dataclass
class AdDay:
    spend: Decimal
    impressions: int
    clicks: int
    purchases: int
    revenue: Decimal


@dataclass
class Dataset:
    seed: int
    end_date: dt.date
    days: list[dt.date]
    customers: list[DemoCustomer]
    orders: list[DemoOrder]
    stock: dict[str, int]
    ads: dict[str, dict[dt.date, AdDay]]  # campaign name -> day -> metrics

    @property
    def today(self) -> dt.date:
        return self.end_date + dt.timedelta(days=1)

    def created_at(self, order: DemoOrder) -> dt.datetime:
        day = self.days[order.day]
        naive = dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=order.seconds)
        return naive.replace(tzinfo=TZ)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(first: dt.date) -> dt.date:
    return (first - dt.timedelta(days=1)).replace(day=1)


def generate(seed: int, end_date: dt.date) -> Dataset:
    rng = random.Random(seed)
    days = [end_date - dt.timedelta(days=HISTORY_DAYS - 1 - i) for i in range(HISTORY_DAYS)]
    last = HISTORY_DAYS - 1
    latest_cohort = previous_month(month_start(end_date + dt.timedelta(days=1)))

    customers: list[DemoCustomer] = []

    def new_customer(kind: str, marketing: float) -> int:
        first, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        index = len(customers)
        email = f"{first}.{last_name}.{index + 1:05d}@example.com".lower()
        customers.append(DemoCustomer(email, first, last_name, rng.random() < marketing, kind))
        return index

    orders: list[DemoOrder] = []
    # VIPs: regular reorders about every 30 days, up to the end of history (so none is overdue).
    vip_days: dict[int, list[int]] = defaultdict(list)
    for _ in range(380):
        c = new_customer("vip", 0.9)
        interval = rng.randint(26, 34)
        d = last - rng.randint(0, interval - 3)
        while d >= 0:
            vip_days[d].append(c)
            d -= interval + rng.randint(-2, 2)
    # The lapsing VIP cohort: 4-5 orders about 30 days apart, then silence for 60-85 days.
    for _ in range(rng.randint(32, 38)):
        c = new_customer("lapsing", 0.9)
        interval = rng.randint(27, 31)
        d = last - rng.randint(60, 85)
        while d >= 0:
            vip_days[d].append(c)
            d -= interval + rng.randint(-1, 1)

    # Daily order counts: growth (+60% over the half year) and weekly seasonality.
    targets = [
        round((92 + 58 * i / last) * WEEKDAY_FACTOR[days[i].weekday()] * rng.uniform(0.95, 1.05))
        for i in range(HISTORY_DAYS)
    ]
    repeats: dict[int, list[int]] = defaultdict(list)
    seen_vips: set[int] = set()
    for d in range(HISTORY_DAYS):
        for c in vip_days.get(d, []):
            orders.append(DemoOrder(c, d, first=c not in seen_vips))
            seen_vips.add(c)
        for c in repeats.get(d, []):
            orders.append(DemoOrder(c, d, first=False))
        booked = len(vip_days.get(d, [])) + len(repeats.get(d, []))
        in_latest_cohort = month_start(days[d]) == latest_cohort
        for _ in range(max(targets[d] - booked, targets[d] // 2)):
            c = new_customer("regular", 0.65)
            orders.append(DemoOrder(c, d, first=True))
            # The planted drop: the latest complete cohort comes back far less within 30 days.
            second = None
            if rng.random() < (0.09 if in_latest_cohort else 0.22):
                second = d + rng.randint(2, 28)
            elif rng.random() < 0.12:
                second = d + rng.randint(35, 110)
            if second is not None and second <= last:
                repeats[second].append(c)
                if rng.random() < 0.3 and second + 14 <= last:
                    repeats[min(last, second + rng.randint(14, 80))].append(c)

    value_pool = [v for v in cat.CATALOG if v.value_item]
    value_skus = [v.sku for v in value_pool]
    value_weights = [v.weight for v in value_pool]
    premium = [v for v in cat.CATALOG if v.price >= 89]
    premium_skus = [v.sku for v in premium]
    premium_weights = [v.weight for v in premium]
    # Planted SKUs are placed explicitly below; the rest sell by (jittered) popularity.
    pool = [v for v in cat.CATALOG if v.sku not in (cat.COLD_BREW, cat.LINEN_APRON_SAGE)]
    pool_skus = [v.sku for v in pool]
    pool_weights = [v.weight * rng.uniform(0.8, 1.2) for v in pool]

    welcome_from, spring_from = last - 89, last - 59
    # Lines are drawn per day and pool by systematic sampling over the popularity weights: every
    # SKU gets its expected share give or take one unit a day, so no SKU trends by chance (only
    # CB-500 does, by design).
    slots: dict[tuple[str, int], list[DemoOrder]] = defaultdict(list)
    for order in orders:
        order.seconds = rng.randint(6 * 3600, 19 * 3600 - 1)  # 06:00-18:59: the brand day is the UTC day too
        kind = customers[order.customer].kind
        if order.first and kind == "regular" and order.day >= welcome_from and rng.random() < 0.045:
            order.code = "WELCOME40"
            slots["value", order.day].extend([order] * rng.choices((1, 2, 3), (0.5, 0.35, 0.15))[0])
            continue
        if kind != "regular":
            # VIPs buy the big pieces: one premium line, then the usual mix.
            slots["premium", order.day].append(order)
            count = rng.choice((1, 2, 2))
        else:
            count = rng.choices((1, 2, 3), (0.62, 0.28, 0.10))[0]
        slots["main", order.day].extend([order] * count)
        if order.day >= spring_from and rng.random() < 0.06:
            order.code = "SPRING10"
        elif not order.first and rng.random() < 0.08:
            order.code = "THANKYOU15"

    pools = {
        "main": (pool_skus, pool_weights),
        "premium": (premium_skus, premium_weights),
        "value": (value_skus, value_weights),
    }
    streams = {name: _Systematic(rng, skus, weights) for name, (skus, weights) in pools.items()}
    for (pool_name, _day), day_slots in sorted(slots.items(), key=lambda item: (item[0][1], item[0][0])):
        drawn = streams[pool_name].draw(len(day_slots))
        rng.shuffle(drawn)
        for order, sku in zip(day_slots, drawn, strict=True):
            quantity = 2 if pool_name == "main" and rng.random() < 0.12 else 1
            order.lines.append((sku, quantity))
    for order in orders:
        merged: dict[str, int] = {}
        for sku, qty in order.lines:
            merged[sku] = merged.get(sku, 0) + qty
        order.lines = list(merged.items())

    by_day: dict[int, list[DemoOrder]] = defaultdict(list)
    for order in orders:
        if order.code != "WELCOME40":
            by_day[order.day].append(order)

    def place(sku: str, day: int, units: int) -> None:
        for order in rng.sample(by_day[day], units):
            order.lines.append((sku, 1))

    # CB-500: about 2.5 a day, then 20 units in the previous 7 days and 50 in the last 7 (+150%).
    week_before = _spread(rng, 20, 7)
    last_week = _spread(rng, 50, 7)
    for d in range(HISTORY_DAYS):
        if d >= last - 6:
            units = last_week[d - (last - 6)]
        elif d >= last - 13:
            units = week_before[d - (last - 13)]
        else:
            units = rng.randint(1, 4)
        place(cat.COLD_BREW, d, units)
    # LA-220: a trickle before, exactly 2 units in the last 28 days.
    for d in range(last - 27):
        if rng.random() < 0.12:
            place(cat.LINEN_APRON_SAGE, d, 1)
    for d in rng.sample(range(last - 27, last + 1), 2):
        place(cat.LINEN_APRON_SAGE, d, 1)

    orders.sort(key=lambda o: (o.day, o.seconds))

    # Refunds: exactly 18% of the orders with GK-150, exactly 5% of the others.
    with_kettle = [o for o in orders if any(sku == cat.GLASS_KETTLE_BLUE for sku, _ in o.lines)]
    others = [o for o in orders if not any(sku == cat.GLASS_KETTLE_BLUE for sku, _ in o.lines)]
    for order in rng.sample(with_kettle, round(0.18 * len(with_kettle))):
        order.refunded = True
    for order in rng.sample(others, round(0.05 * len(others))):
        order.refunded = True

    # The past's win-back customers, drawn from a generator of their own: every other draw (and so every
    # planted signal) is the same as without them. Added before the stock, which counts their units.
    orders.extend(_winback(random.Random(seed * 7919 + 3), customers, pool_skus, pool_weights, last))
    # Names follow time, as a shop's order numbers do.
    orders.sort(key=lambda o: (o.day, o.seconds))
    for number, order in enumerate(orders, start=1001):
        order.name = f"#{number}"

    stock = _stock(rng, orders, last)
    ads = _ads(rng, days)
    return Dataset(seed, end_date, days, customers, orders, stock, ads)


def _winback(
    rng: random.Random, customers: list[DemoCustomer], skus: list[str], weights: list[float], last: int
) -> list[DemoOrder]:
    """The win-back e-mail's customers (brand.demo.past): two orders early in the history, then nothing
    for months, and some of them back within the week after the send with the e-mail's code."""
    send = last - (past.WINBACK_DAYS_AGO - 1)
    lapsed_from = send - past.WINBACK_LAPSED_DAYS
    members = []
    for _ in range(past.WINBACK_CUSTOMERS):
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        index = len(customers)
        email = f"{first_name}.{last_name}.{index + 1:05d}@example.com".lower()
        customers.append(DemoCustomer(email, first_name, last_name, True, "winback"))
        members.append(index)
    orders = []
    for c in members:
        first = rng.randint(0, 25)
        orders.append(DemoOrder(c, first, first=True))
        orders.append(DemoOrder(c, min(lapsed_from - 1, first + rng.randint(40, 60)), first=False))
    for c in rng.sample(members, past.WINBACK_RETURNING):
        orders.append(DemoOrder(c, send + rng.randint(1, 6), first=False, code=past.WINBACK_CODE))
    for order in orders:
        order.seconds = rng.randint(6 * 3600, 19 * 3600 - 1)
        order.lines = [(rng.choices(skus, weights)[0], 1)]
    return orders


class _Systematic:
    """Systematic sampling as one stream across days: over any run of days, every SKU gets its
    expected count give or take one, so no SKU trends by chance (only CB-500 does, by design)."""

    def __init__(self, rng: random.Random, skus: list[str], weights: list[float]) -> None:
        self.skus, self.weights = skus, weights
        self.total = sum(weights)
        self.step = self.total * 0.6180339887498949  # a golden-ratio stride: a low-discrepancy sequence
        self.point = rng.uniform(0, self.total)
        self.bounds = []
        running = 0.0
        for weight in weights:
            running += weight
            self.bounds.append(running)

    def draw(self, n: int) -> list[str]:
        drawn = []
        for _ in range(n):
            self.point = (self.point + self.step) % self.total
            drawn.append(self.skus[bisect.bisect_right(self.bounds, self.point)])
        return drawn


def _spread(rng: random.Random, total: int, days: int) -> list[int]:
    units = [total // days] * days
    for i in rng.sample(range(days), total - sum(units)):
        units[i] += 1
    return units


def units_by_sku(orders: list[DemoOrder], first_day: int, last_day: int) -> dict[str, int]:
    units: dict[str, int] = defaultdict(int)
    for order in orders:
        if first_day <= order.day <= last_day:
            for sku, qty in order.lines:
                units[sku] += qty
    return units


def _stock(rng: random.Random, orders: list[DemoOrder], last: int) -> dict[str, int]:
    """Stock from the last 28 days' sales rate: HP-104 at 6 days of cover, LA-220 at 600 units, the
    rest comfortably above their lead time and below the slow-mover line (45-100 days)."""
    units28 = units_by_sku(orders, last - 27, last)
    evergreen = set(next(c[7] for c in cat.CAMPAIGNS if c[0] == cat.EVERGREEN))
    stock: dict[str, int] = {}
    for v in cat.CATALOG:
        rate = units28.get(v.sku, 0) / 28
        if v.sku == cat.SKILLET_10:
            stock[v.sku] = round(6 * rate)
        elif v.sku == cat.LINEN_APRON_SAGE:
            stock[v.sku] = 600
        else:
            lead = int(cat.SUPPLIERS[v.supplier]["lead_time_days"])  # type: ignore[call-overload]
            low = 70 if v.sku in evergreen else max(45, lead + 20)
            stock[v.sku] = max(12, round(rate * rng.uniform(low, 100)))
    return stock


def _ads(rng: random.Random, days: list[dt.date]) -> dict[str, dict[dt.date, AdDay]]:
    last = len(days) - 1
    spike_day = last - 2
    raw: dict[str, dict[int, list[float]]] = {}
    for name, _channel, budget, pace, roas, ctr, cpm, _skus in cat.CAMPAIGNS:
        first_day = last - 69 if name == cat.SPRING_GLOW else 0
        last_day = last - 60 if name == cat.WINTER_WARMERS else last
        series: dict[int, list[float]] = {}
        for d in range(first_day, last_day + 1):
            spend = budget * pace * rng.uniform(0.975, 1.025)
            impressions = spend / cpm * 1000 * rng.uniform(0.97, 1.03)
            clicks = impressions * ctr * rng.uniform(0.96, 1.04)
            revenue = spend * roas * rng.uniform(0.9, 1.1)
            series[d] = [spend, impressions, clicks, revenue]
        raw[name] = series

    # The past budget cut (brand.demo.past): a week of slump before it, the usual ROAS on the new
    # budget after it.
    cut = last - (past.BUDGET_CUT_DAYS_AGO - 1)
    lookbook = raw[past.BUDGET_CUT_CAMPAIGN]
    budget, usual = next((c[2], c[4]) for c in cat.CAMPAIGNS if c[0] == past.BUDGET_CUT_CAMPAIGN)
    for d in range(cut - past.SLUMP_DAYS, cut):
        lookbook[d][3] *= past.SLUMP_ROAS / usual
    scale = float(past.BUDGET_AFTER) / budget
    for d in range(cut, last + 1):
        lookbook[d] = [value * scale for value in lookbook[d]]

    # Spend spike on end_date-2: every live campaign bills three times its day, with no more
    # impressions, clicks or revenue (a billing/bidding glitch, not demand).
    for series in raw.values():
        if spike_day in series:
            series[spike_day][0] *= 3

    # Cozy Nights: the creative tires: CTR -45% in the last 7 days on steady impressions.
    cozy = raw[cat.COZY_NIGHTS]
    prev = range(last - 13, last - 6)
    ctr_prev = sum(cozy[d][2] for d in prev) / sum(cozy[d][1] for d in prev)
    for d in range(last - 6, last + 1):
        cozy[d][2] = cozy[d][1] * ctr_prev * 0.55 * rng.uniform(0.98, 1.02)
        cozy[d][3] *= 0.75

    # Spring Glow: ROAS 2.4 over 28 days, 0.8 over the last 7.
    glow = raw[cat.SPRING_GLOW]
    last7, prev21 = range(last - 6, last + 1), range(last - 27, last - 6)
    spend7 = sum(glow[d][0] for d in last7)
    spend28 = spend7 + sum(glow[d][0] for d in prev21)
    scale7 = 0.8 * spend7 / sum(glow[d][3] for d in last7)
    scale21 = (2.4 * spend28 - 0.8 * spend7) / sum(glow[d][3] for d in prev21)
    for d in last7:
        glow[d][3] *= scale7
    for d in prev21:
        glow[d][3] *= scale21

    ads: dict[str, dict[dt.date, AdDay]] = {}
    for name, channel, *_rest in cat.CAMPAIGNS:
        aov = cat.CAMPAIGN_AOV[channel]
        ads[name] = {
            days[d]: AdDay(money(spend), round(impr), round(clicks), round(revenue / aov), money(revenue))
            for d, (spend, impr, clicks, revenue) in raw[name].items()
        }
    return ads
