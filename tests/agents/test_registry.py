"""The registry: agents in code, mirrored to Agent rows."""

from __future__ import annotations

import pytest

from agents.directors import Director
from agents.models import Agent, AgentKind
from agents.runtime import registry
from agents.runtime.base import Specialist
from tests.agents.agents_for_tests import Boom, Writer


def test_migrate_mirrors_the_eight_directors(db):
    keys = set(Agent.objects.filter(kind=AgentKind.DIRECTOR).values_list("key", flat=True))
    assert {"growth.director", "finance.director", "intelligence.director"} <= keys
    growth = Agent.objects.get(key="growth.director")
    assert growth.division.slug == "growth"
    assert growth.in_code


def test_autodiscover_finds_directors_and_specialist_modules(db):
    agents = registry.all_agents()
    assert len([a for a in agents.values() if a.kind == AgentKind.DIRECTOR]) == 8
    assert all(issubclass(c, Director) for k, c in agents.items() if k.endswith(".director"))


def test_sync_creates_updates_and_flags_removed_agents(agent_registry):
    agent_registry(Writer, Boom)
    writer = Agent.objects.get(key=Writer.key)
    assert (writer.name, writer.kind, writer.division.slug) == ("Test writer", "specialist", "growth")

    # What a person configured survives a sync; what the code owns follows the code.
    writer.enabled = False
    writer.name = "renamed in the admin"
    writer.save()
    agent_registry(Writer)
    writer.refresh_from_db()
    assert writer.name == "Test writer"
    assert writer.enabled is False
    boom = Agent.objects.get(key=Boom.key)
    assert boom.in_code is False

    agent_registry(Writer, Boom)
    boom.refresh_from_db()
    assert boom.in_code is True


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"key": ""}, "has no key"),
        ({"key": "growth.x", "division": None}, "needs a division"),
        ({"key": "retention.x", "division": "growth"}, "key starting 'growth.'"),
    ],
)
def test_register_refuses_malformed_agents(attrs, message):
    cls = type("Bad", (Specialist,), {"name": "Bad", "division": "growth", **attrs})
    with pytest.raises(registry.RegistryError, match=message):
        registry.register(cls)
