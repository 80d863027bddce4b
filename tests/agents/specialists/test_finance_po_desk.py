"""finance.po_desk: draft POs with their cash impact and supplier terms -> po.confirm."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import RunStatus
from agents.specialists.finance import PODesk
from approvals.models import ProposedAction
from brand import models as bm
from brand.metrics.finance import draft_purchase_orders
from memory.services import current, remember
from tests.agents.specialists.fin_brand import TODAY, at, build_control_brand, run_specialist
from tests.factories import SupplierFactory


def draft_po(
    brand, number: str, *, age_days: int, lines: list[tuple[str, int, str]], supplier=None
) -> bm.PurchaseOrder:
    supplier = supplier or SupplierFactory(name="Copper & Co", lead_time_days=30, payment_terms_days=30)
    po = bm.PurchaseOrder.objects.create(number=number, supplier=supplier)
    for sku, qty, cost in lines:
        bm.PurchaseOrderLine.objects.create(
            purchase_order=po, variant=brand.variants[sku], quantity=qty, unit_cost=Decimal(cost)
        )
    # created_at is auto_now_add: set the brand moment the draft was made afterwards.
    bm.PurchaseOrder.objects.filter(pk=po.pk).update(created_at=at(TODAY - dt.timedelta(days=age_days), 10))
    return po


def test_control_brand_has_no_draft_and_nothing_is_proposed(db):
    build_control_brand()
    report = draft_purchase_orders(TODAY)
    assert report.drafts == () and report.committed == Decimal("600.00")
    run = run_specialist(PODesk.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not ProposedAction.objects.exists()


def test_a_draft_waiting_4_days_is_proposed_with_its_cash_impact_and_cover(db, owner):
    brand = build_control_brand()
    draft_po(brand, "PO-DEMO-0001", age_days=4, lines=[("KN-100", 100, "30.00"), ("PL-400", 300, "10.00")])
    remember(
        key="sku:KN-100:days_of_cover",
        kind="metric",
        text="KN-100 has 12 days of cover",
        data={"value": 12.0, "lead_time_days": 30, "runs_out_before_delivery": True},
        division="operations",
        author_user=owner,
    )
    (po,) = draft_purchase_orders(TODAY).drafts
    assert (po.total, po.age_days, po.payment_terms_days, po.lead_time_days) == (Decimal("6000.00"), 4, 30, 30)
    assert po.cash_due == dt.date(2025, 4, 19) and po.expected_arrival == dt.date(2025, 4, 19)

    run = run_specialist(PODesk.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    proposal = ProposedAction.objects.get(action_type="po.confirm")
    assert proposal.args == {"po": "PO-DEMO-0001"}
    assert proposal.division.slug == "finance"
    for fact in (
        "$6,000 for KN-100 x 100, PL-400 x 300",
        "waiting as a draft for 4 days",
        "net 30",
        "due on 2025-04-19",
        "expected arrival 2025-04-19",
        "KN-100 has 12 days of cover vs 30 days to arrival (KN-100 will run out first)",
        "Confirmed POs already commit $600; this brings open commitments to $6,600",
    ):
        assert fact in proposal.rationale, fact
    assert current("sku:KN-100:days_of_cover") in proposal.evidence.all()
    assert current("po:PO-DEMO-0001:cash_impact").data["value"] == 6000.0


def test_fresh_drafts_and_drafts_under_the_supplier_minimum_wait(db):
    brand = build_control_brand()
    draft_po(brand, "PO-FRESH", age_days=0, lines=[("KN-100", 10, "30.00")])
    small = SupplierFactory(name="Big Minimum Ltd", minimum_order_value=Decimal("1000.00"))
    draft_po(brand, "PO-SMALL", age_days=5, lines=[("MG-200", 10, "6.00")], supplier=small)
    run = run_specialist(PODesk.key)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not ProposedAction.objects.exists()
    assert any("PO-SMALL" in w and "minimum order" in w for w in run.warnings)
    # A person asking about it lifts the one-day wait.
    run = run_specialist(PODesk.key, intent="can we confirm PO-FRESH today?")
    assert list(ProposedAction.objects.values_list("args", flat=True)) == [{"po": "PO-FRESH"}]


def test_the_analysis_runs_a_constant_number_of_queries(db):
    brand = build_control_brand()
    draft_po(brand, "PO-1", age_days=2, lines=[("KN-100", 10, "30.00")])
    with CaptureQueriesContext(connection) as small:
        draft_purchase_orders(TODAY)
    for i in range(5):
        draft_po(brand, f"PO-X{i}", age_days=3, lines=[(sku, 5, "4.00") for sku in brand.variants])
    with CaptureQueriesContext(connection) as big:
        report = draft_purchase_orders(TODAY)
    assert len(report.drafts) == 6
    assert len(small) == len(big) == 4
