import logging
import time
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_agents_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Keep the Agent rows in step with the code after every migrate (plumbing, not domain flow)."""
    from agents.runtime.registry import sync_agents

    if using != "default":
        return
    sync_agents()


WARM_MESSAGE = "loaded the agents and the LLM client"


def _warm_llm_client(sender: Any, proc_name: str = "", **kwargs: Any) -> None:
    """A new qcluster worker loads the agents and the LLM client before it takes a task: importing
    them costs about a second, which a cold worker would otherwise add to the first run it takes."""
    from agents.runtime import registry

    logger = logging.getLogger(__name__)
    started = time.monotonic()
    try:
        registry.warm_up()
    except Exception:  # a warm-up must never keep a worker from starting; the first task will say why
        logger.exception("qcluster worker %s: warm-up failed", proc_name)
        return
    # The benchmark waits for this line: a cluster is ready for the morning once every worker said it.
    logger.info("%s %s (%.2f s)", proc_name, WARM_MESSAGE, time.monotonic() - started)


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from agents import checks  # noqa: F401  (registers the agents' system checks)
        from agents.orchestrator.rules import holds_rejudge_after_import, judge_one
        from agents.orchestrator.tasks import DIGEST_SCHEDULE, digest_if_due
        from agents.outcomes.selectors import track_record_line
        from agents.outcomes.tasks import queue_outcome_checks, run_due_outcomes
        from agents.runtime.llm.usage import llm_log_prune_task
        from agents.runtime.revisions import rerun_on_send_back
        from agents.runtime.schedules import register_schedule
        from approvals.hooks import connect_judge, connect_send_back, connect_track_record
        from approvals.tasks import executions_sweep, proposals_expire
        from brand.signals import data_imported

        post_migrate.connect(_sync_agents_after_migrate, sender=self, dispatch_uid="agents.sync_agents")
        post_spawn.connect(_warm_llm_client, dispatch_uid="agents.warm_llm_client")
        connect_send_back(rerun_on_send_back, dispatch_uid="agents.rerun_on_send_back")
        # The cross-division rules are part of the gate: every proposal created or edited passes them.
        connect_judge(judge_one, dispatch_uid="agents.orchestrator_rules")
        # Beside each proposal in the console: its agent's record on that kind of action.
        connect_track_record(track_record_line, dispatch_uid="agents.track_record_line")
        # Every recurring schedule in one table. The approvals sweepers: approved work whose
        # execution never started or whose claim expired, and pending proposals past their expiry.
        # The digest is polled, not timed: it follows the cycle whenever the cycle finishes.
        register_schedule("approvals: executions sweep", executions_sweep, minutes=1)
        register_schedule("approvals: expire proposals", proposals_expire, minutes=5)
        register_schedule(DIGEST_SCHEDULE, digest_if_due, minutes=15)
        # Prompts and answers older than ATLAS_LLM_LOG_RETENTION_DAYS are emptied once a day.
        register_schedule("agents: prune LLM prompts", llm_log_prune_task, minutes=24 * 60)
        # Outcomes: executed actions past their horizon, checked hourly and as soon as new data is imported.
        register_schedule("agents: outcome checks", run_due_outcomes, minutes=60)
        data_imported.connect(queue_outcome_checks, dispatch_uid="agents.outcome_checks_after_import")
        # New stock or spend may clear a rule's hold.
        data_imported.connect(holds_rejudge_after_import, dispatch_uid="agents.holds_rejudge_after_import")
