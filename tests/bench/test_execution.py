"""The execution benchmark part runs end to end at a tiny scale, through real qclusters (not timed:
it proves the part measures what it says, the figures are the benchmark's business)."""

from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from approvals.models import ProposedAction, Status
from bench.harness import SCALES, BenchContext, Figure
from bench.parts import execution
from bench.servers import database_url_for
from brand.models import AdCampaign

pytestmark = pytest.mark.serial

TINY = dataclasses.replace(SCALES["smoke"], name="tiny", executions=6, warmup=1, repeats=1)


def _run(redis_url: str | None) -> list[Figure]:
    lines: list[str] = []
    ctx = BenchContext(
        scale=TINY,
        database_url=database_url_for(connection.settings_dict),
        redis_url=redis_url,
        workdir=Path(tempfile.mkdtemp(prefix="atlas-bench-execution-")),
        log=lines.append,
    )
    figures = execution.run(ctx, frozenset(execution.KEYS))
    assert any("qcluster" in line for line in lines)
    return figures


def _check(figures: list[Figure], broker: str) -> None:
    mine = [f for f in figures if f.detail["broker"] == broker]
    assert sorted(f.key for f in mine) == ["approve_to_effect_ms", "approve_to_effect_ms", "executions_per_s"]
    for figure in mine:
        assert len(figure.samples) == TINY.repeats
        assert all(math.isfinite(s) and s > 0 for s in figure.samples), figure
        assert f"{broker} broker" in figure.label
    p50, p95 = sorted((f for f in mine if f.key == "approve_to_effect_ms"), key=lambda f: f.label)
    assert p50.label.startswith("p50") and p95.label.startswith("p95")
    assert p50.median <= p95.median
    assert p50.goal is not None and p50.goal.target == 150
    rate = next(f for f in mine if f.key == "executions_per_s")
    assert rate.goal is not None and rate.goal.target == 50


def _all_executed() -> None:
    # What was timed is what happened: every proposal the part approved was executed by a cluster,
    # and every campaign shows its new budget.
    statuses = set(ProposedAction.objects.values_list("status", flat=True))
    assert statuses == {Status.EXECUTED}
    assert set(AdCampaign.objects.values_list("daily_budget", flat=True)) == {execution.BUDGET_AFTER}


@pytest.mark.django_db(transaction=True)
def test_the_execution_part_measures_both_keys_through_a_qcluster_on_the_orm_broker():
    figures = _run(None)
    _check(figures, "orm")
    assert {f.detail["broker"] for f in figures} == {"orm"}
    # (warm-up + repeats) runs of per-run approvals for the latency, as many batches for the rate.
    runs = TINY.warmup + TINY.repeats
    assert ProposedAction.objects.count() == runs * max(5, TINY.executions // runs) + runs * TINY.executions
    _all_executed()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_the_execution_part_measures_each_broker():
    figures = _run(settings.REDIS_URL)
    _check(figures, "orm")
    _check(figures, "redis")
    _all_executed()
