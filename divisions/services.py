"""Services of the divisions app: the Owners group's Django permissions.

Owners decide everything in Atlas (divisions.permissions), but the admin also asks Django's model
permissions for what no division rule covers (the brand's tables, agents' configuration, history
pages, the task queue). A superuser has them all; a member of the Owners group gets them here.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from .permissions import OWNERS_GROUP

OWNER_APPS = ("brand", "divisions", "agents", "memory", "approvals", "django_q")

# What happened stays as it happened: records written by the machinery (runs, calls, decisions,
# executions, link uses, applied actions, briefings) are viewed, never added, changed or deleted by
# hand. Memory entries are added by people through the service but never changed or deleted.
APPEND_ONLY = {
    ("approvals", "decision"): ("add", "change", "delete"),
    ("approvals", "execution"): ("add", "change", "delete"),
    ("approvals", "linkuse"): ("add", "change", "delete"),
    ("agents", "llmcall"): ("add", "change", "delete"),
    ("agents", "agentrun"): ("add", "change", "delete"),
    ("agents", "cycle"): ("add", "change", "delete"),
    ("agents", "intent"): ("add", "change", "delete"),
    ("agents", "briefing"): ("add", "change", "delete"),
    ("agents", "briefingitem"): ("add", "change", "delete"),
    ("brand", "appliedaction"): ("add", "change", "delete"),
    ("memory", "memoryentry"): ("change", "delete"),
}


def owners_permissions(*, using: str = "default") -> list[int]:
    """The permission ids the Owners group should hold: every one of the Atlas apps but the audit trail's
    writes (the models above, and every historical model: history is written by simple_history only)."""
    excluded = Q()
    for (app_label, model), verbs in APPEND_ONLY.items():
        excluded |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{verb}_{model}" for verb in verbs],
        )
    excluded |= Q(content_type__model__startswith="historical") & ~Q(codename__startswith="view_")
    return list(
        Permission.objects.using(using)
        .filter(content_type__app_label__in=OWNER_APPS)
        .exclude(excluded)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def owners_group_sync(*, using: str = "default") -> Group | None:
    """Give the Owners group exactly its permissions; idempotent (nothing written when already so).

    The group comes from a migration; when it does not exist (a database just flushed) there is
    nothing to sync and None is returned.
    """
    group = Group.objects.using(using).filter(name=OWNERS_GROUP).first()
    if group is None:
        return None
    wanted = set(owners_permissions(using=using))
    if set(group.permissions.values_list("pk", flat=True)) != wanted:
        group.permissions.set(wanted)
    return group
