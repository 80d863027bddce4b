"""The browser: Debian's chromium driven by Playwright against pytest-django's live server.

Each test signs its persona in by a session cookie (the login form is Django's own) and saves its
screenshots under var/screenshots/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture(autouse=True)
def _console_settings(settings):
    settings.ATLAS_EXECUTE_SYNC = True
    settings.ATLAS_FOUR_EYES_AMOUNT = Decimal("1000")
    settings.ATLAS_WEBHOOK_URL = ""


@pytest.fixture(scope="module")
def browser(django_db_setup) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread while the browser is open; the tests'
    # own ORM calls are still plain synchronous code, so Django's guard against ORM use inside a
    # loop does not apply to them. Module scope: the loop and the variable end with the browser
    # tests, before any other test (or a subprocess such as `check --deploy`) could inherit them.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page_as(browser, live_server) -> Iterator[Callable[..., object]]:
    """page_as(user, width=1366, height=900): a page signed in as the user, at that viewport."""
    contexts = []

    def open_as(user, width: int = 1366, height: int = 900):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        context = browser.new_context(viewport={"width": width, "height": height})
        context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]  # type: ignore[attr-defined]
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request) -> Callable[[object, str], Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
