"""Approving from e-mail: GET shows and changes nothing, POST decides once, reuse and expiry refused."""

from __future__ import annotations

import pytest
from django.test import Client

from approvals.links import approval_link, read_token
from approvals.models import Decision, LinkUse, ProposedAction, Status

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
