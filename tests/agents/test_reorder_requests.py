"""A person's request to reorder a product is honoured as asked, on generated shops (brand.scenarios):
a draft PO to its supplier for the quantity named (Atlas's own when none is), the draft already
waiting cited instead of a second one, and a product without a supplier said to have none."""

from __future__ import annotations

import datetime as dt

import pytest

from agents.models import RunStatus
from agents.specialists.operations import Inventory
from approvals.models import ProposedAction
from brand.clock import brand_today, brand_tz
from brand.models import Variant
from brand.scenarios import SCENARIOS, generate, load_shop
from tests.agents.specialists.fin_brand import run_specialist

pytestmark = pytest.mark.django_db


def load(name: str, directory) -> Variant:
    scenario = next(s for s in SCENARIOS if s.name == name)
    load_shop(generate(scenario, brand_today() - dt.timedelta(days=1), brand_tz()), directory)
    variant = Variant.objects.filter(is_active=True).select_related("product").order_by("sku").first()
    assert variant is not None
    return variant


def ask(owner, text: str):
    run = run_specialist(Inventory.key, brand_today(), intent=text, user=owner)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run, list(ProposedAction.objects.filter(action_type="po.create").order_by("pk"))


@pytest.mark.parametrize("shop", ["healthy-full-data-tiny-s2", "healthy-full-data-mid-s1"])
def test_a_reorder_is_drafted_for_the_quantity_asked_then_cited(owner, tmp_path, shop):
    variant = load(shop, tmp_path)
    assert variant.supplier_id is not None
    _run, (proposal,) = ask(owner, f"reorder 240 units of {variant.sku}")

    assert proposal.args["supplier"] == variant.supplier.name
    assert [(line["sku"], line["quantity"]) for line in proposal.args["lines"]] == [(variant.sku, 240)]
    assert proposal.rationale.startswith(f'owner asked: "reorder 240 units of {variant.sku}".')

    run, proposals = ask(owner, f"please restock {variant.sku}, 100 more")
    assert proposals == [proposal]
    assert any(variant.sku in w and "waiting" in w for w in run.warnings), run.warnings


def test_a_product_without_a_supplier_is_said_to_have_none(owner, tmp_path):
    variant = load("issue-case-exports-only-tiny-s1", tmp_path)
    assert variant.supplier_id is None
    run, proposals = ask(owner, f"reorder 50 units of {variant.sku}")
    assert proposals == []
    assert any(f"{variant.sku}" in w and "no supplier on record" in w for w in run.warnings), run.warnings


@pytest.mark.parametrize("shop", ["healthy-full-data-tiny-s2", "healthy-full-data-mid-s1"])
def test_a_reorder_asked_of_finance_is_drafted_as_inventory_would(owner, tmp_path, shop):
    """'Order 50 more of X' routes to finance by its words: the PO desk drafts it as asked, not nothing."""
    from agents.specialists.finance import PODesk

    variant = load(shop, tmp_path)
    run = run_specialist(PODesk.key, brand_today(), intent=f"order 50 more of {variant.sku}", user=owner)
    assert run.status == RunStatus.SUCCEEDED, run.error
    (proposal,) = ProposedAction.objects.filter(action_type="po.create")
    assert [(line["sku"], line["quantity"]) for line in proposal.args["lines"]] == [(variant.sku, 50)]
    assert proposal.agent_key == PODesk.key
