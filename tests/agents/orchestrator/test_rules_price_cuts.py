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
