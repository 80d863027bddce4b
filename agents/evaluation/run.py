"""Run scenarios: a fresh database state each, the shop loaded through the importers, the full cycle."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction

from agents.models import AgentRun
from agents.runtime.services import cycle_start
from approvals.models import ProposedAction
from brand.clock import brand_today, brand_tz
from brand.demo import build_demo
from brand.metrics.product import slow_movers
from brand.scenarios import Scenario, generate, load_shop

from .score import TARGETS, ScenarioResult, score, skus_named

# Everything a morning reads or writes; the org chart, the people and the sessions stay.
RESET_APPS = ("brand", "memory", "approvals", "agents", "django_q")


def reset_state() -> None:
    """Empty the brand's data, memory, proposals and agent history: the next shop starts from nothing."""
    labels = [label for label in RESET_APPS if any(c.label == label for c in apps.get_app_configs())]
    tables = [
        model._meta.db_table
        for label in labels
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=False, allow_cascade=True)
    with transaction.atomic():
        connection.ops.execute_sql_flush(statements)


def _shape(scenario: Scenario) -> str:
    if scenario.demo:
        return "demo"
    extras = [
        label
        for label, present in (
            ("exports only", scenario.export_only),
            ("channel budgets", scenario.channel_budgets),
            ("e-mail history", scenario.email_history),
        )
        if present
    ]
    return ", ".join([f"{scenario.skus} SKUs", f"{len(scenario.channels)} channel(s)", *extras])


def evaluate_scenario(scenario: Scenario, *, workdir: Path | None = None) -> ScenarioResult:
    """One scenario from a fresh state to a scored morning."""
    started = time.monotonic()
    reset_state()
    result = ScenarioResult(
        name=scenario.name,
        seed=scenario.seed,
        shape=_shape(scenario),
        healthy=scenario.healthy,
        export_only=scenario.export_only,
    )
    end_date = brand_today() - dt.timedelta(days=1)
    with tempfile.TemporaryDirectory(dir=workdir) as directory:
        if scenario.demo:
            build_demo(seed=scenario.seed, end_date=end_date, out_dir=Path(directory))
            shop = None
        else:
            shop = generate(scenario, end_date, brand_tz())
            load_shop(shop, Path(directory))
        cycle_start(trigger="manual", sync=True)
    result.warnings = sum(len(w or []) for w in AgentRun.objects.values_list("warnings", flat=True))
    if shop is not None:
        score(result, shop)
    else:
        score_demo(result)
    result.seconds = round(time.monotonic() - started, 1)
    return result


def score_demo(result: ScenarioResult) -> None:
    """The demo's sixteen signals are checked by its own tests; here only what no shop may see: harm."""
    result.risk_right = True
    result.risk_expected = "(checked by the demo's tests)"
    result.proposals = ProposedAction.objects.count()
    every_sku = {"window_days": 28, "min_stock": 0, "min_days_of_cover": 0}
    best = {m.sku for m in slow_movers(brand_today(), every_sku) if m.best_seller}
    for p in ProposedAction.objects.filter(action_type="pricing.set_markdown"):
        for sku in skus_named(p) & best:
            result.harmful.append(f"#{p.pk} markdown of best-seller {sku}")


@dataclass
class EvalReport:
    results: list[ScenarioResult] = field(default_factory=list)

    @property
    def recall(self) -> float:
        planted = sum(r.planted for r in self.results)
        return sum(r.found for r in self.results) / planted if planted else 1.0

    @property
    def false_alarms_per_healthy_shop(self) -> float:
        healthy = [r for r in self.results if r.healthy]
        return sum(len(r.false_alarms) for r in healthy) / len(healthy) if healthy else 0.0

    @property
    def harmful(self) -> int:
        return sum(len(r.harmful) for r in self.results)

    @property
    def risk_of_the_day(self) -> float:
        return sum(r.risk_right for r in self.results) / len(self.results) if self.results else 1.0

    def summary(self) -> dict[str, Any]:
        measured = {
            "recall": round(self.recall, 3),
            "false_alarms_per_healthy_shop": round(self.false_alarms_per_healthy_shop, 2),
            "harmful": self.harmful,
            "risk_of_the_day": round(self.risk_of_the_day, 3),
        }
        passed = (
            measured["recall"] >= TARGETS["recall"]
            and measured["false_alarms_per_healthy_shop"] <= TARGETS["false_alarms_per_healthy_shop"]
            and measured["harmful"] <= TARGETS["harmful"]
            and measured["risk_of_the_day"] >= TARGETS["risk_of_the_day"]
        )
        return {
            "scenarios": len(self.results),
            "seeds": len({r.seed for r in self.results}),
            **measured,
            "targets": TARGETS,
            "passed": passed,
        }


def evaluate(scenarios: Iterable[Scenario], *, progress: Callable[[ScenarioResult], None] | None = None) -> EvalReport:
    report = EvalReport()
    for scenario in scenarios:
        result = evaluate_scenario(scenario)
        report.results.append(result)
        if progress is not None:
            progress(result)
    reset_state()
    return report
