"""Agents read before they act: every LLM prompt carries, for the call's targets, the work on them
(open and recent proposals, people's decisions, outcomes), the preferences that apply (brand-wide and
the division's, not another division's) and the shared memory, within a fixed budget: what was cut is
counted and the prompt stays the same size as memory grows."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pydantic import BaseModel

from agents.models import LLMCall
from agents.runtime.context import CONTEXT_BUDGET_TOKENS, RunContext
from agents.specialists.product import Assortment
from approvals.services import proposal_create, proposal_reject
from memory.models import MemoryEntry
from memory.selectors import outcome_key
from memory.services import remember
from tests.agents.orchestrator.factories import agent_run, demo_names
from tests.factories import division

pytestmark = pytest.mark.django_db


class Note(BaseModel):
    note: str


def assortment_context() -> RunContext:
    from brand.clock import brand_today

    run = agent_run(Assortment.key)
    return RunContext(run=run, agent=run.agent, impl=Assortment(), config={}, today=brand_today(), now=timezone.now())


def prompt_for(sku: str) -> str:
    return prompt_and_queries(sku)[0]


def prompt_and_queries(sku: str) -> tuple[str, int]:
    """The prompt of one LLM call on `sku`, and the queries that call made (context, prompt, log)."""
    ctx = assortment_context()
    with CaptureQueriesContext(connection) as queries:
        ctx.write(
            Note, task="Say why.", facts={"sku": sku}, offline=lambda: Note(note="ok"), purpose="markdown rationale"
        )
    return LLMCall.objects.filter(run=ctx.run).latest("pk").prompt, len(queries)


def cut_in(prompt: str) -> int:
    found = re.search(r"\((\d+) more memory entries apply", prompt)
    return int(found.group(1)) if found else 0


def grow_memory(to: int, seed: int, *, chunk: int = 5_000) -> None:
    """Current keyed facts of the product division (they all apply), written in bulk, a chunk at a time
    (SQLite's variable limit, and 100,000 unsaved rows need not sit in memory at once)."""
    product, now = division("product"), timezone.now()
    for first in range(MemoryEntry.objects.count(), to, chunk):
        MemoryEntry.objects.bulk_create(
            MemoryEntry(
                kind="observation",
                key=f"sku:X{seed}-{i}:note",
                text=f"Observation {i} of seed {seed}: the shelf count matched the system count.",
                data={"value": i},
                division=product,
                author_label="test",
                valid_from=now,
                is_current=True,
            )
            for i in range(first, min(to, first + chunk))
        )


@pytest.fixture
def history(owner):
    demo_names()
    remember(
        kind="preference",
        key="brand:max_discount_percent",
        text="No discount deeper than 30%.",
        data={"value": {"max_discount_percent": 30}},
        author_user=owner,
    )
    remember(
        kind="preference",
        key="product:tone",
        text="Product: never call an apron cheap.",
        author_user=owner,
        division="product",
    )
    remember(
        kind="preference", key="growth:tone", text="Growth: always say ROAS.", author_user=owner, division="growth"
    )
    rejected = proposal_create(
        action_type="pricing.set_markdown",
        args={"sku": "LA-220", "percent": "25"},
        division="product",
        rationale="Slow mover.",
    )
    proposal_reject(proposal=rejected, user=owner, reason="The Sage apron sells at full price in spring.")
    done = proposal_create(
        action_type="pricing.set_markdown",
        args={"sku": "LA-220", "percent": "10"},
        division="product",
        rationale="A light touch.",
    )
    remember(
        kind="outcome",
        key=outcome_key(done.pk),
        text="No clear effect: units per day stayed at 0.1.",
        author_user=owner,
        division="product",
    )
    return rejected, done


def test_the_prompt_carries_the_work_decisions_outcomes_and_preferences_on_its_target(history):
    rejected, done = history
    prompt = prompt_for("LA-220")

    assert "## Work on sku:LA-220" in prompt
    assert f"#{rejected.pk} Mark down LA-220 by 25% [rejected]" in prompt
    assert "The Sage apron sells at full price in spring." in prompt
    assert f"#{done.pk} Mark down LA-220 by 10%" in prompt and "No clear effect: units per day stayed at 0.1." in prompt
    assert "max_discount_percent" in prompt and "never call an apron cheap" in prompt
    assert "always say ROAS" not in prompt  # another division's preference
    # Another target's prompt does not carry this one's work.
    assert f"#{rejected.pk} " not in prompt_for("LA-221")


# Seeding 100,000 entries takes about 20 s a seed on a shared machine: two seeds, three sizes each.
@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_the_prompt_stays_the_same_size_from_1000_to_100000_memory_entries(history, seed):
    sizes = {}
    for size in (1_000, 10_000, 100_000):
        grow_memory(size, seed)
        sizes[size] = prompt_and_queries("LA-220")
    small, small_queries = sizes[1_000]
    large, _queries = sizes[100_000]

    for prompt, _queries in sizes.values():
        assert abs(len(prompt) - len(small)) <= 0.1 * len(small)
    # The same call asks the database the same number of questions whatever the memory holds.
    assert {queries for _prompt, queries in sizes.values()} == {small_queries}
    assert len(large) < CONTEXT_BUDGET_TOKENS * 4 + 2_000  # the budget, the task and the facts
    assert "more memory entries apply, left out for space" in large
    assert cut_in(large) > cut_in(small) and cut_in(large) >= 99_000
    # The people's rules come first and survive the growth.
    assert "max_discount_percent" in large and "The Sage apron sells at full price in spring." in large
