"""Part `imports`: a Shopify orders export of the scale's row count through the real importer.

The export is a generated shop (`brand.scenarios`) written as Shopify writes it (FORMATS.md's
columns); its products are imported first, untimed. Each measured run imports the orders file
whole (one transaction, every row validated) into a fresh copy of that database, so that every run
creates every order, customer and line. The bare `csv.DictReader` pass over the same file is the
floor any importer of this file stands on: their ratio says what the validation and writing cost.
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import databases
from ..harness import BenchContext, Figure, Goal, repeat

KEYS = ("import_rows_per_s",)
HISTORY_DAYS = 180
SKUS = 400
GOAL_ROWS_PER_S = 20_000


def _export(ctx: BenchContext) -> dict[str, Path]:
    from brand.clock import brand_today, brand_tz
    from brand.scenarios import Scenario, generate
    from brand.scenarios.exports import write_exports

    rows = ctx.scale.import_rows
    scenario = Scenario(
        name="bench-import", seed=16, skus=SKUS, history_days=HISTORY_DAYS, orders_per_day=rows / HISTORY_DAYS
    )
    shop = generate(scenario, brand_today() - dt.timedelta(days=1), brand_tz())
    # Exactly the asked rows (one line per generated order): the newest orders beyond them dropped.
    del shop.orders[rows:]
    return write_exports(shop, ctx.workdir / "export")


def _count_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def run(ctx: BenchContext, keys: frozenset[str]) -> list[Figure]:
    from brand.importers import import_file

    started = time.perf_counter()
    paths = _export(ctx)
    rows = _count_rows(paths["orders"])
    size_mb = paths["orders"].stat().st_size / 2**20
    ctx.log(f"[imports] wrote {rows:,} order rows ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f} s")
    import_file(kind="shopify-products", path=paths["products"])
    results: list[dict[str, Any]] = []

    def one_import() -> float:
        url = databases.sibling_url(ctx.database_url, "run")
        databases.copy(ctx.database_url, url)
        try:
            with databases.connected_to(url):
                began = time.perf_counter()
                result = import_file(kind="shopify-orders", path=paths["orders"])
                seconds = time.perf_counter() - began
        finally:
            databases.drop(url)
        if result.rows != rows:
            raise RuntimeError(f"the importer read {result.rows:,} rows of {rows:,}")
        results.append({"seconds": round(seconds, 3), "created": dict(result.created)})
        ctx.log(f"[imports] {rows:,} rows in {seconds:.2f} s ({rows / seconds:,.0f} rows/s)")
        return rows / seconds

    def one_pass() -> None:
        _count_rows(paths["orders"])

    # A run imports the whole file into a fresh copy (seconds to minutes): it is its own warm-up, and
    # three of them show the spread; more would only lengthen the benchmark.
    per_s = repeat(replace(ctx, scale=replace(ctx.scale, warmup=0, repeats=min(3, ctx.scale.repeats))), one_import)
    bare = statistics.median(repeat(ctx, one_pass))
    ratios = [(rows / value) / bare for value in per_s]
    return [
        Figure(
            "import_rows_per_s",
            f"Shopify orders export, {rows:,} rows, into an empty brand",
            "rows/s",
            per_s,
            goal=Goal(">=", GOAL_ROWS_PER_S, f"at least {GOAL_ROWS_PER_S:,} rows/s"),
            detail={"rows": rows, "file_mb": round(size_mb, 1), "runs": results[-len(per_s) :]},
        ),
        Figure(
            "import_rows_per_s",
            "import time over a bare csv.DictReader pass of the same file",
            "ratio",
            ratios,
            detail={"dictreader_seconds": round(bare, 3), "dictreader_rows_per_s": round(rows / bare)},
        ),
    ]
