"""Who may run the agents: the role check of `atlas_run --as` (and any other path acting for a person).

Running a division's agents makes work that division's approvers will decide, so it takes a deciding
role there (approver or director); the whole cycle, every division at once, is for owners. Without a
person, the operator's commands run as the system (cron, `make demo`) and this check does not apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

from agents.runtime import registry
from divisions import permissions

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class AccessDenied(Exception):
    """A person asked for something outside their divisions or their role; the message says which."""


def person_named(username: str) -> Any:
    """The active user `username`, for a command's `--as`."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise AccessDenied(f"--as {username!r}: no such active user.")
    return user


def run_scope_check(*, user: User, division: str | None = None, agent_key: str | None = None) -> None:
    """Raise AccessDenied unless `user` may run this scope of the cycle (everything when neither is given)."""
    if permissions.is_owner(user):
        return
    who = user.get_username()
    if agent_key:
        agent = registry.get(agent_key)
        division = agent.division if agent is not None else None
        if division is None:
            # An unknown agent or the orchestrator: brand-wide, like the whole cycle.
            raise AccessDenied(f"--agent {agent_key}: {who} is not an owner, and only owners run brand-wide agents.")
    if not division:
        raise AccessDenied(f"{who} is not an owner: run one of your divisions with --division.")
    if not permissions.deciding_divisions(user).filter(slug=division).exists():
        raise AccessDenied(f"--division {division}: {who} approves or directs nothing there.")
