"""The console's pages ask the database a fixed number of times, whatever the number of proposals.

Measured on the benchmark's own data (a year of work in small: every status, holds, bundles,
revisions, decisions, executions, evidence), as the growth approver and as the owner. A per-row
query (a currency, a division, a permission asked per proposal) makes the counts differ between
10 and 60 proposals and fails here; the benchmark measures the time, not this test.
"""

from __future__ import annotations

import pytest

from bench.console_data import owner_and_approver, year_of_work
from bench.harness import Goal
from bench.parts.console import MAX_QUERIES, console_pages, fetch, measured_proposal, signed_in_client
from bench.parts.console import _queries_figure as queries_figure

pytestmark = pytest.mark.django_db


def _counts() -> dict[tuple[str, str], int]:
    owner, approver = owner_and_approver()
    pages = console_pages(measured_proposal())
    counts = {}
    for who, user in (("growth approver", approver), ("owner", owner)):
        client = signed_in_client(user)
        for page in pages:
            fetch(client, page.url())  # the first visit fills caches a person's later visits find full
            counts[(page.name, who)] = fetch(client, page.url())
    return counts


def test_each_page_takes_at_most_15_queries_and_the_same_at_10_and_60_proposals() -> None:
    brand = year_of_work(10)
    small = _counts()
    year_of_work(50, brand=brand)
    large = _counts()
    assert len(small) == 10
    over = {page: n for page, n in large.items() if n > MAX_QUERIES}
    assert not over, f"more than {MAX_QUERIES} queries: {over}"
    grew = {page: (small[page], large[page]) for page in small if small[page] != large[page]}
    assert not grew, f"query counts changed with the number of proposals (10 -> 60): {grew}"


def test_the_query_figure_misses_its_goal_when_the_count_grew_or_passed_15() -> None:
    which = ("proposal list", "owner")
    seen: dict[tuple[str, str], int] = {}
    first = queries_figure("list at 100", 9, seen, which, 100)
    assert first.met is True
    assert queries_figure("list at 100,000", 9, seen, which, 100_000).met is True
    grown = queries_figure("list at 100,000", 10, seen, which, 100_000)
    assert grown.met is False
    assert grown.detail == {"queries_at_100": 9}
    assert queries_figure("list at 100,000", 8, seen, which, 100_000).met is False
    seen[which] = 16
    assert queries_figure("list at 100,000", 16, seen, which, 100_000).met is False


def test_a_goal_says_by_how_much_it_was_missed() -> None:
    goal = Goal("<", 150, "p95 under 150 ms")
    assert goal.missed_by(120) == ""
    assert goal.missed_by(207) == "+38% over"
    assert Goal(">=", 50, "at least 50").missed_by(44) == "12% short"
