from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _owners_group_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Keep the Owners group's permissions in step after every migrate (plumbing, not domain flow).

    Each app's permissions are created by its own post_migrate; run after each Atlas app's so that the
    last one sees them all (the sync is idempotent and writes nothing when nothing changed).
    """
    from divisions.services import OWNER_APPS, owners_group_sync

    if sender.label in OWNER_APPS:
        owners_group_sync(using=using)


class DivisionsConfig(AppConfig):
    name = "divisions"
    verbose_name = "Divisions and people"

    def ready(self) -> None:
        post_migrate.connect(_owners_group_after_migrate, dispatch_uid="divisions.owners_group_sync")
