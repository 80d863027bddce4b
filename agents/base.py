"""Base classes of the agents: specialists, division directors and the orchestrator.

An agent is a class in code (its logic) registered with `agents.registry.register`, and an
`Agent` row in the database (its configuration: enabled, model, instructions, budgets, config
overrides). `run(ctx)` does one run; everything it writes goes through the `RunContext`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from agents.context import RunContext
from agents.models import AgentKind

__all__ = ["BaseAgent", "Director", "Orchestrator", "RunContext", "Specialist"]


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


class Director(BaseAgent):
    """Consolidates its division's proposals of the cycle (phase 2): drops duplicates, ranks, keeps the best.

    The default `run` does the consolidation (`agents.consolidation.consolidate_division`);
    a division with its own rules subclasses and overrides `target_of` or `run`.
    """

    kind = AgentKind.DIRECTOR
    defaults = {"keep": 5}
    # Argument names that identify what a proposal acts on: two proposals of one action type on one
    # target are duplicates.
    target_args: ClassVar[tuple[str, ...]] = (
        "campaign_id",
        "campaign",
        "sku",
        "variant_id",
        "product_id",
        "product",
        "segment",
        "segment_id",
        "supplier_id",
        "purchase_order_id",
        "email_campaign_id",
        "calendar_entry_id",
        "discount_code",
        "code",
    )

    def target_of(self, proposal: Any) -> str:
        args = proposal.args or {}
        for name in self.target_args:
            if name in args:
                return f"{name}={args[name]}"
        # No known target argument: identical arguments are the duplicate.
        import json

        return json.dumps(args, sort_keys=True, default=str)

    def run(self, ctx: RunContext) -> None:
        from agents.consolidation import consolidate_division

        consolidate_division(director=self, ctx=ctx)


class Orchestrator(BaseAgent):
    """Synthesises across divisions and writes the briefing (phase 3); lives in `agents.orchestrator`."""

    kind = AgentKind.ORCHESTRATOR
    key = "orchestrator"
    name = "Orchestrator"
