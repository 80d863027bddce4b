"""Two price cuts on one SKU from different agents: the discount wins, the markdown is held with the reason."""

from __future__ import annotations

import pytest

from agents.orchestrator import rules
from tests.agents.orchestrator.factories import ProposalFactory
from tests.factories import division

pytestmark = pytest.mark.django_db


def test_a_markdown_and_a_discount_on_one_sku_hold_the_markdown():
    discount = ProposalFactory(
        action_type="pricing.create_discount",
        agent_key="growth.promotions",
        args={"code": "TEE15", "percent_off": "15", "skus": ["TEE-1"]},
    )
    markdown = ProposalFactory(
        action_type="pricing.set_markdown",
        agent_key="product.assortment",
        division=division("product"),
        args={"sku": "TEE-1", "percent": "25"},
        priority=999,
    )
    (hold,) = rules.judge()
    assert hold.proposal == markdown and hold.bundle == [discount]
    assert f"contradicts #{discount.pk}" in hold.reason and "TEE-1" in hold.reason


def test_price_cuts_on_other_skus_or_from_one_agent_are_left_alone():
    ProposalFactory(
        action_type="pricing.create_discount",
        agent_key="growth.promotions",
        args={"code": "A15", "percent_off": "15", "skus": ["A-1"]},
    )
    ProposalFactory(
        action_type="pricing.set_markdown", agent_key="product.assortment", args={"sku": "B-1", "percent": "25"}
    )
    ProposalFactory(
        action_type="pricing.set_markdown", agent_key="product.assortment", args={"sku": "C-1", "percent": "25"}
    )
    ProposalFactory(
        action_type="pricing.set_markdown", agent_key="product.assortment", args={"sku": "C-1", "percent": "40"}
    )
    assert rules.judge() == []


def test_two_changes_to_one_campaign_from_different_agents_hold_the_weaker():
    growth_cut = ProposalFactory(
        action_type="ads.set_daily_budget",
        agent_key="growth.paid_media",
        args={"campaign_id": 7, "daily_budget": "64.00"},
        priority=50,
    )
    finance_cap = ProposalFactory(
        action_type="ads.set_daily_budget",
        agent_key="finance.budget_guard",
        division=division("finance"),
        args={"campaign_id": 7, "daily_budget": "56.84"},
        priority=20,
    )
    (hold,) = rules.judge()
    assert hold.rule == "campaign_overlap"
    assert hold.proposal == finance_cap and hold.bundle == [growth_cut]
    assert f"#{growth_cut.pk} wins" in hold.reason


def test_a_pause_beats_a_budget_change_on_the_same_campaign_and_other_campaigns_are_left_alone():
    raise_ = ProposalFactory(
        action_type="ads.set_daily_budget",
        agent_key="growth.paid_media",
        args={"campaign_id": 3, "daily_budget": "90.00"},
        priority=999,
    )
    pause = ProposalFactory(
        action_type="ads.pause_campaign", agent_key="finance.budget_guard", args={"campaign_id": 3}, priority=1
    )
    ProposalFactory(
        action_type="ads.set_daily_budget",
        agent_key="finance.budget_guard",
        args={"campaign_id": 4, "daily_budget": "30.00"},
    )
    (hold,) = rules.judge()
    assert hold.proposal == raise_ and hold.bundle == [pause]
    assert "a pause stops the spend" in hold.reason
