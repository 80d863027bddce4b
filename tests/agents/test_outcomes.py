"""Outcome checks: executed actions judged at their horizon against a baseline, written to memory.

The data is planted around today's execution: the days before it, and the days after it (dated
in the future, which is where the check's `today` is moved to).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pytest

from agents.outcomes import tasks
from agents.outcomes.checks import BACKFIRED, NO_CLEAR_EFFECT, TOO_EARLY, WORKED
from agents.outcomes.services import outcomes_run_due
from approvals.models import ProposedAction, Status
from approvals.services import proposal_approve, proposal_create
from brand.clock import brand_today
from brand.importers import ImportRefused, import_file
from brand.models import AdCampaign
from memory.models import Kind, MemoryEntry
from memory.selectors import current, outcome_key
from memory.services import memory_add_by_person
from tests.approvals.factories import budget_proposal
from tests.factories import AdCampaignFactory, AdMetricFactory, OrderLineFactory, ProductFactory, VariantFactory

SEEDS = [1, 7, 23]
HORIZON = 7


@pytest.fixture(autouse=True)
def _execute_inline(settings):
    settings.ATLAS_EXECUTE_SYNC = True
    settings.ATLAS_FOUR_EYES_AMOUNT = Decimal("100000")
    settings.ATLAS_WEBHOOK_URL = ""


def executed(proposal: ProposedAction, approver, django_capture_on_commit_callbacks) -> ProposedAction:
    with django_capture_on_commit_callbacks(execute=True):
        proposal_approve(proposal=proposal, user=approver)
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED, proposal.status_reason
    return proposal


def plant_ads(campaign, rng: random.Random, *, days: range, spend: float, roas: float) -> None:
    today = brand_today()
    for offset in days:
        day_spend = spend * rng.uniform(0.95, 1.05)
        AdMetricFactory(
            campaign=campaign,
            date=today + dt.timedelta(days=offset),
            spend=Decimal(f"{day_spend:.2f}"),
            revenue=Decimal(f"{day_spend * roas * rng.uniform(0.97, 1.03):.2f}"),
        )


BEFORE = range(-HORIZON, 0)
AFTER = range(1, HORIZON + 1)
JUDGE_ON = HORIZON + 1  # the first day the whole after-window is in


def budget_case(seed, growth_approver, capture, *, roas_after: float, peer_roas_after: float = 2.0):
    rng = random.Random(seed)
    campaign = AdCampaignFactory(daily_budget=Decimal("120.00"))
    peers = [AdCampaignFactory(daily_budget=Decimal("100.00")) for _ in range(2)]
    plant_ads(campaign, rng, days=BEFORE, spend=120, roas=0.8)
    for peer in peers:
        plant_ads(peer, rng, days=BEFORE, spend=100, roas=2.0)
        plant_ads(peer, rng, days=AFTER, spend=100, roas=peer_roas_after)
    proposal = executed(budget_proposal(campaign, "60.00"), growth_approver, capture)
    plant_ads(campaign, rng, days=AFTER, spend=60, roas=roas_after)
    return proposal


def judge(days: int = JUDGE_ON):
    return outcomes_run_due(today=brand_today() + dt.timedelta(days=days))


@pytest.mark.parametrize("seed", SEEDS)
def test_a_budget_cut_after_which_roas_recovered_worked(seed, growth_approver, django_capture_on_commit_callbacks):
    proposal = budget_case(seed, growth_approver, django_capture_on_commit_callbacks, roas_after=1.6)

    run = judge()

    [entry] = run.written
    assert entry.key == outcome_key(proposal.pk) and entry.kind == Kind.OUTCOME
    assert entry.data["verdict"] == WORKED and entry.data["final"] is True
    numbers = entry.data["numbers"]
    assert numbers["roas_before"] == pytest.approx(0.8, abs=0.05)
    assert numbers["roas_after"] == pytest.approx(1.6, abs=0.1)
    assert numbers["spend_after"] and Decimal(numbers["spend_after"]) < Decimal(numbers["spend_before"])
    assert numbers["baseline_roas_ratio"] == pytest.approx(1.0, abs=0.08)
    assert "comparable campaign" in entry.data["baseline"]
    assert 0.5 <= entry.confidence <= 0.95
    assert "worked" in entry.text and f"#{proposal.pk}" in entry.text
    # Judged once: the next run has nothing due.
    assert judge(JUDGE_ON + 1).checked == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_the_trend_is_not_credited_to_the_cut(seed, growth_approver, django_capture_on_commit_callbacks):
    # Every comparable campaign's ROAS doubled too: the market moved, not the cut.
    budget_case(seed, growth_approver, django_capture_on_commit_callbacks, roas_after=1.6, peer_roas_after=4.0)
    [entry] = judge().written
    assert entry.data["verdict"] == NO_CLEAR_EFFECT
    assert entry.data["numbers"]["baseline_roas_ratio"] == pytest.approx(2.0, abs=0.15)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_cut_after_which_roas_fell_further_backfired(seed, growth_approver, django_capture_on_commit_callbacks):
    budget_case(seed, growth_approver, django_capture_on_commit_callbacks, roas_after=0.5)
    [entry] = judge().written
    assert entry.data["verdict"] == BACKFIRED


@pytest.mark.parametrize("seed", SEEDS)
def test_too_little_data_is_too_early_and_is_checked_again(seed, growth_approver, django_capture_on_commit_callbacks):
    rng = random.Random(seed)
    campaign = AdCampaignFactory(daily_budget=Decimal("120.00"))
    plant_ads(campaign, rng, days=BEFORE, spend=120, roas=0.8)
    proposal = executed(budget_proposal(campaign, "60.00"), growth_approver, django_capture_on_commit_callbacks)
    plant_ads(campaign, rng, days=range(1, 3), spend=60, roas=1.6)  # two days of the seven came in

    assert judge(HORIZON).checked == 0  # not due before its horizon has passed
    first = judge()
    assert first.too_early == [proposal.pk] and not first.written
    entry = current(outcome_key(proposal.pk))
    assert entry.data["verdict"] == TOO_EARLY and entry.data["final"] is False
    assert "2 of 7 days" in entry.text
    # Still too early: no second entry.
    judge(JUDGE_ON + 1)
    assert MemoryEntry.objects.filter(key=outcome_key(proposal.pk)).count() == 1

    plant_ads(campaign, rng, days=range(3, HORIZON + 1), spend=60, roas=1.6)
    # No comparable campaign: the campaign's own trend is the baseline, and there is none before it either.
    [later] = judge(JUDGE_ON + 2).written
    assert later.data["verdict"] == WORKED
    assert later.data["baseline"].startswith("none")
    assert current(outcome_key(proposal.pk)).pk == later.pk


def test_an_outcome_never_overwrites_a_persons_note(owner, growth_approver, django_capture_on_commit_callbacks):
    proposal = budget_case(5, growth_approver, django_capture_on_commit_callbacks, roas_after=1.6)
    note = memory_add_by_person(
        user=owner,
        kind=Kind.OUTCOME,
        key=outcome_key(proposal.pk),
        text="It worked because of the holiday, not the cut.",
    )
    run = judge()
    assert run.checked == 0 or run.kept_notes == [proposal.pk]
    assert current(outcome_key(proposal.pk)).pk == note.pk


def test_an_action_undone_at_once_is_not_judged_on_the_days_after(growth_approver, django_capture_on_commit_callbacks):
    proposal = budget_case(9, growth_approver, django_capture_on_commit_callbacks, roas_after=1.6)
    campaign_id = proposal.args["campaign_id"]
    # The same day, a second change on the same campaign: the first had no days of its own.
    executed(
        budget_proposal(AdCampaign.objects.get(pk=campaign_id), "150.00"),
        growth_approver,
        django_capture_on_commit_callbacks,
    )
    run = judge(2)
    entry = current(outcome_key(proposal.pk))
    assert entry.data["verdict"] == TOO_EARLY and entry.data["final"] is True
    assert entry.data["undone_by"] is not None and "Undone by" in entry.text
    # Settled: it is not checked again, however long one waits.
    assert proposal.pk not in judge(30).too_early
    assert MemoryEntry.objects.filter(key=outcome_key(proposal.pk)).count() == 1
    assert run.checked >= 1


# --- markdowns --------------------------------------------------------------------------------------


def plant_units(variant, *, days: range, per_day: float, rng: random.Random) -> None:
    """Orders of the variant whose daily counts average `per_day` (Poisson-like by rounding a draw)."""
    today = brand_today()
    for offset in days:
        count = int(per_day * rng.uniform(0.7, 1.3) + rng.random())
        for _ in range(count):
            when = dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(12), tzinfo=dt.UTC)
            OrderLineFactory(variant=variant, order__created_at=when)


def markdown_case(seed, approver, capture, *, before: float, after: float):
    rng = random.Random(seed)
    aprons = ProductFactory(product_type="Aprons", title="Linen Apron")
    sku = VariantFactory(product=aprons, sku=f"LA-{seed}", stock=600)
    peers = [VariantFactory(product=ProductFactory(product_type="Aprons")) for _ in range(2)]
    markdown_days = 14
    for peer in peers:
        plant_units(peer, days=range(-markdown_days, markdown_days + 1), per_day=3, rng=rng)
    plant_units(sku, days=range(-markdown_days, 0), per_day=before, rng=rng)
    proposal = proposal_create(
        action_type="pricing.set_markdown",
        args={"sku": sku.sku, "percent": "45"},
        division="growth",
        rationale="600 in stock, 2 sold in four weeks",
        agent_key="product.merchandiser",
    )
    proposal = executed(proposal, approver, capture)
    plant_units(sku, days=range(1, markdown_days + 1), per_day=after, rng=rng)
    return proposal, markdown_days


@pytest.mark.parametrize("seed", SEEDS)
def test_a_markdown_that_did_not_move_the_stock_has_no_clear_effect(
    seed, growth_approver, django_capture_on_commit_callbacks
):
    proposal, days = markdown_case(seed, growth_approver, django_capture_on_commit_callbacks, before=0.1, after=0.1)
    [entry] = judge(days + 1).written
    assert entry.data["proposal"] == proposal.pk
    assert entry.data["verdict"] == NO_CLEAR_EFFECT, entry.text
    numbers = entry.data["numbers"]
    assert numbers["stock"] == 600
    assert numbers["units_after"] <= 5
    assert "units/day" in entry.text and "Aprons" not in entry.data["baseline"]  # baseline named, not the type


@pytest.mark.parametrize("seed", SEEDS)
def test_a_markdown_that_sold_worked(seed, growth_approver, django_capture_on_commit_callbacks):
    proposal, days = markdown_case(seed, growth_approver, django_capture_on_commit_callbacks, before=0.5, after=3)
    [entry] = judge(days + 1).written
    assert entry.key == outcome_key(proposal.pk)
    assert entry.data["verdict"] == WORKED
    assert entry.data["numbers"]["days_of_cover"] is not None


@pytest.mark.parametrize(
    ("roas_after", "verdict"),
    [(4.5, WORKED), (2.2, BACKFIRED)],  # twice the spend: revenue nearly doubles / stays flat
)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_budget_raise_is_judged_by_the_revenue_it_bought(
    seed, roas_after, verdict, growth_approver, django_capture_on_commit_callbacks
):
    rng = random.Random(seed)
    winner = AdCampaignFactory(daily_budget=Decimal("100.00"))
    peer = AdCampaignFactory(daily_budget=Decimal("100.00"))
    plant_ads(winner, rng, days=BEFORE, spend=100, roas=5.0)
    plant_ads(peer, rng, days=range(-HORIZON, HORIZON + 1), spend=100, roas=2.0)
    proposal = executed(budget_proposal(winner, "200.00"), growth_approver, django_capture_on_commit_callbacks)
    plant_ads(winner, rng, days=AFTER, spend=200, roas=roas_after)

    [entry] = judge().written
    assert entry.data["verdict"] == verdict, entry.text
    assert entry.data["proposal"] == proposal.pk and "raise" in entry.text


def test_an_import_queues_the_outcome_checks(db, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda func, *a, **kw: queued.append(func))
    files = Path(__file__).resolve().parents[1] / "brand" / "files"
    with django_capture_on_commit_callbacks(execute=True):
        import_file(kind="meta-ads", path=files / "meta_ads_daily.csv")
    assert queued == [tasks.run_due_outcomes]
    # A refused file brought no data: nothing to check.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ImportRefused):
        import_file(kind="shopify-orders", path=files / "orders_broken.csv")
    assert queued == [tasks.run_due_outcomes]
