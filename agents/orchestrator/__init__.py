"""The orchestrator: cross-division judgement, ranking, the morning briefing, intent routing, digests.

It does not do the work itself: it reads what every agent proposed and remembered, holds what
conflicts, ranks the rest, briefs people in plain language and routes their requests.

Submodules: `rules` (the judgement rules), `ranking`, `headlines` (the win, risk and opportunity),
`briefing` (writing the Briefing), `selectors` (reading it: `briefing_json`), `routing` (text ->
division and agents), `intents` (`intent_submit`), `digest` (the e-mails), `agent` (the registered
`Orchestrator`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Orchestrator", "briefing_json", "digests_send", "intent_submit"]

# The registry imports this package at start-up (autodiscover): registering the agent is the point.
from agents.orchestrator import tasks as _tasks  # noqa: F401  (registers the digest schedule)
from agents.orchestrator.agent import Orchestrator


def __getattr__(name: str) -> Any:
    # Lazy, so that importing the package (the registry does, at start-up) does not import models early.
    if name == "briefing_json":
        from agents.orchestrator.selectors import briefing_json

        return briefing_json
    if name == "intent_submit":
        from agents.orchestrator.intents import intent_submit

        return intent_submit
    if name == "digests_send":
        from agents.orchestrator.digest import digests_send

        return digests_send
    raise AttributeError(name)
