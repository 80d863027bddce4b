"""The console under its Content-Security-Policy in a real browser (Debian's chromium through
Playwright): the login, the proposals' list with its actions and a proposal's page run without one
violation of the policy, and the admin's own scripts do run (issue 15 §11)."""

from __future__ import annotations

import shutil

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "csp-browser-password-42"


def test_the_console_runs_under_its_policy_in_a_browser(live_server, campaign_proposal):
    from playwright.sync_api import sync_playwright

    violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
            )
            response = page.goto(f"{live_server.url}/admin/login/?next=/admin/")
            assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
            page.fill("#id_username", "csp_owner")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")
            page.goto(f"{live_server.url}/admin/approvals/proposedaction/")
            # The admin's actions.js (a script from 'self') runs: ticking a row counts the selection.
            page.check("input.action-select")
            assert "1 of" in page.inner_text(".action-counter")
            page.goto(f"{live_server.url}/admin/approvals/proposedaction/{campaign_proposal}/change/")
            assert page.locator("#content").count() == 1
        finally:
            browser.close()
    assert violations == []


@pytest.fixture
def campaign_proposal(db) -> int:
    from tests.approvals.factories import budget_proposal
    from tests.factories import AdCampaignFactory, UserFactory

    user = UserFactory(username="csp_owner", is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return budget_proposal(AdCampaignFactory(name="CSP campaign")).pk
