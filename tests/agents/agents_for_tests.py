"""Agents and an action type that exist only in the tests (registered by the `agent_registry` fixture)."""

from __future__ import annotations

from decimal import Decimal

import pydantic
from pydantic import BaseModel

from agents.runtime.base import RunContext, Specialist
from approvals import registry as action_registry


class Note(BaseModel):
    headline: str
    body: str


class FakeBudgetArgs(pydantic.BaseModel):
    campaign_id: int
    daily_budget: Decimal


class FakeSetBudget(action_registry.ActionType):
    """A gated spend action (so proposals stay pending for the director to consolidate)."""

    key = "test.set_budget"
    category = "spend"
    Args = FakeBudgetArgs

    def targets(self, args: dict) -> tuple[str, ...]:
        return (f"campaign:{args.get('campaign_id')}",)

    def money_at_stake(self, args: FakeBudgetArgs) -> Decimal:
        return args.daily_budget

    def title(self, args: FakeBudgetArgs) -> str:
        return f"Budget of campaign {args.campaign_id} to {args.daily_budget}"

    def execute(self, args: FakeBudgetArgs, *, idempotency_key: str) -> dict:
        return {"ok": True}


class Writer(Specialist):
    """Writes one note through the LLM provider, remembers it, proposes a budget change.

    Agent.config steers it: `mode` goes into the prompt for the fake server, `calls` is how many
    notes it writes, `propose` (campaign id, budget, priority) the proposal it makes.
    """

    key = "growth.test_writer"
    division = "growth"
    name = "Test writer"
    description = "Writes a note for the tests."
    defaults = {"mode": "ok", "calls": 1, "propose": None, "subject": "writer"}

    def run(self, ctx: RunContext) -> None:
        note = None
        for i in range(int(ctx.config["calls"])):
            note = ctx.write(
                Note,
                task=f"Write a note [mode:{ctx.config['mode']}] number {i}",
                facts={"roas": 2.5, "spend": 300, "agent": ctx.agent.key},
                offline=lambda: Note(headline=f"ROAS 2.5 on $300 ({ctx.agent.key})", body="Offline body."),
                purpose="note",
            )
        entry = ctx.remember(text=note.headline if note else "no note", subject=ctx.config["subject"])
        proposal = ctx.config.get("propose")
        if proposal:
            ctx.propose(
                "test.set_budget",
                {"campaign_id": proposal[0], "daily_budget": str(proposal[1])},
                rationale=note.body if note else "because",
                evidence=[entry],
                confidence=0.8,
                priority=proposal[2],
            )
        if ctx.feedback:
            ctx.remember(text=f"Revised after: {ctx.feedback['comment']}", subject="revision")


class SecondWriter(Writer):
    key = "growth.test_writer_2"
    name = "Test writer 2"


class RetentionWriter(Writer):
    key = "retention.test_writer"
    division = "retention"
    name = "Retention test writer"


class Boom(Specialist):
    key = "growth.test_boom"
    division = "growth"
    name = "Test boom"
    description = "Always fails."

    def run(self, ctx: RunContext) -> None:
        raise RuntimeError("the specialist broke on purpose")


class BadProposer(Specialist):
    key = "growth.test_bad_proposer"
    division = "growth"
    name = "Test bad proposer"

    def run(self, ctx: RunContext) -> None:
        ctx.propose("no.such_action", {}, rationale="this type does not exist")
        ctx.propose("test.set_budget", {"campaign_id": "not a number"}, rationale="bad arguments")
        ctx.remember(text="still ran to the end")


def writer_class(n: int, division: str = "growth") -> type[Writer]:
    """A distinct writer agent per index, for the concurrency test."""
    return type(f"Writer{n}", (Writer,), {"key": f"{division}.test_writer_{n:02d}", "name": f"Writer {n}"})


class PairProposer(Specialist):
    """Proposes two budget changes that belong together; `second_args` can make the second one refused."""

    key = "growth.test_pair"
    division = "growth"
    name = "Test pair proposer"
    defaults = {"second_args": {"campaign_id": 2, "daily_budget": "20"}}

    def run(self, ctx: RunContext) -> None:
        from agents.runtime.context import Proposal

        made = ctx.propose_together(
            Proposal("test.set_budget", {"campaign_id": 1, "daily_budget": "10"}, rationale="first of the pair"),
            Proposal("test.set_budget", ctx.config["second_args"], rationale="second of the pair"),
        )
        ctx.remember(text=f"{len(made)} proposed together", subject="pair")
