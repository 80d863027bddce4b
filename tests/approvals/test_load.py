"""Load test: Atlas served by gunicorn on 127.0.0.1 with PostgreSQL, fifty logged-in sessions deciding
a thousand proposals through the console's real forms while a cycle runs.

Each session logs in through the admin's login form, then for each proposal of its share opens the
proposal's page, posts the page's "Approve" form (with the page's CSRF token) and follows the redirect
to the page that says how it went. One proposal in ten is in two sessions' shares, at the head of both,
so that two people approve it at the same moment: one wins, the other gets the refusal on the page.

The proposals are budget changes below the four-eyes amount, so one approval decides each. A real
2-worker qcluster executes them as they are approved, on the suite's broker (ORM, or Redis when
REDIS_URL is set): when the deciding is over and the cluster has caught up, every proposal has been
executed exactly once (one successful execution, one effects-ledger entry, one change of its
campaign's budget).

Figures (requests, p50/p95/max latency, requests per second, executions) are printed and written to
var/load-test.json; the README's "Reliability" section quotes them.
"""

from __future__ import annotations

import collections
import html
import json
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from agents.models import Cycle, CycleStatus
from agents.runtime.services import cycle_start
from approvals.executor import idempotency_key_for
from approvals.models import Decision, Execution, ProposedAction, Status, Verdict
from bench.parts.execution import BUDGET_AFTER, budget_proposals
from bench.servers import database_url_for, gunicorn, qcluster
from brand.models import AdCampaign, AppliedAction
from divisions.models import Division, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]
PROPOSALS = 1000
SESSIONS = 50
DIVISIONS = 5
RACED_EVERY = 10  # one proposal in ten is decided by two sessions at once
PASSWORD = "pw-atlas-test"  # tests.factories.UserFactory's
# Safety stops, not timings (the figures are reported, never asserted): far above what a quiet 2-core
# machine takes (about 60 s of deciding), so a loaded machine is slower, not failing.
DEADLINE_SECONDS = 600  # the deciding stops here, finished or not
EXECUTION_WAIT_SECONDS = 300  # then the cluster has this long to execute what is left
WORKERS = 2
REPORT = ROOT / "var" / "load-test.json"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MESSAGE = re.compile(r'<li class="(success|error|warning|info)">(.*?)</li>', re.S)


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
    proposals = budget_proposals(PROPOSALS, divisions=divisions, rationale="load test")
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

    database_url = database_url_for(connection.settings_dict)
    broker = "redis" if django_settings.REDIS_URL else "orm"
    # The web processes queue each approval's execution on their cluster name; the cluster reads that
    # queue. A name of this run's own: nothing earlier tests left in a shared broker is in the way.
    queue = f"atlas-load-{os.getpid()}"
    with (
        qcluster(
            database_url=database_url,
            broker=broker,
            redis_url=django_settings.REDIS_URL,
            settings="tests.settings",
            name=queue,
            workers=WORKERS,
        ) as cluster,
        gunicorn(
            database_url=database_url,
            settings="tests.approvals.load_settings",
            workers=2,
            threads=4,
            env={"Q_CLUSTER_NAME": queue},
        ) as server,
    ):
        base = server.base_url
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
        assert server.alive(), f"gunicorn died:\n{server.log_tail()}"
        # The cluster catches up with the approvals it has not executed yet.
        unfinished = ProposedAction.objects.filter(pk__in=ids, status__in=[Status.APPROVED, Status.EXECUTING])
        wait_until = time.monotonic() + EXECUTION_WAIT_SECONDS
        while unfinished.exists() and time.monotonic() < wait_until:
            cluster.check_alive()
            time.sleep(0.2)
        executed_after = time.perf_counter() - began
        server_log, cluster_log = server.log_tail(), cluster.log_tail()

    executed = ProposedAction.objects.filter(pk__in=ids, status=Status.EXECUTED).count()
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
        "execution": f"qcluster, {WORKERS} workers, {broker} broker",
        "executed": executed,
        "executed_within_seconds": round(executed_after, 2),
        "executions_per_second": round(executed / executed_after, 1),
    }
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print("\nload test:", json.dumps(report))

    assert not failures, failures[:10]
    assert not [s for s in statuses if s >= 500], f"server errors: {statuses}\n{server_log}"
    assert set(statuses) <= {200, 302}, statuses
    assert "error" not in cycle_result, cycle_result["error"]
    assert Cycle.objects.get(pk=cycle_result["pk"]).status == CycleStatus.DONE

    # Every proposal decided exactly once: by one approving decision of one of its deciders.
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

    # Every approved proposal executed exactly once: one successful execution, one entry in the effects
    # ledger, one change of its campaign's budget.
    left = collections.Counter(ProposedAction.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert left == {Status.EXECUTED: PROPOSALS}, f"not all executed: {left}\n{cluster_log}"
    runs = collections.Counter(
        Execution.objects.filter(proposal_id__in=ids, ok=True).values_list("proposal_id", flat=True)
    )
    assert set(runs) == set(ids) and set(runs.values()) == {1}
    keys = {idempotency_key_for(pk) for pk in ids}
    ledger = collections.Counter(AppliedAction.objects.filter(key__in=keys).values_list("key", flat=True))
    assert set(ledger) == keys and set(ledger.values()) == {1}
    campaigns = AdCampaign.objects.filter(pk__in=[p.args["campaign_id"] for p in proposals])
    assert set(campaigns.values_list("daily_budget", flat=True)) == {BUDGET_AFTER}
    changes = collections.Counter(
        AdCampaign.history.filter(id__in=campaigns.values("pk"), history_type="~").values_list("id", flat=True)
    )
    assert len(changes) == PROPOSALS and set(changes.values()) == {1}, "each budget changed once"
