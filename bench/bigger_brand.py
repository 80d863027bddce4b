"""A brand `factor` times the size of the one in the database, for the cycle at scale.

The demo brand stays as it is (its people, calendar, e-mails, purchase order, planted signals) and
a generated shop of (factor - 1) times its catalogue, campaigns and orders is loaded beside it
through the importers (`brand.scenarios`: a long-tailed catalogue, weekly seasonality, noisy ad
results, suppliers with lead times and daily budgets), so that every count the agents read grows
by about `factor` and the data keeps a real shop's shape.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from brand import models as bm
from brand.clock import brand_today, brand_tz
from brand.scenarios import Scenario, generate, load_shop

CHANNELS = ("meta", "google", "tiktok")
HISTORY_DAYS = 180
# Generated order names start far above any the demo uses (#1001 onwards, about 23,000 of them):
# an order number seen twice would be an update of the demo's order, not a new one.
FIRST_ORDER_NUMBER = 10_000_001


def counts() -> dict[str, int]:
    return {
        "variants": bm.Variant.objects.count(),
        "orders": bm.Order.objects.count(),
        "order_lines": bm.OrderLine.objects.count(),
        "customers": bm.Customer.objects.count(),
        "campaigns": bm.AdCampaign.objects.count(),
        "ad_metrics": bm.AdMetric.objects.count(),
    }


def grow(*, factor: int, workdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Load (factor - 1) times the current brand beside it; returns the counts before and after."""
    if factor < 2:
        raise ValueError(f"brand factor {factor}: expected 2 or more")
    before = counts()
    extra = factor - 1
    # History to yesterday, brand time, as the demo's.
    tz, end_date = brand_tz(), brand_today() - dt.timedelta(days=1)
    per_channel = max(1, round(before["campaigns"] * extra / len(CHANNELS)))
    scenario = Scenario(
        name=f"bench-x{factor}",
        seed=factor,
        skus=before["variants"] * extra,
        channels=CHANNELS,
        campaigns_per_channel=per_channel,
        suppliers=True,
        budgets=True,
        history_days=HISTORY_DAYS,
        orders_per_day=before["orders"] * extra / HISTORY_DAYS,
    )
    started = time.perf_counter()
    shop = generate(scenario, end_date, tz)
    for number, order in enumerate(shop.orders, start=FIRST_ORDER_NUMBER):
        order.name = f"#{number}"
    log(
        f"[cycle] generated {len(shop.items):,} SKUs, {len(shop.campaigns)} campaigns, {len(shop.orders):,} orders "
        f"in {time.perf_counter() - started:.1f} s; importing"
    )
    started = time.perf_counter()
    load_shop(shop, workdir / f"x{factor}")
    after = counts()
    log(f"[cycle] brand x{factor}: {after} (loaded in {time.perf_counter() - started:.1f} s)")
    return {"before": before, "after": after}
