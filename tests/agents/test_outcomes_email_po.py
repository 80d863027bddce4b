"""Outcome checks of e-mails (the segment's orders and its code, against everyone else's trend) and of
purchase orders (did the stock-out they were meant to avoid happen?)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from agents.outcomes.checks import NO_CLEAR_EFFECT, TOO_EARLY, WORKED
from agents.outcomes.services import outcomes_run_due
from approvals.services import proposal_create
from brand.clock import brand_today
from brand.models import Discount, PurchaseOrderLine
from memory.selectors import current, outcome_key
from tests.agents.test_outcomes import executed
from tests.factories import (
    CustomerFactory,
    EmailCampaignFactory,
    OrderFactory,
    PurchaseOrderFactory,
    SegmentFactory,
    VariantFactory,
)


@pytest.fixture(autouse=True)
def _execute_inline(settings):
    settings.ATLAS_EXECUTE_SYNC = True
    settings.ATLAS_FOUR_EYES_AMOUNT = Decimal("100000")
    settings.ATLAS_WEBHOOK_URL = ""


def at_noon(offset: int) -> dt.datetime:
    return dt.datetime.combine(brand_today() + dt.timedelta(days=offset), dt.time(12), tzinfo=dt.UTC)


def plant_orders(customers, rng: random.Random, *, days: range, per_day: float, code: str = "") -> None:
    for offset in days:
        for _ in range(int(per_day * rng.uniform(0.8, 1.2) + rng.random())):
            OrderFactory(customer=rng.choice(customers), created_at=at_noon(offset), discount_code=code)


@pytest.mark.parametrize("seed", [5, 13, 29])
def test_a_win_back_email_that_brought_orders_worked(seed, growth_approver, django_capture_on_commit_callbacks):
    rng = random.Random(seed)
    Discount.objects.create(code="COMEBACK15", percent_off=Decimal("15"))
    lapsed = [CustomerFactory() for _ in range(40)]
    others = [CustomerFactory() for _ in range(40)]
    segment = SegmentFactory(key=f"lapsed-vips-{seed}")
    segment.customers.set(lapsed)
    email = EmailCampaignFactory(segment=segment, body_text="We miss you: 15% off with COMEBACK15")
    plant_orders(others, rng, days=range(-7, 9), per_day=4)
    plant_orders(lapsed, rng, days=range(-7, 0), per_day=0.3)
    proposal = proposal_create(
        action_type="email.send_campaign",
        args={"email_campaign_id": email.pk},
        division="growth",
        rationale="35 VIPs have not ordered for months",
        agent_key="retention.lifecycle",
    )
    executed(proposal, growth_approver, django_capture_on_commit_callbacks)
    plant_orders(lapsed, rng, days=range(1, 8), per_day=2.5, code="COMEBACK15")

    assert outcomes_run_due(today=brand_today() + dt.timedelta(days=7)).checked == 0
    [entry] = outcomes_run_due(today=brand_today() + dt.timedelta(days=8)).written
    assert entry.data["verdict"] == WORKED, entry.text
    numbers = entry.data["numbers"]
    assert numbers["orders_after"] > numbers["expected_orders_after"] * 2
    assert numbers["orders_with_code"] == numbers["orders_after"] and numbers["codes"] == ["COMEBACK15"]
    assert entry.data["baseline"] == "everyone else's orders over the same days"


def test_an_email_whose_orders_are_not_imported_yet_is_too_early(growth_approver, django_capture_on_commit_callbacks):
    segment = SegmentFactory()
    segment.customers.set([CustomerFactory()])
    proposal = proposal_create(
        action_type="email.send_campaign",
        args={"email_campaign_id": EmailCampaignFactory(segment=segment).pk},
        division="growth",
        rationale="test",
        agent_key="retention.lifecycle",
    )
    executed(proposal, growth_approver, django_capture_on_commit_callbacks)
    OrderFactory(created_at=at_noon(3))  # the imports stop three days after the send
    run = outcomes_run_due(today=brand_today() + dt.timedelta(days=8))
    assert run.too_early == [proposal.pk]
    assert "orders are imported up to" in current(outcome_key(proposal.pk)).text


def po_case(approver, capture, *, runs_out: bool):
    variant = VariantFactory(stock=12)
    po = PurchaseOrderFactory(supplier=variant.supplier)
    PurchaseOrderLine.objects.create(purchase_order=po, variant=variant, quantity=200, unit_cost=Decimal("10"))
    proposal = proposal_create(
        action_type="po.confirm",
        args={"po": po.number},
        division="growth",
        rationale="6 days of cover against a 21-day lead time",
        agent_key="operations.inventory",
    )
    proposal = executed(proposal, approver, capture)
    variant.stock = 0 if runs_out else 4
    variant.save()
    OrderFactory(created_at=at_noon(30))  # orders are imported past the horizon
    return proposal


@pytest.mark.parametrize(("runs_out", "verdict"), [(False, WORKED), (True, NO_CLEAR_EFFECT)])
def test_a_purchase_order_is_judged_by_whether_the_stock_out_happened(
    runs_out, verdict, growth_approver, django_capture_on_commit_callbacks
):
    proposal = po_case(growth_approver, django_capture_on_commit_callbacks, runs_out=runs_out)
    assert outcomes_run_due(today=brand_today() + dt.timedelta(days=28)).checked == 0
    [entry] = outcomes_run_due(today=brand_today() + dt.timedelta(days=29)).written
    assert entry.data["verdict"] == verdict and entry.data["verdict"] != TOO_EARLY
    assert bool(entry.data["numbers"]["stockouts"]) is runs_out
    assert entry.data["proposal"] == proposal.pk
