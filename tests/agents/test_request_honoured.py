"""A person's request is honoured: a markdown asked for a named product is proposed on that product,
at the percentage asked (or the open markdown on it is cited), checked by the same rules as all work;
where Atlas disagrees, the rationale says why beside the proposal and a rule's hold names the rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from agents.models import AgentRun, RunStatus
from agents.specialists.product import Assortment
from approvals.models import ProposedAction
from approvals.services import proposal_create
from memory.services import remember
from tests.agents.orchestrator.factories import demo_names
from tests.agents.specialists.fin_brand import TODAY, build_control_brand, new_variant, run_specialist, sell_daily

pytestmark = pytest.mark.django_db

# (sku, how a person names it) among the demo's look-alikes: two linen aprons, two glass kettles.
# (The router strips a look-alike's name from the request, so "clear" goes with "Glass Kettle - Clear":
# the kettle's request says "overstocked" to reach Product.)
NAMED = [
    ("LA-220", "the Linen Apron - Sage (LA-220)"),
    ("LA-221", "the Linen Apron - Charcoal"),
    ("GK-150", "the overstocked Glass Kettle - Blue (GK-150)"),
]
SEEDS = [0, 1, 2]


def markdowns() -> list[ProposedAction]:
    return list(ProposedAction.objects.filter(action_type="pricing.set_markdown").order_by("pk"))


def owner_preference(owner, limit: int = 30) -> None:
    remember(
        kind="preference",
        key="brand:max_discount_percent",
        text="Never discount more than this.",
        data={"value": {"max_discount_percent": limit}},
        author_user=owner,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_atlas_ask_proposes_what_was_named_at_the_percentage_asked(owner, capsys, seed):
    demo_names()
    sku, name = NAMED[seed]
    percent = 20 + 7 * seed
    call_command("atlas_ask", f"mark down {name} by {percent}% to clear it", "--as", "owner")

    (proposal,) = markdowns()
    assert proposal.args == {"sku": sku, "percent": str(percent)}
    assert proposal.proposed_by == owner and not proposal.is_held
    assert 'owner asked: "mark down' in proposal.rationale and "Where Atlas disagrees" not in proposal.rationale
    assert f"#{proposal.pk} [pending] Mark down {sku} by {percent}%" in capsys.readouterr().out


@pytest.mark.parametrize("seed", SEEDS)
def test_a_request_deeper_than_the_owners_preference_is_proposed_held_with_the_rule_named(owner, seed):
    demo_names()
    owner_preference(owner)
    sku, name = NAMED[seed]
    percent = 45 + seed
    call_command("atlas_ask", f"mark down {name} by {percent}% to clear it", "--as", "owner")

    (proposal,) = markdowns()
    assert proposal.args == {"sku": sku, "percent": str(percent)}
    assert proposal.is_held and proposal.hold_reason.startswith("Held by rule discount_preference:")
    assert "limit of 30%" in proposal.hold_reason
    assert "Where Atlas disagrees: the rules hold it (discount_preference)" in proposal.rationale
    assert "Proposed as asked, for a person to decide." in proposal.rationale


def test_the_open_markdown_on_the_named_product_is_cited_instead_of_a_second_one(owner, capsys):
    demo_names()
    earlier = proposal_create(
        action_type="pricing.set_markdown",
        args={"sku": "LA-220", "percent": "25"},
        division="product",
        rationale="Slow mover.",
    )
    call_command("atlas_ask", "mark down the Linen Apron - Sage (LA-220) by 45% to clear it", "--as", "owner")

    assert markdowns() == [earlier]
    run = AgentRun.objects.get(agent__key=Assortment.key)
    assert run.context["cited"] == [earlier.pk]
    assert any(f"#{earlier.pk}" in w and "LA-220" in w for w in run.warnings)
    assert f"note: LA-220 already has an open markdown, #{earlier.pk}" in capsys.readouterr().out


@pytest.mark.parametrize("seed", SEEDS)
def test_a_best_seller_is_proposed_as_asked_and_atlas_says_it_is_no_slow_mover(owner, seed):
    brand = build_control_brand()
    apron = new_variant("LA-220", "linen-apron", "Linen Apron", price="32.00", cost="12.00", stock=40 + seed)
    apron.title = "Sage"
    apron.save()
    sell_daily(brand, apron, {TODAY - dt.timedelta(days=d): 3 for d in range(1, 29)})

    run = run_specialist(Assortment.key, intent="mark down the Linen Apron - Sage (LA-220) by 45%", user=owner)

    assert run.status == RunStatus.SUCCEEDED, run.error
    (proposal,) = markdowns()
    assert proposal.args == {"sku": "LA-220", "percent": "45"}
    assert "LA-220 is not a slow mover by Atlas's numbers" in proposal.rationale
    assert proposal.confidence < 0.5


def test_a_markdown_under_the_margin_floor_says_how_deep_atlas_would_go(owner):
    build_control_brand()
    new_variant("TH-1", "thin-margin", "Thin Margin Tray", price="20.00", cost="15.00", stock=300)

    run_specialist(Assortment.key, intent="please mark down the thin margin tray (TH-1) by 45%", user=owner)

    (proposal,) = markdowns()
    assert proposal.args == {"sku": "TH-1", "percent": "45"}
    assert "Atlas would go no deeper than 13%" in proposal.rationale
    assert Decimal(proposal.args["percent"]) == 45


def test_a_percentage_that_is_no_markdown_is_refused_with_a_clear_warning(owner):
    demo_names()
    call_command("atlas_ask", "mark down the Linen Apron - Sage (LA-220) by 120%", "--as", "owner")
    assert markdowns() == []
    run = AgentRun.objects.get(agent__key=Assortment.key)
    assert any("LA-220: 120% is no markdown" in w for w in run.warnings)


# --- a vague request ("we're overstocked on X"): the best proposal on X, or why there is none ----------


@pytest.mark.parametrize("seed", SEEDS)
def test_overstocked_on_a_product_that_sells_says_why_no_markdown_and_proposes_nothing_else(owner, seed):
    brand = build_control_brand()
    kettle = new_variant("GK-150", "glass-kettle", "Glass Kettle", price="64.00", cost="31.00", stock=60 + 10 * seed)
    kettle.title = "Blue"
    kettle.save()
    sell_daily(brand, kettle, {TODAY - dt.timedelta(days=d): 2 for d in range(1, 29)})
    # A real slow mover elsewhere: the request did not name it, so it is not the answer.
    new_variant("LA-220", "linen-apron", "Linen Apron", price="32.00", cost="12.00", stock=600)

    run = run_specialist(Assortment.key, intent="we're overstocked on the blue kettle", user=owner)

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert markdowns() == []
    [why] = [w for w in run.warnings if w.startswith("GK-150")]
    cover = (60 + 10 * seed) / 2
    assert f"{60 + 10 * seed} in stock, 56 sold in the last 28 days ({cover:,.0f} days of cover)" in why
    assert "not overstocked by these numbers, so no markdown is proposed" in why


@pytest.mark.parametrize("seed", SEEDS)
def test_overstocked_on_a_slow_mover_gets_atlass_own_markdown_with_its_reasons(owner, seed):
    brand = build_control_brand()
    kettle = new_variant("GK-150", "glass-kettle", "Glass Kettle", price="64.00", cost="31.00", stock=400 + seed)
    kettle.title = "Blue"
    kettle.save()
    sell_daily(brand, kettle, {TODAY - dt.timedelta(days=d): 1 for d in range(1, 29, 4)})

    run_specialist(Assortment.key, intent="we're overstocked on the blue kettle", user=owner)

    (proposal,) = markdowns()
    assert proposal.args["sku"] == "GK-150" and 0 < Decimal(proposal.args["percent"]) < 100
    assert f"GK-150 Glass Kettle - Blue: {400 + seed} in stock" in proposal.rationale


def test_atlas_ask_says_why_when_nothing_came_of_a_request(owner, capsys):
    kettle = demo_names()["variants"]["GK-150"]
    kettle.stock = 5
    kettle.save()
    call_command("atlas_ask", "we're overstocked on the blue kettle", "--as", "owner")

    out = capsys.readouterr().out
    assert markdowns() == []
    assert "note: GK-150 Glass Kettle - Blue: 5 in stock" in out and "under the 10 units Atlas would clear" in out
    assert "No proposals came of it: the notes above say why." in out
