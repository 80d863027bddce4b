"""For the qcluster subprocess of test_qcluster: the same test agents as the test process registers."""

from __future__ import annotations

from django.apps import AppConfig

CLUSTER_AGENTS = ("Writer", "SecondWriter", "Boom", "RetentionWriter")


def use_test_registry() -> None:
    from agents.directors import DIRECTORS
    from agents.runtime import registry
    from approvals import registry as action_registry
    from tests.agents import agents_for_tests

    registry._registry.clear()
    registry._discovered = True
    for cls in [*DIRECTORS.values(), *(getattr(agents_for_tests, name) for name in CLUSTER_AGENTS)]:
        registry.register(cls)
    action_registry._registry.setdefault(agents_for_tests.FakeSetBudget.key, agents_for_tests.FakeSetBudget())


class ClusterTestAgents(AppConfig):
    name = "tests.agents"
    label = "agents_cluster_tests"

    def ready(self) -> None:
        use_test_registry()
