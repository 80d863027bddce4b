"""The cross-division rules run as part of the gate: on every proposal created (cycle, request,
revision) or edited, with the rule named in the hold; holds clear when their condition clears, or
by a person with a reason; preferences are structured values, brand-wide or per division."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.orchestrator import rules
from approvals.errors import InvalidTransition
from approvals.models import Decision, ProposedAction, Verdict
from approvals.services import proposal_create, proposal_edit_approve, proposal_hold, proposal_release
from brand import models as bm
from brand.signals import data_imported
from memory.services import remember
from tests import factories as f
from tests.agents.orchestrator.factories import demo_names, fact, orchestrator_context

pytestmark = pytest.mark.django_db

SEEDS = [1, 7, 42]


def preference(owner, limit: int, *, division_slug: str | None = None):
    """The owner's discount preference as `make demo` writes it: a structured value, its words silent."""
    return remember(
        kind="preference",
        key=f"{division_slug or 'brand'}:max_discount_percent",
        text="Keep our discounts modest.",
        data={"value": {"max_discount_percent": limit}},
        author_user=owner,
        division=division_slug,
    )


def markdown(sku: str, percent: int | str) -> ProposedAction:
    return proposal_create(
        action_type="pricing.set_markdown",
        args={"sku": sku, "percent": str(percent)},
        division="product",
        rationale="Slow mover: free the cash.",
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_a_discount_deeper_than_the_owners_structured_preference_is_held_at_creation(owner, seed):
    demo_names()
    preference(owner, 30)
    deep = markdown("LA-220", 31 + seed % 20)
    within = markdown("LA-221", 30 - seed % 10)

    deep.refresh_from_db()
    within.refresh_from_db()
    assert deep.status == "pending" and deep.is_held
    assert deep.hold_reason.startswith("Held by rule discount_preference:")
    assert "limit of 30%" in deep.hold_reason and "owner" in deep.hold_reason
    assert not within.is_held


@pytest.mark.parametrize("seed", SEEDS)
def test_a_division_preference_binds_only_its_division(owner, seed):
    demo_names()
    preference(owner, 10 + seed % 5, division_slug="growth")
    product_markdown = markdown("LA-220", 20)
    assert not ProposedAction.objects.get(pk=product_markdown.pk).is_held

    preference(owner, 10 + seed % 5, division_slug="product")
    second = markdown("LA-221", 20)
    assert ProposedAction.objects.get(pk=second.pk).hold_reason.startswith("Held by rule discount_preference:")


@pytest.mark.parametrize("seed", SEEDS)
def test_an_edit_that_breaks_a_rule_is_refused_naming_it_and_nothing_changes(owner, seed):
    demo_names()
    preference(owner, 30)
    proposal = markdown("LA-220", 20)
    deeper = 35 + seed % 10

    with pytest.raises(InvalidTransition, match="discount_preference"):
        proposal_edit_approve(proposal=proposal, user=owner, args={"sku": "LA-220", "percent": str(deeper)})

    proposal.refresh_from_db()
    assert proposal.status == "pending" and Decimal(proposal.args["percent"]) == 20
    assert not Decision.objects.filter(proposal=proposal).exists()
    # An edit within the preference goes through.
    done = proposal_edit_approve(proposal=proposal, user=owner, args={"sku": "LA-220", "percent": "25"})
    assert done.status in ("approved", "executing", "executed")


def stockout_setup(covered: bool):
    skillet = f.VariantFactory(sku="HP-104", supplier=f.SupplierFactory(lead_time_days=21))
    campaign = f.AdCampaignFactory(name="Hearth Pot - Always On", channel=bm.Channel.META, daily_budget=Decimal("200"))
    campaign.skus.add(skillet)
    fact(
        "sku:HP-104:days_of_cover",
        "HP-104: 6 days of cover",
        {"value": 6, "lead_time_days": 21, "runs_out_before_delivery": not covered},
    )
    return campaign


def raise_budget(campaign, to: int) -> ProposedAction:
    return proposal_create(
        action_type="ads.set_daily_budget",
        args={"campaign_id": campaign.pk, "daily_budget": str(to)},
        division="growth",
        rationale="ROAS is strong.",
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_a_spend_hold_clears_by_itself_when_the_stock_arrives_and_the_release_is_recorded(seed):
    campaign = stockout_setup(covered=False)
    raised = raise_budget(campaign, 250 + seed)
    raised.refresh_from_db()
    assert raised.hold_reason.startswith("Held by rule spend_on_stockout:")

    assert rules.holds_rejudge() == []  # nothing changed: still held
    fact(
        "sku:HP-104:days_of_cover",
        "HP-104: 60 days of cover",
        {"value": 60, "lead_time_days": 21, "runs_out_before_delivery": False},
    )
    released = rules.holds_rejudge()

    assert [p.pk for p in released] == [raised.pk]
    raised.refresh_from_db()
    assert not raised.is_held and raised.status == "pending"
    decision = Decision.objects.get(proposal=raised, verdict=Verdict.RELEASE)
    assert decision.user is None and decision.actor_label == "rule spend_on_stockout" and decision.via == "rule"
    assert "no longer run out" in decision.comment


def test_a_data_import_rejudges_the_holds(django_capture_on_commit_callbacks):
    campaign = stockout_setup(covered=False)
    raised = raise_budget(campaign, 300)
    fact("sku:HP-104:days_of_cover", "HP-104: 60 days", {"value": 60, "runs_out_before_delivery": False})
    with django_capture_on_commit_callbacks(execute=True):
        data_imported.send(sender=None)
    raised.refresh_from_db()
    assert not raised.is_held


def test_the_morning_cycle_releases_a_cleared_hold_and_keeps_a_persons_release(owner):
    campaign = stockout_setup(covered=False)
    raised = raise_budget(campaign, 300)
    proposal_release(proposal=raised, user=owner, reason="We restock on Friday; spend now.")
    assert rules.judge() == []  # the person's release stands over the rule
    assert ProposedAction.objects.get(pk=raised.pk).hold_reason == ""


def test_a_hold_made_by_the_morning_cycle_is_rejudged_by_its_rule_too():
    campaign = stockout_setup(covered=True)
    raised = raise_budget(campaign, 300)
    assert not ProposedAction.objects.get(pk=raised.pk).is_held
    fact(
        "sku:HP-104:days_of_cover",
        "HP-104: 6 days",
        {"value": 6, "lead_time_days": 21, "runs_out_before_delivery": True},
    )
    rules.holds_apply(rules.judge(), ctx=orchestrator_context())
    assert ProposedAction.objects.get(pk=raised.pk).hold_reason.startswith("Held by rule spend_on_stockout:")
    fact("sku:HP-104:days_of_cover", "HP-104: 60 days", {"value": 60, "runs_out_before_delivery": False})
    assert [p.pk for p in rules.holds_rejudge()] == [raised.pk]


def test_a_hold_no_rule_made_is_left_to_people():
    demo_names()
    proposal = markdown("LA-220", 20)
    proposal_hold(proposal=proposal, reason="Waiting for the buyer.")
    assert rules.holds_rejudge() == []
    assert ProposedAction.objects.get(pk=proposal.pk).is_held


@pytest.mark.parametrize("seed", SEEDS)
def test_a_send_back_revision_is_judged_by_the_same_rules(owner, seed):
    from agents.specialists.product import Assortment
    from approvals.services import proposal_send_back
    from tests.agents.specialists.fin_brand import build_control_brand, new_variant, run_specialist

    build_control_brand()
    new_variant("LA-220", "linen-apron", "Linen Apron", price="32.00", cost="12.00", stock=600)
    run_specialist(Assortment.key)
    proposal = ProposedAction.objects.get(action_type="pricing.set_markdown")
    assert not proposal.is_held
    preference(owner, 30)
    deeper = 40 + seed
    proposal_send_back(proposal=proposal, user=owner, comment=f"make it {deeper}%")
    proposal.refresh_from_db()

    run_specialist(Assortment.key, feedback={"comment": f"make it {deeper}%", "proposal": proposal})

    revision = ProposedAction.objects.get(revision_of=proposal)
    assert revision.args == {"sku": "LA-220", "percent": str(deeper)}
    assert revision.hold_reason.startswith("Held by rule discount_preference:")


def test_a_judge_that_fails_holds_the_proposal_naming_the_failure():
    from approvals.hooks import connect_judge, disconnect_judge

    demo_names()

    def broken(proposal):
        raise RuntimeError("pacing table unreadable")

    connect_judge(broken, dispatch_uid="tests.broken_judge")
    try:
        # The rules' judge answers first (None for a shallow markdown); the broken one then fails closed.
        proposal = markdown("LA-220", 10)
    finally:
        disconnect_judge("tests.broken_judge")
    proposal.refresh_from_db()
    assert proposal.hold_reason.startswith("Held by rule tests.broken_judge:")
    assert "pacing table unreadable" in proposal.hold_reason
    assert not ProposedAction.objects.get(pk=markdown("LA-221", 10).pk).is_held  # disconnected again
