"""The console's Content-Security-Policy (issue 15 §11), and an admin that works under it."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from atlas_project.middleware import ContentSecurityPolicyMiddleware

POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# A script element that runs and is not loaded from a URL (a JSON data block does not run).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
FOREIGN_SOURCE = re.compile(r"<(?:script|link|img)[^>]+(?:src|href)=\"(?:https?:)?//", re.I)


def _assert_runs_under_the_policy(html: str) -> None:
    assert not INLINE_SCRIPT.findall(html), "an inline script would be blocked by script-src 'self'"
    assert not INLINE_HANDLER.findall(html), "an inline event handler would be blocked by script-src 'self'"
    assert not FOREIGN_SOURCE.findall(html), "a script, style or image from elsewhere would be blocked"


def test_every_response_carries_the_policy(client):
    assert client.get(reverse("admin:login"))["Content-Security-Policy"] == POLICY


@pytest.mark.django_db
def test_the_console_pages_need_nothing_the_policy_blocks(client, owner):
    from tests.factories import CustomerFactory, OrderFactory

    order = OrderFactory(customer=CustomerFactory())
    client.force_login(owner)
    for url in (
        reverse("admin:index"),
        reverse("admin:approvals_proposedaction_changelist"),
        reverse("admin:brand_order_changelist"),
        reverse("admin:brand_order_change", args=[order.pk]),
        reverse("admin:brand_order_history", args=[order.pk]),
        reverse("admin:memory_memoryentry_add"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == POLICY
        _assert_runs_under_the_policy(response.content.decode())


def test_the_checker_sees_what_the_policy_would_block():
    with pytest.raises(AssertionError):
        _assert_runs_under_the_policy("<script>alert(1)</script>")
    with pytest.raises(AssertionError):
        _assert_runs_under_the_policy('<a href="#" onclick="go()">x</a>')
    with pytest.raises(AssertionError):
        _assert_runs_under_the_policy('<script src="https://cdn.example.com/x.js"></script>')
    _assert_runs_under_the_policy('<script src="/static/admin/js/core.js"></script>')
    _assert_runs_under_the_policy('<script id="d" type="application/json">{}</script>')


def test_a_view_that_sets_its_own_policy_keeps_it():
    def view(request):
        response = HttpResponse("ok")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = ContentSecurityPolicyMiddleware(view)(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'"
