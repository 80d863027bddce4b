"""The send-back hook: a proposal sent back with a comment re-runs the agent that made it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from approvals.models import ProposedAction


def rerun_on_send_back(proposal: ProposedAction, comment: str) -> None:
    """Connected to `approvals.hooks` in `AgentsConfig.ready`; queues a revision run on the cluster."""
    from agents.runtime.services import agent_rerun_for_revision

    agent_rerun_for_revision(proposal=proposal, comment=comment)
