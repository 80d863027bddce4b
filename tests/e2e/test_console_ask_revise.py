"""In a real browser: the Ask box routes a request to a division and shows what its specialists proposed;
a proposal sent back comes back as a revision that says what changed, both ends linked."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_q.conf import Conf
from playwright.sync_api import expect

from agents.models import Intent
from agents.runtime.base import RunContext, Specialist
from approvals.models import ProposedAction, Status
from tests.agents.conftest import _isolated_registry
from tests.agents.orchestrator.factories import demo_names
from tests.approvals.console_brand import build_morning

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class OverstockWatch(Specialist):
    key = "product.test_e2e_overstock"
    division = "product"
    name = "Overstock watch (browser test)"
    description = "Refund rates and returns per product; overstock and slow movers."

    def run(self, ctx: RunContext) -> None:
        ctx.propose(
            "test.set_budget",
            {"campaign_id": 1, "daily_budget": "10"},
            rationale="Asked to clear the blue kettle's overstock.",
            confidence=0.7,
        )


@pytest.fixture
def product_agents(transactional_db):
    for use in _isolated_registry():
        use(OverstockWatch)
        demo_names()
        yield


@pytest.fixture
def revisions_inline(monkeypatch):
    # django-q2 runs the queued revision run in-process (in the live server's thread) when SYNC is on.
    monkeypatch.setattr(Conf, "SYNC", True)


def test_the_ask_box_routes_a_request_and_shows_its_proposals(page_as, live_server, owner, product_agents, shot):
    page = page_as(owner)
    page.goto(live_server.url + reverse("admin:index"))
    page.get_by_label("What do you want done?").fill("we're overstocked on the blue kettle")
    shot(page, "ask")
    page.get_by_role("button", name="Ask", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("Asked Product: 1 proposal came back.")
    asked = page.locator("#asked")
    expect(asked).to_contain_text("we're overstocked on the blue kettle")
    expect(asked).to_contain_text("Routed to Product")
    intent = Intent.objects.get()
    proposal = ProposedAction.objects.get(agent_run__intent=intent)
    assert proposal.agent_key == OverstockWatch.key and intent.user == owner
    shot(page, "asked")
    asked.locator(f'a[href="{reverse("admin:approvals_proposedaction_change", args=[proposal.pk])}"]').first.click()
    expect(page.locator(".atlas-proposal")).to_contain_text("Asked to clear the blue kettle's overstock.")


def test_send_back_and_find_the_revision_with_what_changed(
    page_as, live_server, growth_approver, revisions_inline, shot
):
    morning = build_morning()  # the risk: Spring Glow's budget $200 -> $100, by growth.paid_media
    page = page_as(growth_approver)
    page.goto(live_server.url + reverse("admin:approvals_proposedaction_change", args=[morning.risk.pk]))
    page.get_by_label("What should the agent change?").fill("Cut to $150 instead: it still sells.")
    page.get_by_role("button", name="Send back", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text(f"Sent #{morning.risk.pk}")

    revision = ProposedAction.objects.get(revision_of=morning.risk)
    assert revision.status == Status.PENDING
    assert revision.args["daily_budget"] == "150.00"
    page.reload()
    linked = page.get_by_role("link", name=f"#{revision.pk}", exact=False)
    expect(linked.first).to_be_visible()
    expect(page.locator(".atlas-proposal")).to_contain_text(f"Revised as #{revision.pk}")
    shot(page, "original")
    linked.first.click()

    why = page.locator(".atlas-proposal")
    expect(why).to_contain_text("Revised after the comment “Cut to $150 instead: it still sells.”: daily budget $100")
    expect(why).to_contain_text("→ $150")
    expect(why).to_contain_text(f"Revision of #{morning.risk.pk}")
    shot(page, "revision")
