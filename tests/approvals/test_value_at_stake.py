"""A proposal's value at stake: a send's expected revenue and a pause's stopped spend are stored once,
shown wherever its money is, and never counted as spend by the gate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agents.orchestrator.ranking import rank
from approvals import policy
from approvals.errors import InvalidArguments
from approvals.models import ProposedAction
from approvals.services import proposal_create
from tests.factories import AdCampaignFactory, CustomerFactory, OrderFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def _segment_with_buyers(consenting: int, refusing: int = 0, order_total: str = "80.00"):
    segment = SegmentFactory(key="regulars", name="Regulars")
    for i in range(consenting + refusing):
        customer = CustomerFactory(email=f"reg{i}@example.com", accepts_marketing=i < consenting)
        OrderFactory(customer=customer, total=Decimal(order_total))
        segment.customers.add(customer)
    return segment


def _send(segment_key: str = "regulars") -> ProposedAction:
    return proposal_create(
        action_type="email.send_campaign",
        args={"segment": segment_key, "name": "Spring", "subject": "Spring is here", "body": "Hello"},
        division="retention",
        rationale="Spring range.",
    )


def test_a_send_is_worth_its_expected_revenue_and_spends_nothing(settings):
    settings.ATLAS_FOUR_EYES_AMOUNT = Decimal("1")
    _segment_with_buyers(consenting=250, refusing=50, order_total="80.00")
    send = _send()
    # 250 who accept marketing x $80 average order x 2% response; the 50 who refuse are not counted.
    assert send.money_at_stake == 0
    assert send.value_at_stake == Decimal("400.00")
    assert send.value_kind == "expected revenue"
    assert send.value_basis == "250 consenting customers x $80 average order x 2% response (assumed)"
    assert send.stake_short == "$400 expected revenue"
    assert send.stake_words.startswith("spends $0; expected revenue about $400: 250 consenting")
    # The gate counts spend only: a send needs no four-eyes, whatever it is worth.
    assert not policy.needs_four_eyes(send)


def test_the_ranking_reads_the_stored_value():
    _segment_with_buyers(consenting=100, order_total="50.00")
    send = _send()
    (ranked,) = rank([send], timezone.now())
    assert ranked.money == Decimal("100.00")
    assert ranked.money_basis.startswith("expected revenue: 100 consenting customers")


def test_a_send_to_a_segment_nobody_consents_in_is_refused_with_the_reason():
    _segment_with_buyers(consenting=0, refusing=3)
    with pytest.raises(InvalidArguments) as exc:
        _send()
    assert "segment 'regulars' (Regulars) has no customer who accepts marketing (3 member(s)" in str(exc.value)
    assert not ProposedAction.objects.exists()


def test_a_send_to_an_unbuilt_empty_segment_is_refused():
    SegmentFactory(key="lapsing-vip", name="Lapsing VIPs")
    with pytest.raises(InvalidArguments, match=r"\(0 member\(s\), never built\); build or refresh the segment"):
        _send("lapsing-vip")


def test_a_pause_is_worth_the_spend_it_stops():
    campaign = AdCampaignFactory(name="Hearth Pot", daily_budget=Decimal("190.00"))
    pause = proposal_create(
        action_type="ads.pause_campaign", args={"campaign_id": campaign.pk}, division="growth", rationale="Stock."
    )
    assert pause.money_at_stake == 0
    assert (pause.value_at_stake, pause.value_kind) == (Decimal("1330.00"), "spend it stops")
    assert pause.stake_short == "$1,330 spend it stops"


def test_the_list_page_and_proposal_page_show_the_value(owner):
    _segment_with_buyers(consenting=250, order_total="80.00")
    send = _send()
    budget = AdCampaignFactory(name="Small", daily_budget=Decimal("100.00"))
    cut = proposal_create(
        action_type="ads.set_daily_budget",
        args={"campaign_id": budget.pk, "daily_budget": "90.00"},
        division="growth",
        rationale="Weak.",
    )
    client = Client()
    client.force_login(owner)
    page = client.get(reverse("admin:approvals_proposedaction_change", args=[send.pk])).content.decode()
    assert "Money at stake" in page and "nothing is spent or committed" in page
    assert "Expected revenue about" in page and "$400" in page and "250 consenting customers" in page
    listing = client.get(reverse("admin:approvals_proposedaction_changelist"), {"status__exact": "pending", "o": "-4"})
    body = listing.content.decode()
    assert "$400 expected revenue" in body and "$70" in body
    # The "At stake" column sorts by value: the send ($400) comes before the cut ($70) when descending.
    ordered = [p.pk for p in listing.context["cl"].result_list]
    assert ordered.index(send.pk) < ordered.index(cut.pk)
