"""retention.churn_watch: VIPs past 1.5x their usual reorder interval get a segment and a win-back e-mail."""

from __future__ import annotations

import pytest

from agents.specialists.retention import ChurnWatch
from brand import models as bm
from brand.metrics.retention import churn_analysis
from memory.services import current
from tests.agents.specialists.gro_brand import (
    TODAY,
    add_more_history,
    add_orders,
    build_control_brand,
    count_queries,
    run_agent,
)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def plant_lapsing(brand, n: int = 12) -> list[bm.Customer]:
    """Big spenders (5 orders of 3 items, 30 days apart) whose last order was 70 days ago."""
    customers = []
    specs = []
    for i in range(n):
        customer = CustomerFactory(email=f"lapsing{i}@example.com", created_at=brand.days_ago(400))
        customers.append(customer)
        for k in range(5):
            specs.append((customer, brand.days_ago(70 + 30 * k), brand.variants[i % 8], 3))
    add_orders(brand, specs)
    return customers


def test_control_brand_has_no_lapsing_vips():
    build_control_brand()
    findings = churn_analysis(TODAY, ChurnWatch.defaults)
    assert findings.vips and findings.lapsing == []
    _run, proposals = run_agent(ChurnWatch.key)
    assert proposals == []
    assert current("segment:lapsing-vip:lapsing_count").data["value"] == 0


def test_finds_the_lapsing_cohort_with_numbers():
    brand = build_control_brand()
    planted = plant_lapsing(brand)
    findings = churn_analysis(TODAY, ChurnWatch.defaults)
    assert {c.customer_id for c in findings.lapsing} == {c.pk for c in planted}
    one = findings.lapsing[0]
    assert one.orders == 5 and one.interval_days == pytest.approx(30, abs=0.1)  # DST moves noon by an hour
    assert one.days_since_last == pytest.approx(70 - 0.5, abs=0.1)  # ordered at noon, counted to midnight
    assert findings.lapsing_spend == 12 * 5 * 3 * 40


def test_builds_the_segment_and_proposes_the_win_back():
    brand = build_control_brand()
    planted = plant_lapsing(brand)
    _run, proposals = run_agent(ChurnWatch.key)
    assert [p.action_type for p in proposals] == ["segment.build", "email.send_campaign"]
    build, email = proposals
    assert sorted(build.args["rule"]["customer_ids"]) == sorted(c.pk for c in planted)
    assert build.category == "internal"
    # The segment is built before the send is proposed: the send previews and is valued on the cohort,
    # not on the empty segment the shop had (the build's queued execution then finds nothing to do).
    build.refresh_from_db()
    assert build.status == "executed"
    assert "(12 customers who accept marketing)" in email.preview
    assert email.value_kind == "expected revenue" and email.value_basis.startswith("12 consenting customers x")
    assert email.args["segment"] == "lapsing-vip" and email.args["body"]
    assert email.status == "pending"
    assert "12 of" in email.rationale and "$7,200" in email.rationale
    entry = current("segment:lapsing-vip:lapsing_count")
    assert entry.data["value"] == 12 and entry in email.evidence.all()


def test_a_softer_tone_after_send_back():
    brand = build_control_brand()
    plant_lapsing(brand)
    _run, (_build, email) = run_agent(ChurnWatch.key)
    assert "we miss you" in email.args["body"]
    _run, revised = run_agent(ChurnWatch.key, feedback=(email, "Softer tone please, less pushy"))
    assert len(revised) == 1 and revised[0].revision_of == email
    assert "we miss you" not in revised[0].args["body"]
    assert revised[0].args["segment"] == "lapsing-vip"


def test_constant_queries():
    brand = build_control_brand()
    plant_lapsing(brand)
    small = count_queries(lambda: churn_analysis(TODAY, ChurnWatch.defaults))
    add_more_history(brand, customers=150)
    assert count_queries(lambda: churn_analysis(TODAY, ChurnWatch.defaults)) == small


def test_an_explicit_request_wins_back_a_smaller_cohort():
    brand = build_control_brand()
    planted = plant_lapsing(brand, n=3)  # under the five that raise it unasked
    _run, proposals = run_agent(ChurnWatch.key)
    assert proposals == []
    _run, proposals = run_agent(ChurnWatch.key, intent_text="Win back our VIPs")
    assert [p.action_type for p in proposals] == ["segment.build", "email.send_campaign"]
    build, email = proposals
    assert sorted(build.args["rule"]["customer_ids"]) == sorted(c.pk for c in planted)
    assert email.args["segment"] == "lapsing-vip"
    assert email.rationale.startswith("Asked: 'Win back our VIPs'. 3 of") and "$1,800" in email.rationale


def test_a_named_product_restricts_the_cohort_to_its_buyers():
    from tests.factories import ProductFactory, SegmentFactory, VariantFactory

    brand = build_control_brand()
    plant_lapsing(brand)  # 12 lapsing VIPs of the steady products
    skillet = VariantFactory(product=ProductFactory(handle="cast-iron-skillet", title="Cast Iron Skillet"), sku="SK-10")
    sleeve = VariantFactory(
        product=ProductFactory(handle="skillet-handle-sleeve", title="Skillet Handle Sleeve"), sku="SL-1"
    )
    buyers = []
    for variant, n in ((skillet, 3), (sleeve, 2)):
        for i in range(n):
            customer = CustomerFactory(email=f"{variant.sku}-{i}@example.com", created_at=brand.days_ago(400))
            buyers.append((variant, customer))
            variant.price = brand.variants[0].price
            add_orders(brand, [(customer, brand.days_ago(70 + 30 * k), variant, 3) for k in range(5)])
    skillet_buyers = sorted(c.pk for v, c in buyers if v == skillet)
    findings = churn_analysis(TODAY, ChurnWatch.defaults, product_ids=[skillet.product_id])
    assert len(findings.vips) == 17 and sorted(c.customer_id for c in findings.lapsing) == skillet_buyers
    SegmentFactory(key="lapsing-vip-cast-iron-skillet", name="Lapsing VIPs: Cast Iron Skillet")
    _run, proposals = run_agent(ChurnWatch.key, intent_text="What about customers who stopped buying the skillet?")
    build, email = proposals
    assert build.args["key"] == "lapsing-vip-cast-iron-skillet"
    assert sorted(build.args["rule"]["customer_ids"]) == skillet_buyers
    assert email.args["segment"] == "lapsing-vip-cast-iron-skillet"
    assert "3 of 17 VIPs who bought Cast Iron Skillet are past 1.5x" in email.rationale
    # The general cohort's memory is untouched by the narrowed run.
    assert current("segment:lapsing-vip-cast-iron-skillet:lapsing_count").data["value"] == 3
