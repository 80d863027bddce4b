"""The orchestrator's run: holds, then the briefing with exactly one win, one risk, one opportunity."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from agents.models import Briefing, BriefingItem
from agents.orchestrator.selectors import briefing_json
from agents.runtime.services import agent_run_start
from tests.agents.orchestrator.scenario import build_day

pytestmark = pytest.mark.django_db


def run_orchestrator():
    run = agent_run_start(agent_key="orchestrator", trigger="manual", sync=True)
    assert run.status == "succeeded", run.error + run.traceback
    return run


def test_the_briefing_names_the_stock_out_as_the_risk_with_its_fix_attached():
    day = build_day()
    run_orchestrator()
    briefing = Briefing.objects.get(brand_date=day.today)
    data = briefing_json(briefing)
    assert data["risk"]["title"] == "HP-104 runs out before its next delivery"
    assert set(data["risk"]["proposals"]) >= {day.po.pk, day.pause.pk, day.raise_hearth.pk}
    assert data["risk"]["numbers"]["days_of_cover"] == 6
    assert data["risk"]["numbers"]["lead_time_days"] == 21
    # 10 units a day at $50, out for 15 days.
    assert data["risk"]["numbers"]["revenue_at_risk"] == "7500.00"
    day.raise_hearth.refresh_from_db()
    assert day.raise_hearth.is_held


def test_the_win_and_the_opportunity_are_real_and_carry_numbers():
    day = build_day()
    run_orchestrator()
    data = briefing_json(Briefing.objects.get(brand_date=day.today))
    # Hearth Pot also earns 4.5x, but scaling it would sell out HP-104: Evergreen is the win.
    assert data["win"]["title"] == "Evergreen - Retargeting is earning 6.0x"
    assert data["win"]["numbers"]["roas_28d"] == 6.0
    assert data["win"]["proposals"] == [day.raise_evergreen.pk]
    assert data["opportunity"]["proposals"] == [day.winback.pk]
    assert data["opportunity"]["ranking"]["money_at_stake"] == "4800.00"
    assert "memory" in data["opportunity"]["ranking"]["money_basis"]
    ranked = [item["proposals"][0] for item in data["ranked"]]
    assert day.report.pk in ranked
    assert not {day.po.pk, day.pause.pk, day.raise_evergreen.pk, day.winback.pk} & set(ranked)
    for item in data["ranked"]:
        assert {"money_at_stake", "confidence", "urgency", "score"} <= set(item["ranking"])


def test_the_narrative_is_plain_offline_and_names_the_numbers():
    day = build_day()
    run_orchestrator()
    briefing = Briefing.objects.get(brand_date=day.today)
    assert briefing.drafted_by == "offline"
    assert briefing.persona == "Alexia"
    assert "HP-104" in briefing.narrative and "Evergreen" in briefing.narrative
    assert "$7,500" in briefing.narrative
    assert "held 1 proposal" in briefing.narrative


def test_a_rerun_updates_the_one_briefing_of_the_day():
    day = build_day()
    run_orchestrator()
    run_orchestrator()
    assert Briefing.objects.filter(brand_date=day.today).count() == 1
    briefing = Briefing.objects.get(brand_date=day.today)
    for kind in ("win", "risk", "opportunity"):
        assert BriefingItem.objects.filter(briefing=briefing, kind=kind).count() == 1


def test_the_persona_name_comes_from_the_brand():
    from brand.selectors import brand_profile

    profile = brand_profile()
    profile.orchestrator_name = "Morgan"
    profile.save()
    day = build_day()
    run_orchestrator()
    assert Briefing.objects.get(brand_date=day.today).narrative.startswith("Good morning, Morgan here")


def test_an_empty_day_still_has_one_of_each_headline():
    run_orchestrator()
    data = briefing_json(Briefing.objects.get())
    assert data["risk"]["title"].startswith("No risk") and data["risk"]["proposals"] == []


def test_atlas_brief_prints_text_and_json(capsys):
    day = build_day()
    run_orchestrator()
    call_command("atlas_brief", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["date"] == day.today.isoformat()
    assert data["risk"]["proposals"]
    call_command("atlas_brief", "--date", day.today.isoformat())
    out = capsys.readouterr().out
    assert "Risk: HP-104 runs out before its next delivery" in out
    assert "offline draft" in out


def test_atlas_brief_without_a_briefing_is_a_clear_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No briefing for 2020-01-01"):
        call_command("atlas_brief", "--date", "2020-01-01")
