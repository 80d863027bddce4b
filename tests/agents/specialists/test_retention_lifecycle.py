"""retention.lifecycle: a drop in the 30-day second-order rate of last month's first-time buyers."""

from __future__ import annotations

import datetime as dt

import pytest

from agents.specialists.retention import Lifecycle
from brand.metrics.retention import lifecycle_analysis
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


def plant_drop(brand, n: int = 40) -> None:
    """40 more April first-time buyers, none of whom orders again: April falls to 5 of 60."""
    april = dt.date(2026, 4, 1)
    specs = []
    for j in range(n):
        customer = CustomerFactory(email=f"oneoff{j}@example.com", created_at=brand.at(april))
        specs.append((customer, brand.at(april + dt.timedelta(days=j % 29), 15), brand.variants[j % 8], 1))
    add_orders(brand, specs)


def test_control_brand_rate_is_steady():
    build_control_brand()
    findings = lifecycle_analysis(TODAY, Lifecycle.defaults)
    assert findings.latest.month == dt.date(2026, 4, 1)
    assert [c.month for c in findings.previous] == [dt.date(2026, 3, 1), dt.date(2026, 2, 1), dt.date(2026, 1, 1)]
    assert findings.latest.rate == pytest.approx(0.25) and findings.baseline_rate == pytest.approx(0.25)
    _run, proposals = run_agent(Lifecycle.key)
    assert proposals == []
    assert current("segment:first-time-buyers:second_order_rate").data["value"] == 0.25


def test_finds_the_drop_and_proposes_a_post_purchase_email():
    brand = build_control_brand()
    plant_drop(brand)
    findings = lifecycle_analysis(TODAY, Lifecycle.defaults)
    assert (findings.latest.buyers, findings.latest.repeaters) == (60, 5)
    assert findings.drop_ratio == pytest.approx((5 / 60) / 0.25)
    _run, proposals = run_agent(Lifecycle.key)
    assert [p.action_type for p in proposals] == ["email.send_campaign"]
    email = proposals[0]
    assert email.args["segment"] == "first-time-buyers"
    assert "5 of 60 first-time buyers of April 2026" in email.rationale and "25%" in email.rationale
    assert current("segment:first-time-buyers:second_order_rate") in email.evidence.all()


def test_a_second_order_after_thirty_days_does_not_count():
    brand = build_control_brand()
    customer = CustomerFactory(email="late@example.com")
    first = brand.at(dt.date(2026, 4, 2), 10)
    add_orders(
        brand,
        [(customer, first, brand.variants[0], 1), (customer, first + dt.timedelta(days=31), brand.variants[0], 1)],
    )
    findings = lifecycle_analysis(TODAY, Lifecycle.defaults)
    assert (findings.latest.buyers, findings.latest.repeaters) == (21, 5)


def test_constant_queries():
    brand = build_control_brand()
    small = count_queries(lambda: lifecycle_analysis(TODAY, Lifecycle.defaults))
    plant_drop(brand, n=120)
    add_more_history(brand)
    assert count_queries(lambda: lifecycle_analysis(TODAY, Lifecycle.defaults)) == small


def test_a_request_about_repeat_buyers_proposes_on_a_milder_drop():
    brand = build_control_brand()
    plant_drop(brand, n=10)  # April: 5 of 30, 17% vs 25%: 67% of the baseline, above the 60% bar
    assert lifecycle_analysis(TODAY, Lifecycle.defaults).drop_ratio == pytest.approx((5 / 30) / 0.25)
    assert run_agent(Lifecycle.key)[1] == []
    assert run_agent(Lifecycle.key, intent_text="Win back our VIPs")[1] == []
    _run, (email,) = run_agent(Lifecycle.key, intent_text="New customers aren't coming back")
    assert email.action_type == "email.send_campaign" and email.args["segment"] == "first-time-buyers"
    assert email.rationale.startswith('Asked: "New customers aren\'t coming back".')
    assert "5 of 30 first-time buyers of April 2026" in email.rationale and "vs 25%" in email.rationale
    assert "67% of the baseline (milder than the 60%" in email.rationale


def test_a_request_on_a_steady_rate_proposes_nothing():
    build_control_brand()
    assert run_agent(Lifecycle.key, intent_text="New customers aren't coming back")[1] == []
