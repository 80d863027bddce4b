"""The morning in a real browser: the growth approver decides from Today, edits a budget, sends one back;
another division's proposal is a plain 404; Today and a proposal's page fit a phone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals.models import Decision, ProposedAction, Status
from approvals.services import proposal_hold
from brand.models import AdCampaign, PurchaseOrder
from tests.approvals.console_brand import build_morning, po_proposal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_morning_from_today_deciding_the_wins_work_in_place(page_as, live_server, growth_approver, shot):
    morning = build_morning()
    page = page_as(growth_approver)
    page.goto(live_server.url + reverse("admin:index"))
    for kind in ("win", "risk", "opportunity"):
        assert page.locator(f"section.atlas-{kind}").is_visible()
    win = page.locator("section.atlas-win")
    assert "$17,472" in win.inner_text() and "5.2x" in win.inner_text()
    shot(page, "today")
    win.locator(f'[data-proposal="{morning.win.pk}"] button[value="approve"]').click()
    expect(page.locator(".messagelist")).to_contain_text(f"Approved #{morning.win.pk}")
    assert page.url.rstrip("/").endswith("/admin")
    shot(page, "after-approve")
    assert ProposedAction.objects.get(pk=morning.win.pk).status == Status.EXECUTED
    assert AdCampaign.objects.get(name="Evergreen - Retargeting").daily_budget == Decimal("150.00")
    waiting = page.locator("#waiting").inner_text()
    assert f"#{morning.risk.pk}" in waiting and f"#{morning.win.pk}" not in waiting
    page.get_by_role("link", name="Proposals", exact=True).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("$700")  # what waits for this person, money in words
    page.get_by_role("link", name="Everything you can see").click()
    page.wait_for_url("**show=all**")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    shot(page, "list")
    visible = page.locator("#changelist .results").bounding_box()
    for column in ("held", "expires"):  # the last columns stay in view at 1366 px, without scrolling
        box = page.locator(f"#result_list th.column-{column}").bounding_box()
        assert box is not None and visible is not None
        assert box["x"] + box["width"] <= visible["x"] + visible["width"] + 1, column


def test_edit_and_approve_a_budget(page_as, live_server, growth_approver, shot):
    morning = build_morning()
    page = page_as(growth_approver)
    page.goto(live_server.url + reverse("admin:approvals_proposedaction_change", args=[morning.risk.pk]))
    assert "$200" in page.locator(".atlas-change").inner_text()  # money in the brand's currency
    shot(page, "proposal")
    page.get_by_role("link", name="Edit and approve…").click()
    page.get_by_label("Daily budget").fill("150")
    page.get_by_role("button", name="Show the change").click()
    expect(page.locator(".atlas-change")).to_contain_text("$150")
    assert "$100" in page.locator(".atlas-change").inner_text()
    shot(page, "diff")
    page.get_by_role("button", name="Confirm: approve with these changes").click()
    expect(page.locator(".messagelist")).to_contain_text("Edited and approved")
    decision = Decision.objects.get(proposal=morning.risk)
    assert decision.verdict == "edit_approve" and decision.user == growth_approver
    assert AdCampaign.objects.get(name="Spring Glow - Prospecting").daily_budget == Decimal("150.00")


def test_send_back_with_a_comment(page_as, live_server, growth_approver, shot):
    morning = build_morning()
    page = page_as(growth_approver)
    page.goto(live_server.url + reverse("admin:approvals_proposedaction_change", args=[morning.risk.pk]))
    page.get_by_label("What should the agent change?").fill("Cut to 150, not 100: it still sells.")
    page.get_by_role("button", name="Send back").click()
    expect(page.locator(".messagelist")).to_contain_text("Sent #")
    shot(page, "sent-back")
    proposal = ProposedAction.objects.get(pk=morning.risk.pk)
    assert proposal.status == Status.SENT_BACK and proposal.status_reason.startswith("Cut to 150")


def test_another_divisions_proposal_answers_a_plain_404(page_as, live_server, growth_approver):
    morning = build_morning()
    page = page_as(growth_approver)
    response = page.goto(live_server.url + reverse("admin:approvals_proposedaction_change", args=[morning.finance.pk]))
    assert response.status == 404
    assert "Perhaps it was deleted" not in page.content()


def test_today_and_a_proposal_fit_a_phone(page_as, live_server, growth_approver, shot):
    morning = build_morning()
    page = page_as(growth_approver, width=390, height=844)
    for name, url in (
        ("today", reverse("admin:index")),
        ("proposal", reverse("admin:approvals_proposedaction_change", args=[morning.win.pk])),
        ("list", reverse("admin:approvals_proposedaction_changelist")),
    ):
        page.goto(live_server.url + url)
        shot(page, name)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name}: {overflow}px of horizontal scroll at 390px"


def test_the_owner_releases_a_hold_then_approves(page_as, live_server, owner, shot):
    morning = build_morning()
    proposal_hold(proposal=morning.risk, reason="Operations says the promoted SKU runs out in 5 days")
    page = page_as(owner)
    page.goto(live_server.url + reverse("admin:approvals_proposedaction_change", args=[morning.risk.pk]))
    expect(page.locator(".atlas-facts")).to_contain_text("runs out in 5 days")
    assert page.locator('button:has-text("Approve")').count() == 0  # held work is not approvable
    page.get_by_label("Why release the hold?").fill("The restock lands tomorrow.")
    page.get_by_role("button", name="Release hold").click()
    expect(page.locator(".messagelist")).to_contain_text("Released the hold")
    shot(page, "released")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text(f"Approved #{morning.risk.pk}")
    assert ProposedAction.objects.get(pk=morning.risk.pk).status == Status.EXECUTED


def test_a_four_eyes_purchase_order_completed_by_the_finance_director(
    page_as, live_server, finance_approver, finance_director, shot
):
    proposal = po_proposal("18392.00")
    first = page_as(finance_approver)
    first.goto(live_server.url + reverse("admin:approvals_proposedaction_change", args=[proposal.pk]))
    expect(first.locator(".atlas-money")).to_contain_text("$18,392")
    assert first.locator(".atlas-cap").count() == 0  # judged against the PO limit, not the daily ad cap
    first.get_by_role("button", name="Approve", exact=True).click()
    expect(first.locator(".messagelist")).to_contain_text("still needed")
    assert ProposedAction.objects.get(pk=proposal.pk).status == Status.PENDING
    second = page_as(finance_director)
    second.goto(live_server.url + reverse("admin:approvals_proposedaction_change", args=[proposal.pk]))
    second.get_by_role("button", name="Approve", exact=True).click()
    expect(second.locator(".messagelist")).to_contain_text(f"Approved #{proposal.pk}")
    shot(second, "po-confirmed")
    assert ProposedAction.objects.get(pk=proposal.pk).status == Status.EXECUTED
    assert PurchaseOrder.objects.get(number="PO-RISK-1").status == "confirmed"


@pytest.mark.parametrize("width", [1366, 390])
def test_an_email_send_shows_what_it_spends_and_what_it_is_worth(page_as, live_server, growth_approver, shot, width):
    from approvals.services import proposal_create
    from tests.factories import CustomerFactory, OrderFactory, SegmentFactory

    segment = SegmentFactory(key="regulars", name="Regulars")
    for i in range(120):
        customer = CustomerFactory(email=f"regular{i}@example.com", accepts_marketing=i < 100)
        OrderFactory(customer=customer, total=Decimal("90.00"))
        segment.customers.add(customer)
    send = proposal_create(
        action_type="email.send_campaign",
        args={"segment": "regulars", "name": "Autumn", "subject": "Autumn is here", "body": "Hello"},
        division="growth",
        rationale="The autumn range is in.",
    )
    page = page_as(growth_approver, width=width, height=844 if width < 500 else 900)
    page.goto(live_server.url + reverse("admin:index"))
    row = page.locator("#waiting").get_by_text("$180 expected revenue")  # 100 x $90 x 2%, not "$0"
    expect(row).to_be_visible()
    page.goto(live_server.url + reverse("admin:approvals_proposedaction_change", args=[send.pk]))
    facts = page.locator(".atlas-facts").inner_text()
    assert "$0" in facts and "nothing is spent or committed" in facts
    assert "Expected revenue about $180" in facts and "100 consenting customers x $90 average order" in facts
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # nothing pushes the page sideways
    shot(page, f"email-{width}")
    expect(page.locator(".breadcrumbs")).to_contain_text(f"#{send.pk} Send 'Autumn' to Regulars (pending)")
