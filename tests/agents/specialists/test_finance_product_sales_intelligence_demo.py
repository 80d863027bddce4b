"""On the demo brand, seeds 1 to 5: the finance, product, sales and intelligence specialists find
exactly their planted signals (docs/demo-signals.md, #9 to #16), with at most 3 proposals each."""

from __future__ import annotations

import datetime as dt

import pytest

from agents.models import RunStatus
from approvals.models import ProposedAction
from brand.demo import build_demo
from memory.models import MemoryEntry
from memory.services import current
from tests.agents.specialists.fin_brand import run_specialist

END_DATE = dt.date(2025, 3, 19)
TODAY = END_DATE + dt.timedelta(days=1)
SPECIALISTS = (
    "finance.budget_guard",
    "finance.po_desk",
    "product.assortment",
    "product.returns",
    "sales.forecast",
    "sales.discounts",
    "intelligence.trends",
    "intelligence.anomalies",
)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_every_planted_signal_is_found_and_nothing_else(db, tmp_path, seed):
    build_demo(seed=seed, end_date=END_DATE, out_dir=tmp_path)
    for key in SPECIALISTS:
        run = run_specialist(key, TODAY)
        assert run.status == RunStatus.SUCCEEDED, (key, run.error)
        assert ProposedAction.objects.filter(agent_run=run).count() <= 3, key

    def proposals(key: str) -> list[ProposedAction]:
        return list(ProposedAction.objects.filter(agent_key=key))

    # 9: TikTok pacing at 130%, only TikTok campaigns capped.
    assert 1.25 <= current("channel:tiktok:pacing").data["value"] <= 1.35
    caps = proposals("finance.budget_guard")
    assert caps and all("TikTok is pacing at 13" in p.rationale for p in caps)
    # 10: PO-DEMO-0001 waiting.
    assert [p.args for p in proposals("finance.po_desk")] == [{"po": "PO-DEMO-0001"}]
    assert "net 30" in proposals("finance.po_desk")[0].rationale
    # 11: LA-220 the slow mover.
    assert [p.args["sku"] for p in proposals("product.assortment")] == ["LA-220"]
    # 12: GK-150 returned about 3x as often.
    (report,) = proposals("product.returns")
    assert [p["sku"] for p in report.args["data"]["products"]] == ["GK-150"]
    # 13: the month misses its target by 15-25%.
    (forecast,) = proposals("sales.forecast")
    assert -0.26 <= forecast.args["data"]["gap_ratio"] <= -0.14
    # 14: WELCOME40 loses money.
    assert [p.args for p in proposals("sales.discounts")] == [{"code": "WELCOME40"}]
    # 15 and 16: insights, no proposals.
    insights = set(
        MemoryEntry.objects.filter(kind="insight", is_current=True, division__slug="intelligence").values_list(
            "key", flat=True
        )
    )
    assert {k for k in insights if k.startswith("product:")} == {"product:cold-brew-maker:trend_wow"}
    assert {k for k in insights if k.startswith("brand:anomaly:")} == {
        f"brand:anomaly:{END_DATE - dt.timedelta(days=2)}:spend"
    }
    assert not proposals("intelligence.trends") and not proposals("intelligence.anomalies")
