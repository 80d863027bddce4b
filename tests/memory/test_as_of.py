"""as_of(): what a key said at a point in time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from memory.selectors import as_of
from memory.services import remember
from tests.memory.factories import run_of

pytestmark = pytest.mark.django_db

KEY = "campaign:12:roas_7d"


def test_as_of_walks_the_chain():
    run = run_of("growth.paid_media")
    now = timezone.now()
    day = dt.timedelta(days=1)
    first = remember(key=KEY, text="ROAS 2.4", data={"value": 2.4}, author_run=run, valid_from=now - 10 * day)
    second = remember(key=KEY, text="ROAS 1.9", data={"value": 1.9}, author_run=run, valid_from=now - 5 * day)
    third = remember(key=KEY, text="ROAS 1.1", data={"value": 1.1}, author_run=run, valid_from=now - 1 * day)
    assert as_of(KEY, now - 11 * day) is None
    assert as_of(KEY, now - 10 * day).pk == first.pk
    assert as_of(KEY, now - 6 * day).pk == first.pk
    assert as_of(KEY, now - 5 * day).pk == second.pk
    assert as_of(KEY, now - 2 * day).pk == second.pk
    assert as_of(KEY, now).pk == third.pk
    assert as_of("campaign:99:roas_7d", now) is None


def test_as_of_respects_valid_until():
    run = run_of("growth.paid_media")
    now = timezone.now()
    day = dt.timedelta(days=1)
    entry = remember(key=KEY, text="ROAS 2.4", author_run=run, valid_from=now - 10 * day, valid_until=now - 8 * day)
    assert as_of(KEY, now - 9 * day).pk == entry.pk
    assert as_of(KEY, now - 7 * day) is None
