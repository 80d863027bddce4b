"""recall(): relevance and recency ranking, filters, superseded values left out; same tests on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from memory.errors import InvalidMemory
from memory.selectors import recall
from memory.services import remember
from tests.memory.factories import run_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_media():
    return run_of("growth.paid_media")


def days_ago(n: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


def test_finds_relevant_entries_and_not_unrelated_ones(paid_media):
    hit = remember(text="Spring Sale campaign on Meta has a weak ROAS of 0.8", author_run=paid_media)
    remember(text="Supplier Acme confirmed the purchase order for cutting boards", author_run=paid_media)
    found = recall("ROAS spring sale")
    assert [e.pk for e in found] == [hit.pk]


def test_stemming_and_key_words_match(paid_media):
    entry = remember(key="sku:HP-104:days_of_cover", text="Five days left", author_run=paid_media)
    assert [e.pk for e in recall("cover days")] == [entry.pk]
    assert [e.pk for e in recall("HP-104")] == [entry.pk]
    words = remember(text="Customers complained about shipping delays", author_run=paid_media)
    assert words.pk in [e.pk for e in recall("complaint delayed")]


def test_more_relevant_ranks_first_when_equally_recent(paid_media):
    when = days_ago(1)
    weak = remember(text="Budget review next week; also mentions discount once", author_run=paid_media, valid_from=when)
    strong = remember(
        subject="discount policy",
        text="Discount discount: no discount above 20 percent this quarter",
        author_run=paid_media,
        valid_from=when,
    )
    assert [e.pk for e in recall("discount")] == [strong.pk, weak.pk]


def test_recent_beats_old_when_equally_relevant(paid_media):
    old = remember(text="Email open rate dropped", author_run=paid_media, valid_from=days_ago(120))
    new = remember(text="Email open rate dropped", author_run=paid_media, valid_from=days_ago(2))
    assert [e.pk for e in recall("email open rate")] == [new.pk, old.pk]


def test_filters_by_division_and_kind_and_limit(paid_media):
    ops = run_of("operations.inventory", "operations")
    growth_obs = remember(text="stockout risk for kettles", author_run=paid_media, division="growth")
    ops_obs = remember(text="stockout risk for kettles confirmed", author_run=ops, division="operations")
    ops_insight = remember(text="kettles stockout in five days", author_run=ops, division="operations", kind="insight")
    assert {e.pk for e in recall("kettles stockout", division="operations")} == {ops_obs.pk, ops_insight.pk}
    assert [e.pk for e in recall("kettles stockout", kinds=["insight"])] == [ops_insight.pk]
    assert [e.pk for e in recall("kettles stockout", division="growth")] == [growth_obs.pk]
    assert len(recall("kettles stockout", limit=2)) == 2


def test_superseded_values_are_not_recalled(paid_media):
    old = remember(key="campaign:12:roas_7d", text="ROAS 7d is 2.4", data={"value": 2.4}, author_run=paid_media)
    new = remember(key="campaign:12:roas_7d", text="ROAS 7d is 1.1", data={"value": 1.1}, author_run=paid_media)
    found = [e.pk for e in recall("roas")]
    assert new.pk in found and old.pk not in found


def test_recalled_entries_say_when_in_conflict(paid_media):
    remember(key="campaign:12:roas_7d", text="ROAS 7d is 2.4", data={"value": 2.4}, author_run=paid_media)
    remember(
        key="campaign:12:roas_7d",
        text="ROAS 7d is 1.1",
        data={"value": 1.1},
        author_run=run_of("finance.margin", "finance"),
    )
    (entry,) = recall("roas")
    assert entry.in_conflict is True


def test_query_syntax_is_not_interpreted(paid_media):
    entry = remember(text="Refund rate is high on order #1042", author_run=paid_media)
    for query in ['refund" OR *', "refund & | ! (", "NEAR(refund", "refund:*"]:
        assert [e.pk for e in recall(query)] == [entry.pk]
    assert recall("") == []
    assert recall("!!! ???") == []


def test_unknown_kind_or_division_is_an_error():
    with pytest.raises(InvalidMemory, match="kinds="):
        recall("x", kinds=["rumour"])
    with pytest.raises(InvalidMemory, match="division="):
        recall("x", division="astrology")


def test_constant_number_of_queries(paid_media):
    for n in range(30):
        remember(text=f"Weekly note {n} about returns and refunds", author_run=paid_media)
    with CaptureQueriesContext(connection) as small:
        recall("refunds")
    for n in range(300):
        remember(text=f"Another note {n} about returns and refunds", author_run=paid_media)
    with CaptureQueriesContext(connection) as large:
        assert len(recall("refunds", limit=10)) == 10
    assert len(small.captured_queries) == len(large.captured_queries) == 2
