"""Every seed plants every signal: the generated history of seeds 1..5 checked without a database,
on end dates that fall mid-month and on month boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from brand.demo import demo_dataset
from brand.demo.generate import generate
from brand.demo.measure import measure_dataset
from brand.demo.people import people_set

CASES = [
    (1, dt.date(2026, 3, 18)),
    (2, dt.date(2026, 3, 31)),
    (3, dt.date(2026, 3, 1)),
    (4, dt.date(2026, 2, 28)),
    (5, dt.date(2026, 1, 2)),
]


@pytest.mark.parametrize(("seed", "end_date"), CASES)
def test_seed_plants_every_signal(seed, end_date):
    m = measure_dataset(generate(seed, end_date))
    assert m["problems"] == []
    assert m["spring_glow"]["roas_7d"] < 0.5 * m["spring_glow"]["roas_28d"]
    assert 1000 <= m["spring_glow"]["spend_7d"] <= 1400
    assert m["evergreen"]["roas_28d"] >= 5 and m["evergreen"]["min_budget_use_14d"] >= 0.95
    assert m["hp310"]["margin"] >= 0.6 and m["hp310"]["units_28d"] >= m["hp310"]["top_quartile_threshold"]
    assert 30 <= m["lapsing_vips"]["count"] <= 40
    assert m["second_order_rate"]["latest"] < 0.6 * sum(m["second_order_rate"]["previous_three"]) / 3
    assert m["cozy_nights"]["ctr_ratio"] <= 0.6 and 0.9 <= m["cozy_nights"]["impressions_ratio"] <= 1.1
    assert 5 <= m["hp104"]["days_of_cover"] <= 7 and m["hearth_pot"]["roas_28d"] >= 4
    assert 1.25 <= m["pacing"]["tiktok"] <= 1.35
    assert all(0.85 <= m["pacing"][ch] <= 1.0 for ch in ("meta", "google"))
    assert m["la220"]["stock"] == 600 and m["la220"]["units_28d"] <= 3
    assert m["gk150"]["refund_rate"] >= 2.5 * m["gk150"]["rest_refund_rate"]
    assert 0.15 <= m["forecast"]["shortfall"] <= 0.25
    assert m["codes"]["WELCOME40"] < 0 < min(m["codes"]["SPRING10"], m["codes"]["THANKYOU15"])
    assert m["cb500"]["units_7d"] >= 40 and m["cb500"]["units_7d"] >= 2.3 * m["cb500"]["units_prev_7d"]
    assert 2.5 <= m["spend_spike"]["ratio_to_weekday_norm"] <= 3.5 and m["spend_spike"]["robust_z"] >= 3.5
    assert m["counts"]["orders"] >= 20000 and m["counts"]["customers"] >= 4000 and m["counts"]["variants"] >= 150


def test_generation_is_deterministic():
    a, b = generate(3, dt.date(2026, 3, 18)), generate(3, dt.date(2026, 3, 18))
    assert [(o.name, o.customer, o.day, o.seconds, o.lines, o.code, o.refunded) for o in a.orders] == [
        (o.name, o.customer, o.day, o.seconds, o.lines, o.code, o.refunded) for o in b.orders
    ]
    assert a.stock == b.stock and a.ads == b.ads
    assert generate(4, dt.date(2026, 3, 18)).stock != a.stock


def test_demo_dataset_is_checked():
    # The service refuses nothing for a good seed, and hands back the checked dataset.
    assert demo_dataset(2, dt.date(2026, 3, 18)).seed == 2


@pytest.mark.django_db
def test_people_use_the_configured_password(settings):
    settings.ATLAS_DEMO_PASSWORD = "hearth-and-pine-demo"
    first = people_set()
    assert first.generated_password is None and len(first.created) == 17
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="finance_director").check_password("hearth-and-pine-demo")
    again = people_set()
    assert again.created == [] and len(again.existing) == 17


def test_command_rejects_a_bad_end_date():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--end-date"):
        call_command("atlas_demo", "--end-date", "2026-13-01")
