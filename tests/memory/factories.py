"""Factories for the memory tests: agents and runs to author entries, and entries written through the service."""

from __future__ import annotations

import factory

from agents.models import Agent, AgentKind, AgentRun
from tests.factories import division


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"growth.agent_{n}")
    kind = AgentKind.SPECIALIST
    division = factory.LazyFunction(lambda: division("growth"))
    name = factory.LazyAttribute(lambda o: o.key.split(".")[-1].replace("_", " ").title())


class AgentRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentRun

    agent = factory.SubFactory(AgentFactory)


def run_of(key: str, division_slug: str = "growth") -> AgentRun:
    """A fresh run of the agent `key` (created on first use)."""
    return AgentRunFactory(agent=AgentFactory(key=key, division=division(division_slug)))
