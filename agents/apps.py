from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_agents_after_migrate(sender, using="default", **kwargs) -> None:
    """Keep the Agent rows in step with the code after every migrate (plumbing, not domain flow)."""
    from agents.registry import sync_agents

    if using != "default":
        return
    sync_agents()


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents"

    def ready(self) -> None:
        from agents.revisions import rerun_on_send_back
        from approvals.hooks import connect_send_back

        post_migrate.connect(_sync_agents_after_migrate, sender=self, dispatch_uid="agents.sync_agents")
        connect_send_back(rerun_on_send_back, dispatch_uid="agents.rerun_on_send_back")
