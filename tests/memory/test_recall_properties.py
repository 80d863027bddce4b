"""Whatever a person or an LLM types as a recall query, the search never errors (both databases)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memory.models import MemoryEntry
from memory.selectors import recall
from memory.services import KEY_RE

pytestmark = pytest.mark.django_db


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=80))
def test_any_query_text_is_safe(query):
    if not MemoryEntry.objects.exists():
        from django.utils import timezone

        MemoryEntry.objects.create(
            kind="observation", text="café NEAR AND OR refund", author_label="t", valid_from=timezone.now()
        )
    found = recall(query)
    assert isinstance(found, list) and len(found) <= 10


@given(key=st.text(alphabet="abcAB-_.:9 /\n", max_size=20))
def test_key_rule_is_entity_then_segments(key):
    parts = key.split(":")
    expected = (
        len(parts) >= 2
        and parts[0] != ""
        and parts[0][0].islower()
        and all(c.islower() or c.isdigit() or c == "_" for c in parts[0])
        and all(p and all(c.isalnum() or c in "_.-" for c in p) for p in parts[1:])
    )
    assert bool(KEY_RE.match(key)) == expected
