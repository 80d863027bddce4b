"""The agents judged on generated shops (`brand.scenarios`): each scenario loaded through the importers
into a fresh database state, the full morning cycle run, its proposals and briefing scored against
what was planted. `manage.py atlas_eval` is the command; `evaluate` the service behind it."""

from .run import EvalReport, evaluate, evaluate_scenario
from .score import TARGETS, ScenarioResult

__all__ = ["TARGETS", "EvalReport", "ScenarioResult", "evaluate", "evaluate_scenario"]
