"""The Ask box on Today: the request is routed as the signed-in person and its proposals show on Today."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from agents.models import Intent
from agents.runtime.base import RunContext, Specialist
from approvals import registry as action_registry
from tests.agents.agents_for_tests import FakeSetBudget
from tests.agents.orchestrator.factories import demo_names

pytestmark = pytest.mark.django_db


class ReturnsWatch(Specialist):
    key = "product.test_console_returns"
    division = "product"
    name = "Returns watch (test)"
    description = "Refund rates and returns per product; overstock and slow movers."

    def run(self, ctx: RunContext) -> None:
        ctx.propose("test.set_budget", {"campaign_id": 1, "daily_budget": "10"}, rationale="asked for", confidence=0.7)


@pytest.fixture
def agents(agent_registry):
    action_registry._registry.setdefault(FakeSetBudget.key, FakeSetBudget())
    agent_registry(ReturnsWatch)
    demo_names()


def test_ask_routes_as_the_person_and_today_shows_the_intent_and_its_proposals(agents, owner):
    client = Client()
    client.force_login(owner)
    response = client.post(reverse("atlas_ask"), {"text": "we're overstocked on the blue kettle"}, follow=True)
    intent = Intent.objects.get()
    assert intent.user == owner and intent.division.slug == "product"
    body = response.content.decode()
    assert "You asked" in body and "overstocked on the blue kettle" in body
    assert response.context["intent"] == intent
    proposals = response.context["intent_proposals"]
    assert len(proposals) == 1 and proposals[0].agent_key == ReturnsWatch.key
    assert reverse("admin:approvals_proposedaction_change", args=[proposals[0].pk]) in body


def test_an_empty_ask_says_what_is_missing_and_records_nothing(agents, owner):
    client = Client()
    client.force_login(owner)
    response = client.post(reverse("atlas_ask"), {"text": "  "}, follow=True)
    assert "it was empty" in response.content.decode()
    assert not Intent.objects.exists()


def test_someone_elses_intent_in_another_division_is_not_shown(agents, owner, growth_viewer):
    owner_client = Client()
    owner_client.force_login(owner)
    owner_client.post(reverse("atlas_ask"), {"text": "we're overstocked on the blue kettle"})
    intent = Intent.objects.get()
    viewer = Client()
    viewer.force_login(growth_viewer)
    response = viewer.get(reverse("admin:index") + f"?intent={intent.pk}")
    assert response.context["intent"] is None and "You asked" not in response.content.decode()
