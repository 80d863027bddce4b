"""The orchestrator: cross-division judgement, ranking, the morning briefing, intent routing, digests.

It does not do the work itself: it reads what every agent proposed and remembered, holds what
conflicts, ranks the rest, briefs people in plain language and routes their requests.

Submodules: `rules` (the judgement rules), `ranking`, `headlines` (the win, risk and opportunity),
`briefing` (writing the Briefing), `selectors` (reading it: `briefing_json`), `routing` (text ->
division and agents), `intents` (`intent_submit`), `digest` (the e-mails), `tasks` (the digest's
schedule, registered in `AgentsConfig.ready`), `agent` (the registered `Orchestrator`).

The registry imports this package (`autodiscover_modules("orchestrator")`): registering the agent
is the point, so only `agent` is imported here.
"""

from agents.orchestrator.agent import Orchestrator

__all__ = ["Orchestrator"]
