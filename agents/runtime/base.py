"""Base classes of the agents: specialists and the orchestrator (directors: `agents.directors`).

An agent is a class in code (its logic) registered with `agents.runtime.registry.register`, and an
`Agent` row in the database (its configuration: enabled, model, instructions, budgets, config
overrides). `run(ctx)` does one run; everything it writes goes through the `RunContext`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from agents.models import AgentKind
from agents.runtime.context import RunContext

__all__ = ["BaseAgent", "Orchestrator", "RunContext", "Specialist"]


class BaseAgent:
    key: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    division: ClassVar[str | None] = None
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    # The system prompt's role text when it writes through an LLM (Agent.instructions_override wins).
    instructions: ClassVar[str] = ""
    # Thresholds and knobs; Agent.config overrides them key by key.
    defaults: ClassVar[dict[str, Any]] = {}

    def run(self, ctx: RunContext) -> None:
        raise NotImplementedError(f"{type(self).__name__}.run(ctx)")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key}>"


class Specialist(BaseAgent):
    """Reads brand data and memory, writes observations, proposes actions (phase 1 of the cycle)."""

    kind = AgentKind.SPECIALIST


class Orchestrator(BaseAgent):
    """Synthesises across divisions and writes the briefing (phase 3); lives in `agents.orchestrator`."""

    kind = AgentKind.ORCHESTRATOR
    key = "orchestrator"
    name = "Orchestrator"
