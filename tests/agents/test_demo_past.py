"""The demo carries a past (issue 14, §7), seeds 1 to 3: `make demo` is atlas_demo, atlas_demo_past, then
the morning cycle.

Each seed is built once (the exports go through the importers, then the past through the services,
then a whole cycle): the past's proposals were made by their specialists' runs, decided by the demo's
people and executed on their own days; every executed gated action has an outcome with numbers, found
by the real checks over the data; each agent's record shows in the console and in atlas_outcomes; the
briefing cites the outcomes; and the proposal the sales director rejected yesterday is not proposed
again today.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from agents.demo_past import demo_past_plant
from agents.models import Agent, AgentRun, Briefing, RunTrigger
from agents.outcomes.checks import NO_CLEAR_EFFECT, WORKED
from agents.outcomes.selectors import executed_gated, track_record
from agents.runtime.services import cycle_start
from approvals.models import Decision, Execution, ProposedAction, Status, Verdict
from brand.clock import brand_today, brand_tz
from brand.demo import build_demo, past
from brand.models import AdCampaign, Variant
from memory.models import Kind, MemoryEntry
from memory.selectors import outcome_key

# The executor runs when an approval commits: the past needs real transactions.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(params=[1, 2, 3])
def demo_with_past(request, tmp_path, divisions_present):
    build_demo(seed=request.param, out_dir=tmp_path)
    planted = demo_past_plant()
    cycle = cycle_start(trigger=RunTrigger.MANUAL, sync=True)
    return planted, cycle


def _executed_on(proposal: ProposedAction) -> dt.date:
    execution = Execution.objects.get(proposal=proposal, ok=True)
    return execution.finished_at.astimezone(brand_tz()).date()


def test_the_demo_opens_on_its_past(demo_with_past, client):
    planted, cycle = demo_with_past
    today = brand_today()
    by_type = {p.action_type: p for p in planted.proposals}

    # Made by the specialists' runs, decided by the demo's people, executed on their own days.
    for action_type, agent, days_ago in (
        ("ads.set_daily_budget", "growth.paid_media", past.BUDGET_CUT_DAYS_AGO),
        ("pricing.set_markdown", "product.assortment", past.MARKDOWN_DAYS_AGO),
        ("email.send_campaign", "retention.lifecycle", past.WINBACK_DAYS_AGO),
    ):
        proposal = by_type[action_type]
        proposal.refresh_from_db()
        assert proposal.status == Status.EXECUTED and proposal.agent_key == agent
        assert proposal.agent_run is not None and proposal.agent_run.agent.key == agent
        assert _executed_on(proposal) == today - dt.timedelta(days=days_ago)
        assert proposal.created_at.astimezone(brand_tz()).date() == today - dt.timedelta(days=days_ago)
        deciders = set(
            Decision.objects.filter(proposal=proposal, verdict=Verdict.APPROVE).values_list("user__username", flat=True)
        )
        division = agent.split(".")[0]
        assert deciders and deciders <= {f"{division}_approver", f"{division}_director"}
        # The audit trail names who moved it: the agent's run proposed, a person approved.
        reasons = list(proposal.history.order_by("history_date").values_list("history_change_reason", flat=True))
        assert reasons[0] == "proposed" and len(reasons) >= 3
    assert AdCampaign.objects.get(name=past.BUDGET_CUT_CAMPAIGN).daily_budget == past.BUDGET_AFTER
    variant = Variant.objects.get(sku=past.MARKDOWN_SKU)
    assert variant.compare_at_price is not None and variant.price < variant.compare_at_price

    # Every executed gated action of the past has an outcome with numbers, by the real checks.
    executed = list(executed_gated())
    assert {p.pk for p in executed} >= {by_type[t].pk for t in by_type if t != "pricing.retire_discount"}
    for proposal in executed:
        entry = MemoryEntry.objects.get(key=outcome_key(proposal.pk), is_current=True)
        assert entry.kind == Kind.OUTCOME and entry.data["check"] == "outcome" and entry.data["final"]
        assert entry.data["numbers"], entry.text
    verdicts = {
        t: MemoryEntry.objects.get(key=outcome_key(p.pk), is_current=True).data for t, p in by_type.items()
        if t != "pricing.retire_discount"
    }  # fmt: skip
    budget = verdicts["ads.set_daily_budget"]
    assert budget["verdict"] == WORKED and budget["numbers"]["roas_after"] > budget["numbers"]["roas_before"]
    markdown = verdicts["pricing.set_markdown"]
    assert markdown["verdict"] == NO_CLEAR_EFFECT
    email = verdicts["email.send_campaign"]
    assert email["verdict"] == WORKED and email["numbers"]["orders_with_code"] == past.WINBACK_RETURNING
    assert email["numbers"]["codes"] == [past.WINBACK_CODE]

    out = io.StringIO()
    call_command("atlas_memory", "outcomes", stdout=out)
    for proposal in executed:
        assert outcome_key(proposal.pk) in out.getvalue()

    # Each agent's track record: atlas_outcomes, and the agent's page in the console.
    records = {(r.agent_key, r.action_type): r for r in track_record()}
    assert records["growth.paid_media", "ads.set_daily_budget"].outcomes[WORKED] == 1
    assert records["product.assortment", "pricing.set_markdown"].outcomes[NO_CLEAR_EFFECT] == 1
    assert records["sales.discounts", "pricing.retire_discount"].rejected == 1
    out = io.StringIO()
    call_command("atlas_outcomes", "--track-record", "--agent", "retention.lifecycle", "--json", stdout=out)
    [row] = [r for r in json.loads(out.getvalue()) if r["action_type"] == "email.send_campaign"]
    assert row["executed"] == 1 and row["outcomes"][WORKED] == 1
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="owner"))
    agent = Agent.objects.get(key="growth.paid_media")
    html = client.get(reverse("admin:agents_agent_change", args=[agent.pk])).content.decode()
    assert 'class="track-record"' in html and "<td>ads.set_daily_budget</td>" in html
    # Beside today's budget proposals of the same agent: its record on budget changes.
    today_cut = ProposedAction.objects.filter(
        agent_key="growth.paid_media", action_type="ads.set_daily_budget", status=Status.PENDING
    ).first()
    assert today_cut is not None
    page = client.get(reverse("admin:approvals_proposedaction_change", args=[today_cut.pk])).content.decode()
    assert "last 1 budget changes: 1 worked" in page

    # The briefing cites them.
    narrative = Briefing.objects.get(brand_date=today).narrative
    assert "What came of earlier work" in narrative
    for proposal in by_type.values():
        if proposal.action_type != "pricing.retire_discount":
            assert f"#{proposal.pk} " in narrative

    # Rejected yesterday, not proposed again today: the discounts specialist says why.
    [rejected] = [p for p in planted.proposals if p.action_type == "pricing.retire_discount"]
    assert rejected.status == Status.REJECTED
    assert not ProposedAction.objects.filter(action_type="pricing.retire_discount").exclude(pk=rejected.pk).exists()
    run = AgentRun.objects.get(cycle=cycle, agent__key="sales.discounts")
    assert any(f"#{rejected.pk} was rejected" in w for w in run.warnings), run.warnings

    # Replaying again plants nothing twice.
    again = demo_past_plant()
    assert not again.planted and ProposedAction.objects.filter(status=Status.EXECUTED).count() >= 3
    assert Execution.objects.filter(proposal__in=[p.pk for p in planted.proposals]).count() == 3


def test_the_past_follows_a_history_that_ends_on_another_day(tmp_path, divisions_present):
    """atlas_demo --end-date 2026-03-18: the past counts back from 2026-03-19, where the history carries it."""
    build_demo(seed=4, end_date=dt.date(2026, 3, 18), out_dir=tmp_path)
    planted = demo_past_plant()

    assert planted.today == dt.date(2026, 3, 19)
    budget_cut = next(p for p in planted.proposals if p.action_type == "ads.set_daily_budget")
    assert _executed_on(budget_cut) == dt.date(2026, 3, 19) - dt.timedelta(days=past.BUDGET_CUT_DAYS_AGO)
    verdicts = {w["key"]: w["verdict"] for w in planted.outcomes["written"]}
    assert verdicts[outcome_key(budget_cut.pk)] == WORKED and len(verdicts) == 3
