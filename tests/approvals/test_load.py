"""Load test: Atlas served by gunicorn on 127.0.0.1 with PostgreSQL, fifty logged-in sessions deciding
a thousand proposals through the console's real forms while a cycle runs.

Each session logs in through the admin's login form, then for each proposal of its share opens the
proposal's page, posts the page's "Approve" form (with the page's CSRF token) and follows the redirect
to the page that says how it went. One proposal in ten is in two sessions' shares, at the head of both,
so that two people approve it at the same moment: one wins, the other gets the refusal on the page.

The proposals are budget changes below the four-eyes amount, so one approval decides each; their
execution is queued (no worker runs here): this measures deciding, not the peers' effects.

Figures (requests, p50/p95/max latency, requests per second) are printed and written to
var/load-test.json; the README's "Reliability" section quotes them.
"""

from __future__ import annotations

import collections
import html
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path
from typing import IO

import pytest
from django.db import connection, transaction

from agents.models import Cycle, CycleStatus
from agents.runtime.services import cycle_start
from approvals.models import Decision, ProposedAction, Status, Verdict
from approvals.services import proposal_create
from brand.models import AdCampaign
from divisions.models import Division, Role
from tests.factories import MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
PROPOSALS = 1000
SESSIONS = 50
DIVISIONS = 5
RACED_EVERY = 10  # one proposal in ten is decided by two sessions at once
PASSWORD = "pw-atlas-test"  # tests.factories.UserFactory's
DEADLINE_SECONDS = 150  # the whole run stops here, finished or not
REPORT = ROOT / "var" / "load-test.json"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MESSAGE = re.compile(r'<li class="(success|error|warning|info)">(.*?)</li>', re.S)


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int, log: IO[bytes]) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.approvals.load_settings",
        "DATABASE_URL": _database_url(),
    }
    if connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]
    # Two cores: two worker processes of four threads each.
    command = [sys.executable, "-m", "gunicorn", "atlas_project.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"]
    command += ["--threads", "4", "--timeout", "60", "--graceful-timeout", "10"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_until_serving(base: str, proc: subprocess.Popen, log_path: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"gunicorn exited:\n{Path(log_path).read_text()[-4000:]}"
        try:
            urllib.request.urlopen(f"{base}/admin/login/", timeout=2).read()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer within 30 s:\n{Path(log_path).read_text()[-4000:]}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Every request is measured on its own; the session follows a redirect as the next request.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


class Session:
    """One person's browser: a cookie jar, and every request's status and latency recorded."""

    def __init__(self, base: str, samples: list, statuses: collections.Counter, lock: threading.Lock) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect)
        self.samples = samples
        self.statuses = statuses
        self.lock = lock

    def request(self, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """(status, body, Location) of one request; a 3xx is returned, not followed."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data)
        if data is not None:
            req.add_header("Referer", self.base + path)
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as response:
                status, body, location = response.status, response.read().decode(), ""
        except urllib.error.HTTPError as exc:
            status, body, location = exc.code, exc.read().decode(errors="replace"), exc.headers.get("Location", "")
        elapsed = time.perf_counter() - started
        with self.lock:
            self.samples.append(elapsed)
            self.statuses[status] += 1
        return status, body, location

    def login(self, username: str) -> None:
        status, body, _ = self.request("/admin/login/")
        assert status == 200, (username, status)
        status, body, location = self.request(
            "/admin/login/?next=/admin/",
            {"csrfmiddlewaretoken": _token(body), "username": username, "password": PASSWORD},
        )
        assert status == 302 and "/login/" not in location, f"{username} could not log in: {status}"

    def approve(self, pk: int) -> tuple[int, list[tuple[str, str]]]:
        """Open the proposal's page, post its Approve form, read the page it leads to: (the post's
        status, the messages that page shows)."""
        page = f"/admin/approvals/proposedaction/{pk}/change/"
        status, body, _ = self.request(page)
        assert status == 200, f"#{pk}: the page answered {status}"
        token = _token(body)
        status, _, location = self.request(
            f"/admin/approvals/proposedaction/{pk}/decide/", {"csrfmiddlewaretoken": token, "verdict": "approve"}
        )
        if status != 302:
            return status, []
        follow, body, _ = self.request(urllib.parse.urlsplit(location).path)
        assert follow == 200, f"#{pk}: the page after deciding answered {follow}"
        return status, [
            (kind, html.unescape(re.sub(r"<[^>]+>", "", text)).strip()) for kind, text in MESSAGE.findall(body)
        ]


def _token(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def _proposals(divisions: list[Division]) -> list[ProposedAction]:
    campaigns = AdCampaign.objects.bulk_create(
        AdCampaign(name=f"Load campaign {n}", daily_budget=Decimal("100.00")) for n in range(PROPOSALS)
    )
    # One transaction: a thousand commits would be most of the setup's time, and none of the test.
    with transaction.atomic():
        return [
            proposal_create(
                action_type="ads.set_daily_budget",
                args={"campaign_id": campaign.pk, "daily_budget": "90.00"},
                division=divisions[n % len(divisions)],
                rationale="load test",
                agent_key="growth.paid_media",
            )
            for n, campaign in enumerate(campaigns)
        ]


def _shares(proposals: list[ProposedAction], users: dict[int, list[str]]) -> dict[str, list[int]]:
    """Each user's proposals: their division's, round robin; one in ten also given to a colleague.
    The raced ones come first in both lists, so both sessions post them at about the same moment."""
    raced: dict[str, list[int]] = collections.defaultdict(list)
    own: dict[str, list[int]] = collections.defaultdict(list)
    for n, proposal in enumerate(proposals):
        colleagues = users[proposal.division_id]
        first = colleagues[(n // len(users)) % len(colleagues)]
        if n % RACED_EVERY == 0:
            second = colleagues[((n // len(users)) + 1) % len(colleagues)]
            raced[first].append(proposal.pk)
            raced[second].append(proposal.pk)
        else:
            own[first].append(proposal.pk)
    return {name: raced[name] + own[name] for name in set(raced) | set(own)}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_sessions_decide_a_thousand_proposals_through_gunicorn_while_a_cycle_runs() -> None:
    divisions = list(Division.objects.order_by("pk")[:DIVISIONS])
    users: dict[int, list[str]] = collections.defaultdict(list)
    for n in range(SESSIONS):
        d = divisions[n % len(divisions)]
        user = UserFactory(username=f"load{n:02d}")
        MembershipFactory(user=user, division=d, role=Role.APPROVER)
        users[d.pk].append(str(user.username))
    proposals = _proposals(divisions)
    ids = [p.pk for p in proposals]
    assert ProposedAction.objects.filter(pk__in=ids, status=Status.PENDING, hold_reason="").count() == PROPOSALS
    shares = _shares(proposals, users)
    assert len(shares) == SESSIONS

    samples: list[float] = []
    statuses: collections.Counter = collections.Counter()
    lock = threading.Lock()
    outcomes: dict[int, list[tuple[str, int, list]]] = collections.defaultdict(list)
    failures: list[str] = []
    stop = threading.Event()
    cycle_result: dict[str, str | int] = {}

    def decide(username: str, pks: list[int], base: str, start: threading.Barrier) -> None:
        try:
            session = Session(base, samples, statuses, lock)
            session.login(username)
            start.wait(timeout=60)
            for pk in pks:
                if stop.is_set():
                    failures.append(f"{username}: stopped at the deadline")
                    return
                status, shown = session.approve(pk)
                with lock:
                    outcomes[pk].append((username, status, shown))
        except Exception as exc:  # reported below, with the session it happened in
            failures.append(f"{username}: {exc!r}")

    def run_cycle() -> None:
        try:
            cycle = cycle_start(trigger="manual", sync=True)
            cycle_result["status"] = cycle.status
            cycle_result["pk"] = cycle.pk
        except Exception as exc:  # reported below
            cycle_result["error"] = repr(exc)
        finally:
            connection.close()

    log = tempfile.NamedTemporaryFile(prefix="atlas-load-", suffix=".log", delete=False)  # noqa: SIM115
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start_server(port, log)
    try:
        _wait_until_serving(base, proc, log.name)
        start = threading.Barrier(SESSIONS + 1)
        threads = [
            threading.Thread(target=decide, args=(name, pks, base, start), daemon=True)
            for name, pks in sorted(shares.items())
        ]
        for thread in threads:
            thread.start()
        start.wait(timeout=120)
        samples.clear()  # the figures are the deciding, not the logging in
        statuses.clear()
        began = time.perf_counter()
        cycle_thread = threading.Thread(target=run_cycle, daemon=True)
        cycle_thread.start()
        deadline = time.monotonic() + DEADLINE_SECONDS
        for thread in [*threads, cycle_thread]:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        stop.set()
        for thread in [*threads, cycle_thread]:
            thread.join(timeout=70)  # a request in flight finishes or times out
        wall = time.perf_counter() - began
        assert proc.poll() is None, f"gunicorn died:\n{Path(log.name).read_text()[-4000:]}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()

    report = {
        "machine_cores": os.cpu_count(),
        "server": "gunicorn -w 2 --threads 4, PostgreSQL",
        "sessions": SESSIONS,
        "proposals": PROPOSALS,
        "requests": len(samples),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(wall, 2),
        "requests_per_second": round(len(samples) / wall, 1),
        "latency_ms": {
            "p50": round(_percentile(samples, 0.50) * 1000, 1),
            "p95": round(_percentile(samples, 0.95) * 1000, 1),
            "max": round(max(samples) * 1000, 1),
        },
        "cycle": cycle_result.get("status", cycle_result.get("error")),
    }
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print("\nload test:", json.dumps(report))

    assert not failures, failures[:10]
    assert not [s for s in statuses if s >= 500], f"server errors: {statuses}\n{Path(log.name).read_text()[-4000:]}"
    assert set(statuses) <= {200, 302}, statuses
    assert "error" not in cycle_result, cycle_result["error"]
    assert Cycle.objects.get(pk=cycle_result["pk"]).status == CycleStatus.DONE

    # Every proposal decided exactly once: approved, by one approving decision of one of its deciders.
    assert ProposedAction.objects.filter(pk__in=ids, status=Status.APPROVED).count() == PROPOSALS
    approving = collections.Counter(
        Decision.objects.filter(proposal_id__in=ids, verdict=Verdict.APPROVE).values_list("proposal_id", flat=True)
    )
    assert set(approving) == set(ids) and set(approving.values()) == {1}
    assert Decision.objects.filter(proposal_id__in=ids).exclude(verdict=Verdict.APPROVE).count() == 0

    # Each post was a redirect to the page; a race's winner reads the approval, its loser a clear refusal.
    for pk in ids:
        tries = outcomes[pk]
        assert all(status == 302 for _, status, _ in tries), (pk, tries)
        kinds = sorted(shown[0][0] for _, _, shown in tries if shown)
        assert len(kinds) == len(tries), (pk, tries)
        assert kinds.count("success") == 1, (pk, tries)
        if len(tries) == 2:
            assert kinds == ["error", "success"], (pk, tries)
            refusal = next(shown[0][1] for _, _, shown in tries if shown[0][0] == "error")
            assert f"#{pk}" in refusal or "approved" in refusal.lower(), refusal
    raced = [pk for pk in ids if len(outcomes[pk]) == 2]
    assert len(raced) == PROPOSALS // RACED_EVERY
