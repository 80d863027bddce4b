"""The demo brand, seeds 1 to 5: growth, retention, creative and operations find exactly what was planted.

Each seed is built once (about a minute each: the exports go through the importers), on end dates
mid-month and on month boundaries; the analyses run with their default thresholds, then the eight
specialists run for the brand day after the history (inventory before paid media, so that paid
media reads the stock-out from memory) and each makes at most three proposals.
"""

from __future__ import annotations

import datetime as dt

import pytest

from agents.specialists.creative import Copywriter, CreativeFatigue
from agents.specialists.growth import PaidMedia, Promotions
from agents.specialists.operations import Calendar, Inventory
from agents.specialists.retention import ChurnWatch, Lifecycle
from approvals.models import ProposedAction
from brand import models as bm
from brand.demo import build_demo
from brand.metrics.creative import fatigue_analysis
from brand.metrics.growth import paid_media_analysis, promotions_analysis
from brand.metrics.operations import calendar_analysis, inventory_analysis
from brand.metrics.retention import churn_analysis, lifecycle_analysis
from tests.agents.specialists.gro_brand import run_agent

pytestmark = pytest.mark.django_db

CASES = [
    (1, dt.date(2026, 3, 18)),
    (2, dt.date(2026, 3, 31)),
    (3, dt.date(2026, 3, 1)),
    (4, dt.date(2026, 2, 28)),
    (5, dt.date(2026, 1, 2)),
]

RUN_ORDER = [Inventory, PaidMedia, Promotions, ChurnWatch, Lifecycle, CreativeFatigue, Copywriter, Calendar]


@pytest.mark.parametrize(("seed", "end_date"), CASES)
def test_demo_signals_found(seed, end_date, tmp_path):
    build_demo(seed=seed, end_date=end_date, out_dir=tmp_path)
    today = end_date + dt.timedelta(days=1)

    paid = paid_media_analysis(today, PaidMedia.defaults)
    assert [c.name for c in paid.weak] == ["Spring Glow - Prospecting"]
    assert paid.winners[0].name == "Evergreen - Retargeting"
    assert {c.name for c in paid.winners} <= {"Evergreen - Retargeting", "Hearth Pot - Always On"}

    assert [c.sku for c in promotions_analysis(today, Promotions.defaults).candidates] == ["HP-310"]

    churn = churn_analysis(today, ChurnWatch.defaults)
    assert 30 <= len(churn.lapsing) <= 40

    lifecycle = lifecycle_analysis(today, Lifecycle.defaults)
    assert lifecycle.drop_ratio is not None and lifecycle.drop_ratio < Lifecycle.defaults["drop_ratio"]

    assert [c.name for c in fatigue_analysis(today, CreativeFatigue.defaults).fatigued] == ["Cozy Nights - Video"]

    inventory = inventory_analysis(today, Inventory.defaults)
    assert [s.sku for s in inventory.at_risk] == ["HP-104"]
    assert 5 <= inventory.at_risk[0].days_of_cover <= 7 and inventory.at_risk[0].lead_time_days == 21

    calendar = calendar_analysis(today, Calendar.defaults)
    assert [(c.earlier.title, c.later.title) for c in calendar.clashes] == [("VIP Early Access", "VIP Restock Alert")]
    assert calendar.early_launches == []

    proposals: dict[str, list[ProposedAction]] = {}
    for agent in RUN_ORDER:
        _run, proposals[agent.key] = run_agent(agent.key, today)
        assert len(proposals[agent.key]) <= 3, (agent.key, [p.rationale for p in proposals[agent.key]])

    hearth = bm.AdCampaign.objects.get(name="Hearth Pot - Always On")
    spring = bm.AdCampaign.objects.get(name="Spring Glow - Prospecting")
    evergreen = bm.AdCampaign.objects.get(name="Evergreen - Retargeting")
    moves = {p.args["campaign_id"]: p for p in proposals[PaidMedia.key]}
    assert set(moves) == {spring.pk, evergreen.pk}  # never Hearth Pot: HP-104 runs out first
    assert "ROAS 7d" in moves[spring.pk].rationale
    assert {p.action_type for p in proposals[Inventory.key]} == {"po.create", "ads.pause_campaign"}
    assert any(p.args == {"campaign_id": hearth.pk} for p in proposals[Inventory.key])
    assert [p.action_type for p in proposals[Promotions.key]] == ["pricing.create_discount", "email.send_campaign"]
    assert [p.action_type for p in proposals[ChurnWatch.key]] == ["segment.build", "email.send_campaign"]
    assert [p.action_type for p in proposals[Lifecycle.key]] == ["email.send_campaign"]
    assert [p.action_type for p in proposals[CreativeFatigue.key]] == ["brief.draft"]
    assert [p.action_type for p in proposals[Calendar.key]] == ["calendar.reschedule"]
    assert proposals[Copywriter.key] == []
