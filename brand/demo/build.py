"""`build_demo`: generate Hearth & Pine, write its exports, load them through `atlas_import`, then
set the rest and the people. The service behind `manage.py atlas_demo`."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from .. import models as bm
from .exports import write_all
from .generate import TZ, Dataset, generate
from .measure import measure_dataset
from .people import people_set
from .records import profile_set, records_set
from .signals import measure_signals

if TYPE_CHECKING:
    # Anything with write(str): a command's OutputWrapper or sys.stdout.
    from _typeshed import SupportsWrite


class DemoNotPlanted(RuntimeError):
    """The generated history misses a planted signal or carries a second one of a kind."""


def default_end_date() -> dt.date:
    """Yesterday, brand time: the demo's history ends with the last complete brand day."""
    return timezone.now().astimezone(TZ).date() - dt.timedelta(days=1)


def demo_dataset(seed: int, end_date: dt.date) -> Dataset:
    """The generated history, checked: raises DemoNotPlanted naming what is wrong."""
    dataset = generate(seed, end_date)
    problems = measure_dataset(dataset)["problems"]
    if problems:
        raise DemoNotPlanted(f"seed {seed}, end date {end_date}: " + "; ".join(problems))
    return dataset


def _import(kind: str, path: Path, channel: str | None = None) -> dict[str, Any]:
    buffer = io.StringIO()
    args = [kind, str(path), "--json"] + (["--channel", channel] if channel else [])
    call_command("atlas_import", *args, stdout=buffer)
    return json.loads(buffer.getvalue())


def build_demo(
    seed: int = 1,
    end_date: dt.date | None = None,
    stdout: SupportsWrite[str] | None = None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    """Build (or bring up to date) the demo brand; returns counts, imports, people and signals."""
    started = time.monotonic()
    end_date = end_date or default_end_date()
    out_dir = out_dir or Path(settings.VAR_DIR) / "demo" / f"seed-{seed}"

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(f"[{time.monotonic() - started:5.1f}s] {message}\n")

    say(f"Generating Hearth & Pine (seed {seed}, history to {end_date})")
    dataset = demo_dataset(seed, end_date)
    paths = write_all(dataset, out_dir)
    say(f"Wrote the exports under {out_dir}")
    profile_set()
    imports: dict[str, Any] = {}
    for key, kind, channel in (
        ("products", "shopify-products", None),
        ("orders", "shopify-orders", None),
        ("meta", "meta-ads", "meta"),
        ("google", "meta-ads", "google"),
        ("tiktok", "meta-ads", "tiktok"),
    ):
        say(f"Importing {paths[key].name}")
        result = _import(kind, paths[key], channel)
        imports[key] = {name: result[name] for name in ("rows", "created", "updated", "unchanged", "deleted")}
    say("Setting campaigns, budgets, targets, segments, e-mails, calendar, discounts, suppliers and the PO")
    with transaction.atomic():
        records_set(dataset)
        people = people_set()
    say(f"People: {len(people.created)} created, {len(people.existing)} already there (they keep their password)")
    counts = {
        "variants": bm.Variant.objects.count(),
        "customers": bm.Customer.objects.count(),
        "orders": bm.Order.objects.count(),
        "order_lines": bm.OrderLine.objects.count(),
        "campaigns": bm.AdCampaign.objects.count(),
        "channels": bm.AdCampaign.objects.values("channel").distinct().count(),
        "ad_metric_days": bm.AdMetric.objects.values("date").distinct().count(),
        "email_campaigns": bm.EmailCampaign.objects.count(),
        "calendar_items": bm.CalendarItem.objects.count(),
        "segments": bm.Segment.objects.count(),
        "suppliers": bm.Supplier.objects.count(),
    }
    signals = measure_signals(end_date)
    say(f"Done: {counts['orders']} orders, {counts['customers']} customers, {len(signals)} planted signals")
    return {
        "seed": seed,
        "end_date": end_date.isoformat(),
        "exports": {key: str(path) for key, path in paths.items()},
        "imports": imports,
        "counts": counts,
        "people": {
            "created": people.created,
            "existing": people.existing,
            "generated_password": people.generated_password,
        },
        "signals": signals,
        "seconds": round(time.monotonic() - started, 1),
    }
