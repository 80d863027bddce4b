"""The console at a year of work (issue 13 item 9): Today, the proposal list (default and filtered), a
proposal's page and the memory list, as the growth approver and as the owner, at 100 proposals and at
the scale's count.

Pages are fetched in-process through Django's test client with a signed-in session (the whole
request: middleware, admin, templates), after a warm-up; each figure's samples are the repeats' p95
over a round of requests. The query count of a page must not grow with the data: each count figure
carries the small size's count and misses its goal when the two differ.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import ProposedAction, Status
from bench.console_data import Brand, owner_and_approver, year_of_work
from bench.harness import BenchContext, Figure, Goal, repeat

KEYS = ("console_p95_ms", "console_queries")
SMALL = 100
REQUESTS_PER_SAMPLE = 20  # one sample is the p95 of this many requests
P95_GOAL = Goal("<", 150, "p95 under 150 ms")
MAX_QUERIES = 15


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[], str]


def console_pages(proposal_pk: int) -> list[Page]:
    """The pages people work on, as they open them."""
    changelist = reverse("admin:approvals_proposedaction_changelist")
    return [
        Page("Today", lambda: reverse("admin:index")),
        Page("proposal list", lambda: changelist),
        Page("proposal list, executed spend", lambda: f"{changelist}?show=all&status=executed&category=spend"),
        Page("proposal page", lambda: reverse("admin:approvals_proposedaction_change", args=[proposal_pk])),
        Page("memory list", lambda: reverse("admin:memory_memoryentry_changelist")),
    ]


def measured_proposal() -> int:
    """A pending, held growth proposal with decisions, evidence and a bundle: the busiest page both people see."""
    growth = ProposedAction.objects.filter(division__slug="growth", status=Status.PENDING)
    chosen = growth.exclude(hold_reason="").order_by("pk").first() or growth.order_by("pk").first()
    if chosen is None:
        raise RuntimeError("the seeded data has no pending growth proposal to open")
    return chosen.pk


def signed_in_client(user: Any) -> Client:
    host = next((h for h in settings.ALLOWED_HOSTS if h not in ("*", "") and not h.startswith(".")), "localhost")
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client


def fetch(client: Client, url: str) -> int:
    """Fetch a page and return its query count; a page that does not answer 200 stops the benchmark."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, not 200")
    return len(captured.captured_queries)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def _timed_round(client: Client, url: str) -> float:
    timings = []
    for _ in range(REQUESTS_PER_SAMPLE):
        started = time.perf_counter()
        response = client.get(url, secure=True)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}, not 200")
    return _p95(timings)


def _progress(ctx: BenchContext, total: int, done: int) -> None:
    ctx.log(f"console: seeded {done:,}/{total:,}")


def _analyse() -> None:
    # Fresh statistics after a bulk load, as the importer does: the planner picks indexes on them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def run(ctx: BenchContext, keys: frozenset[str]) -> list[Figure]:
    big = max(ctx.scale.proposals, SMALL)
    brand: Brand | None = None
    figures: list[Figure] = []
    small_queries: dict[tuple[str, str], int] = {}
    for size in (SMALL, big):
        have = ProposedAction.objects.count()
        ctx.log(f"console: seeding {size - have:,} proposals (to {size:,})")
        brand = year_of_work(size - have, brand=brand, progress=partial(_progress, ctx, size - have))
        _analyse()
        owner, approver = owner_and_approver()
        proposal_pk = measured_proposal()
        for who, user in (("growth approver", approver), ("owner", owner)):
            client = signed_in_client(user)
            for page in console_pages(proposal_pk):
                url = page.url()
                label = f"{page.name}, {who}, {size:,} proposals"
                # The first visit fills process-wide caches (content types, templates) a person's
                # later visits find full: the count is the second visit's.
                count = [fetch(client, url) for _ in range(2)][-1]
                if "console_queries" in keys:
                    figures.append(_queries_figure(label, count, small_queries, (page.name, who), size))
                if "console_p95_ms" in keys:
                    samples = repeat(ctx, partial(_timed_round, client, url))
                    figures.append(
                        Figure(
                            key="console_p95_ms",
                            label=label,
                            unit="ms",
                            samples=samples,
                            goal=P95_GOAL,
                            detail={"url": url, "requests_per_sample": REQUESTS_PER_SAMPLE, "queries": count},
                        )
                    )
                ctx.log(f"console: {label}: {count} queries")
    return figures


def _queries_figure(
    label: str, count: int, small_queries: dict[tuple[str, str], int], which: tuple[str, str], size: int
) -> Figure:
    """At most 15 queries, and at the big size the same number as at the small one: a target of the
    small count when it is lower, so a count that grew with the data misses its goal."""
    if size == SMALL:
        small_queries[which] = count
        return Figure("console_queries", label, "queries", [count], Goal("<=", MAX_QUERIES, "at most 15 queries"))
    small = small_queries[which]
    target = min(MAX_QUERIES, small)
    text = f"at most 15 queries, the same at {SMALL} proposals ({small})"
    goal = Goal("<=", target, text) if count >= small else Goal(">=", small, text)
    return Figure("console_queries", label, "queries", [count], goal, detail={f"queries_at_{SMALL}": small})
