"""Approving from e-mail: GET shows and changes nothing, POST decides once, reuse and expiry refused; a link
that cannot decide says why, and stays usable where it still can."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from approvals.links import approval_link, read_token
from approvals.models import Decision, LinkUse, ProposedAction, Status
from approvals.services import proposal_hold, proposal_reject, proposal_release

from .factories import budget_proposal

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.fixture
def browser(growth_approver):
    client = Client(enforce_csrf_checks=True)
    client.force_login(growth_approver)
    return client


def _csrf(client, path):
    response = client.get(path)
    return response, response.cookies["csrftoken"].value


def test_link_is_absolute_and_signed(campaign, growth_approver, settings):
    settings.ATLAS_SITE_URL = "https://atlas.example.com"
    proposal = budget_proposal(campaign)
    url = approval_link(proposal, growth_approver, "approve")
    assert url.startswith("https://atlas.example.com/approvals/link/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert read_token(token)["p"] == proposal.pk


def test_get_shows_and_changes_nothing_post_decides_once(campaign, growth_approver, browser, committed):
    proposal = budget_proposal(campaign)
    path = _path(approval_link(proposal, growth_approver, "approve"))
    anonymous = Client().get(path)  # a mail scanner
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    response, csrf = _csrf(browser, path)
    assert response.status_code == 200
    assert b"Daily budget of Spring Sale (Meta): $120 -&gt; $80" in response.content
    assert ProposedAction.objects.get(pk=proposal.pk).status == Status.PENDING
    assert not Decision.objects.exists() and not LinkUse.objects.exists()
    assert browser.post(path, {}).status_code == 403  # no CSRF token
    response = committed(browser.post, path, {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 200 and b"Done" in response.content
    proposal.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    assert Decision.objects.get(proposal=proposal).via == "link"
    again = browser.post(path, {"csrfmiddlewaretoken": csrf})
    assert again.status_code == 410 and b"used already" in again.content
    assert Decision.objects.count() == 1


def test_expired_or_forged_link_is_refused(campaign, growth_approver, browser, monkeypatch):
    proposal = budget_proposal(campaign)
    path = _path(approval_link(proposal, growth_approver, "approve"))
    import approvals.links as links

    monkeypatch.setattr(links, "MAX_AGE_SECONDS", -1)
    monkeypatch.setattr(links.read_token, "__kwdefaults__", {"max_age": -1})
    response = browser.get(path)
    assert response.status_code == 410 and b"expired" in response.content
    forged = path.replace(path.split("/")[-2], path.split("/")[-2][:-2] + "xx")
    monkeypatch.undo()
    assert browser.get(forged).status_code == 410
    assert ProposedAction.objects.get(pk=proposal.pk).status == Status.PENDING


def test_link_for_someone_else_is_refused(campaign, growth_director, browser):
    proposal = budget_proposal(campaign)
    path = _path(approval_link(proposal, growth_director, "approve"))
    response, csrf = _csrf(browser, path)
    assert response.status_code == 403
    assert browser.post(path, {"csrfmiddlewaretoken": csrf}).status_code == 403
    assert not Decision.objects.exists()


def test_reject_link_needs_the_reason_and_goes_through_the_service(campaign, growth_approver, browser):
    proposal = budget_proposal(campaign)
    path = _path(approval_link(proposal, growth_approver, "reject"))
    _response, csrf = _csrf(browser, path)
    response = browser.post(path, {"csrfmiddlewaretoken": csrf, "comment": "Not during the launch"})
    assert response.status_code == 200
    proposal.refresh_from_db()
    assert (proposal.status, proposal.status_reason) == (Status.REJECTED, "Not during the launch")


def test_a_reject_link_asks_for_the_reason_and_a_blank_one_leaves_it_usable(campaign, growth_approver, browser):
    proposal = budget_proposal(campaign)
    path = _path(approval_link(proposal, growth_approver, "reject"))
    response, csrf = _csrf(browser, path)
    assert response.status_code == 200 and b'name="comment"' in response.content and b"Reason" in response.content
    blank = browser.post(path, {"csrfmiddlewaretoken": csrf, "comment": "  "})
    assert blank.status_code == 400 and b"needs a reason" in blank.content and b"still usable" in blank.content
    assert b'name="comment"' in blank.content  # the form again
    assert ProposedAction.objects.get(pk=proposal.pk).status == Status.PENDING
    assert not LinkUse.objects.exists() and not Decision.objects.exists()
    response = browser.post(path, {"csrfmiddlewaretoken": csrf, "comment": "Not during the launch"})
    assert response.status_code == 200 and b"Done" in response.content
    assert LinkUse.objects.get().decision == Decision.objects.get(proposal=proposal)


def test_a_held_proposal_says_so_and_its_link_works_once_released(
    campaign, growth_approver, growth_director, browser, committed
):
    proposal = budget_proposal(campaign)
    proposal_hold(proposal=proposal, reason="Operations: stock runs out in 5 days")
    path = _path(approval_link(proposal, growth_approver, "approve"))
    response, csrf = _csrf(browser, path)
    assert response.status_code == 200
    assert b"on hold (Operations: stock runs out in 5 days)" in response.content
    assert b"Confirm" not in response.content  # nothing to press while held
    refused = browser.post(path, {"csrfmiddlewaretoken": csrf})
    assert refused.status_code == 409 and b"on hold" in refused.content
    assert not LinkUse.objects.exists() and not Decision.objects.exists()
    proposal_release(proposal=proposal, user=growth_director, reason="stock arrived")
    response = committed(browser.post, path, {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 200 and b"Done" in response.content
    assert ProposedAction.objects.get(pk=proposal.pk).status == Status.EXECUTED


def test_a_decided_proposal_says_which_decision_and_by_whom(campaign, growth_approver, growth_director, browser):
    proposal = budget_proposal(campaign)
    path = _path(approval_link(proposal, growth_approver, "approve"))
    proposal_reject(proposal=proposal, user=growth_director, reason="We keep the budget until Monday")
    response, csrf = _csrf(browser, path)
    assert response.status_code == 200
    page = response.content.decode()
    assert "decided already: rejected by user:growth_director" in page
    assert "(We keep the budget until Monday); it is now rejected" in page
    assert "Confirm" not in page
    assert browser.post(path, {"csrfmiddlewaretoken": csrf}).status_code == 409
    assert Decision.objects.filter(proposal=proposal).count() == 1 and not LinkUse.objects.exists()


def test_an_expired_or_stale_proposal_says_so(campaign, growth_approver, browser):
    expired = budget_proposal(campaign)
    ProposedAction.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = browser.get(_path(approval_link(expired, growth_approver, "approve")))
    assert b"expired at" in response.content and b"can no longer be decided" in response.content
    stale = budget_proposal(campaign, "60.00")
    campaign.daily_budget = Decimal("150.00")
    campaign.save()
    path = _path(approval_link(stale, growth_approver, "approve"))
    response, csrf = _csrf(browser, path)
    assert b"Confirm" in response.content  # the drift is found when someone decides, not on GET
    refused = browser.post(path, {"csrfmiddlewaretoken": csrf})
    assert refused.status_code == 409 and b"went stale" in refused.content
    assert ProposedAction.objects.get(pk=stale.pk).status == Status.STALE
    assert not LinkUse.objects.exists()


def test_a_used_link_says_what_it_decided(campaign, growth_approver, browser, committed):
    proposal = budget_proposal(campaign)
    path = _path(approval_link(proposal, growth_approver, "send_back"))
    _response, csrf = _csrf(browser, path)
    committed(browser.post, path, {"csrfmiddlewaretoken": csrf, "comment": "Try 90 instead"})
    again = browser.get(path)
    assert again.status_code == 410
    assert b"used already: user:growth_approver send back" in again.content


def test_the_requester_gets_no_approval_from_their_own_link(campaign, growth_approver, browser):
    proposal = budget_proposal(campaign, proposed_by=growth_approver)
    path = _path(approval_link(proposal, growth_approver, "approve"))
    response, csrf = _csrf(browser, path)
    assert b"You asked for this work" in response.content and b"Confirm" not in response.content
    assert browser.post(path, {"csrfmiddlewaretoken": csrf}).status_code == 409
    assert not Decision.objects.exists() and not LinkUse.objects.exists()
