"""Today, the console's front page: the briefing's cards with their work decidable in place, what waits
for this person, held work, the team's health; the stock model index one click away."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from agents.models import Agent, AgentKind, AgentRun, RunStatus
from approvals.models import Decision, Status
from approvals.services import proposal_hold
from memory.services import remember
from tests.factories import division
from tests.memory.factories import run_of

from .console_brand import build_morning

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_today_is_the_admin_index_with_three_cards_and_numbers_in_words(growth_approver):
    morning = build_morning()
    response = _client(growth_approver).get(reverse("admin:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Evergreen is a winner held back" in body
    for title in ("earning 5.2x", "fell to 0.8x", "Cold Brew Maker"):
        assert title in body
    assert "$17,472" in body and "5.2x" in body and "150%" in body  # money, ROAS, growth in words
    assert "17472.00" not in body
    assert f'action="{reverse("admin:approvals_proposedaction_decide", args=[morning.win.pk])}"' in body
    assert "All records" in body


def test_waiting_for_you_is_scoped_and_by_expiry(growth_approver):
    morning = build_morning()
    today = _client(growth_approver).get(reverse("admin:index")).context["today"]
    assert [p.pk for p in today.waiting] == [morning.win.pk, morning.risk.pk]  # same expiry: higher priority first
    assert today.waiting_total == 2 and morning.finance.pk not in [p.pk for p in today.waiting]
    assert today.waiting[0].money_words == "$210"


def test_deciding_the_wins_work_in_place_comes_back_to_today(growth_approver, committed):
    morning = build_morning()
    client = _client(growth_approver)
    response = committed(
        client.post,
        reverse("admin:approvals_proposedaction_decide", args=[morning.win.pk]),
        {"verdict": "approve", "next": reverse("admin:index")},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert f"Approved #{morning.win.pk}" in response.content.decode()
    morning.win.refresh_from_db()
    assert morning.win.status == Status.EXECUTED
    assert Decision.objects.get(proposal=morning.win).user == growth_approver
    assert [p.pk for p in response.context["today"].waiting] == [morning.risk.pk]


def test_held_work_shows_its_reason_and_is_not_approvable_in_place(growth_approver):
    morning = build_morning()
    proposal_hold(proposal=morning.risk, reason="Operations says the SKU runs out in 5 days")
    body = _client(growth_approver).get(reverse("admin:index")).content.decode()
    assert "Held, and why" in body and "runs out in 5 days" in body
    today = _client(growth_approver).get(reverse("admin:index")).context["today"]
    assert morning.risk.pk not in [p.pk for p in today.waiting]


def test_failed_runs_and_llm_spend_against_budget(growth_approver, settings):
    settings.ATLAS_DAILY_COST_BUDGET = Decimal("20")
    build_morning()
    agent = Agent.objects.create(key="growth.console_test", kind=AgentKind.SPECIALIST, name="Test")
    AgentRun.objects.create(
        agent=agent, status=RunStatus.FAILED, error="the ads API answered 500", cost=Decimal("1.25")
    )
    body = _client(growth_approver).get(reverse("admin:index")).content.decode()
    assert "1 failed" in body and "the ads API answered 500" in body
    assert "$1.25" in body and "$20.00" in body


def test_another_divisions_runs_and_briefing_items_stay_out(growth_approver, finance_director):
    build_morning()
    agent = Agent.objects.create(
        key="finance.console_test", kind=AgentKind.SPECIALIST, name="Test", division=division("finance")
    )
    AgentRun.objects.create(agent=agent, status=RunStatus.FAILED, error="finance secret")
    assert "finance secret" not in _client(growth_approver).get(reverse("admin:index")).content.decode()
    body = _client(finance_director).get(reverse("admin:index")).content.decode()
    assert "finance secret" in body and "earning 5.2x" not in body and "Cold Brew Maker" in body


def test_all_records_is_the_stock_index_and_view_site_leads_to_today(owner):
    client = _client(owner)
    records = client.get(reverse("atlas_records"))
    assert records.status_code == 200 and "app_list" in records.context
    today = client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("admin:index")}">View site' in today


def test_open_memory_conflicts_of_the_persons_divisions(growth_approver):
    build_morning()
    remember(key="channel:tiktok:pacing", text="TikTok on track", division="growth", author_run=run_of("growth.a"))
    remember(key="channel:tiktok:pacing", text="TikTok overspending", division="growth", author_run=run_of("growth.b"))
    body = _client(growth_approver).get(reverse("admin:index")).content.decode()
    assert "Open memory conflicts (1)" in body and "channel:tiktok:pacing" in body
