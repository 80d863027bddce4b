"""Fixtures of the agent machinery tests: a fake OpenAI endpoint, an isolated agent registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from agents.directors import DIRECTORS
from agents.models import Agent
from agents.runtime import registry
from approvals import registry as action_registry
from divisions.catalog import DIVISIONS
from divisions.models import Division
from tests.agents.agents_for_tests import FakeSetBudget
from tests.agents.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def openai_settings(settings, fake_openai: FakeOpenAI) -> FakeOpenAI:
    """The openai provider pointed at the fake endpoint, with short timeouts."""
    settings.ATLAS_LLM_PROVIDER = "openai"
    settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.ATLAS_LLM_TIMEOUT = 2
    settings.ATLAS_LLM_MAX_RETRIES = 1
    return fake_openai


@pytest.fixture
def divisions_present(django_db_blocker) -> None:
    """Transactional tests flush the tables; the eight divisions come back here."""
    with django_db_blocker.unblock():
        for slug, name, mandate in DIVISIONS:
            Division.objects.get_or_create(slug=slug, defaults={"name": name, "mandate": mandate})


def _isolated_registry() -> Iterator[Callable[..., None]]:
    saved = dict(registry._registry)
    saved_discovered = registry._discovered
    action_registry._registry.setdefault(FakeSetBudget.key, FakeSetBudget())

    def use(*classes: type, orchestrator: type | None = None) -> None:
        registry._registry.clear()
        registry._discovered = True
        for cls in [*DIRECTORS.values(), *classes, *([orchestrator] if orchestrator else [])]:
            registry.register(cls)
        registry.sync_agents()

    yield use
    registry._registry.clear()
    registry._registry.update(saved)
    registry._discovered = saved_discovered
    action_registry.unregister(FakeSetBudget.key)


@pytest.fixture
def agent_registry(db) -> Iterator[Callable[..., None]]:
    """Replace the registry with the eight directors plus the given test agents (and sync the rows)."""
    yield from _isolated_registry()


@pytest.fixture
def agent_registry_tx(transactional_db, divisions_present) -> Iterator[Callable[..., None]]:
    """The same for tests whose agents run in threads or processes (committed data, real connections)."""
    yield from _isolated_registry()


def configure(key: str, **config) -> Agent:
    agent = Agent.objects.get(key=key)
    agent.config = {**agent.config, **config}
    agent.save()
    return agent
