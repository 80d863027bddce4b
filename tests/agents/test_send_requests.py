"""A person's request to send or announce something to a segment they name is drafted as asked by the
retention specialists, on generated shops (brand.scenarios), and the open send to that segment is cited
instead of a second one the same day."""

from __future__ import annotations

import datetime as dt

import pytest

from agents.models import RunStatus
from agents.specialists.retention import ChurnWatch, Lifecycle
from approvals.models import ProposedAction
from brand.clock import brand_today, brand_tz
from brand.models import Customer
from brand.scenarios import SCENARIOS, generate, load_shop
from tests.agents.specialists.fin_brand import run_specialist
from tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["healthy-full-data-tiny-s2", "issue-case-exports-only-tiny-s1"])
def regulars(request, tmp_path):
    scenario = next(s for s in SCENARIOS if s.name == request.param)
    load_shop(generate(scenario, brand_today() - dt.timedelta(days=1), brand_tz()), tmp_path)
    segment = SegmentFactory(key="regulars", name="Regulars")
    segment.customers.set(Customer.objects.order_by("pk")[:25])
    return segment


def ask(owner, key: str, text: str):
    run = run_specialist(key, brand_today(), intent=text, user=owner)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run, list(ProposedAction.objects.filter(action_type="email.send_campaign").order_by("pk"))


@pytest.mark.parametrize("key", [Lifecycle.key, ChurnWatch.key])
def test_a_send_to_a_named_segment_is_drafted_then_cited(owner, regulars, key):
    _run, (proposal,) = ask(owner, key, "send the regulars a note about the autumn range")
    assert proposal.args["segment"] == "regulars"
    assert "autumn range" in f"{proposal.args['subject']} {proposal.args['body']}".lower()
    assert proposal.rationale.startswith("Drafted on request: 'send the regulars a note about the autumn range'")

    run, proposals = ask(owner, key, "announce the winter sale to the regulars")
    assert proposals == [proposal]
    assert run.context["cited"] == [proposal.pk]
    assert any(f"#{proposal.pk}" in w and "regulars" in w for w in run.warnings), run.warnings


def test_a_send_that_names_no_segment_is_left_to_the_analysis(owner, regulars):
    _run, proposals = ask(owner, Lifecycle.key, "send something nice")
    assert all(p.args.get("segment") != "regulars" for p in proposals)
