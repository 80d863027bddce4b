"""Intent: a person's request in words, routed to a division and its specialists, who then run with it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from agents.models import AgentRun, Intent, RunTrigger
from agents.orchestrator.routing import Route, route_offline, route_with_provider
from approvals.models import ProposedAction
from atlas_project.audit import Actor, acting_as
from divisions import permissions

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


class IntentError(ValueError):
    """A request that cannot be routed: empty text, an unknown division, an inactive person."""


def intent_route(*, text: str, division: str | None = None) -> Route:
    """The route for the text: the person's division if given, else the LLM's choice, else the offline one."""
    if division is not None:
        return route_offline(text, division=division)
    if settings.ATLAS_LLM_PROVIDER == "offline":
        return route_offline(text)
    from agents.runtime.llm import LLMError, get_provider

    try:
        return route_with_provider(text, provider=get_provider(), model=settings.ATLAS_LLM_MODEL)
    except LLMError as exc:
        # No usable answer from the model: the offline router decides, and says so.
        route = route_offline(text)
        route.reason = f"{route.reason}; the LLM gave no usable route ({exc})"
        return route


@transaction.atomic
def _intent_create(*, user: User, text: str, route: Route, overridden: bool) -> Intent:
    from divisions.models import Division

    with acting_as(Actor.for_user(user)):
        return Intent.objects.create(
            text=text,
            user=user,
            division=Division.objects.filter(slug=route.division).first(),
            agent_keys=route.agent_keys,
            confidence=route.confidence,
            reason=route.reason[:2000],
            overridden=overridden,
        )


def intent_submit(*, user: User, text: str, division: str | None = None, sync: bool = True) -> Intent:
    """Record the intent, route it, and run the chosen specialists with it (trigger "intent").

    `division` is the person's override. With `sync` the specialists run here (the command waits for
    their proposals); otherwise they are queued on the cluster. Their proposals link back through
    `AgentRun.intent` (`intent_proposals`).
    """
    from agents.runtime.services import agent_run_start

    text = (text or "").strip()
    if not text:
        raise IntentError("text: say what you want done (it was empty).")
    if user is None or not getattr(user, "is_active", False):
        raise IntentError(f"user {user}: only an active person can ask.")
    # Asking sets agents to work that approvers then decide: viewers only look. A request may land in
    # another division (the router's choice); naming one yourself takes a deciding role there.
    if not permissions.deciding_divisions(user).exists():
        raise IntentError(f"user {user.get_username()}: only an owner, an approver or a director can ask for work.")
    try:
        route = intent_route(text=text, division=division)
    except ValueError as exc:
        raise IntentError(str(exc)) from exc
    if division is not None and not permissions.deciding_divisions(user).filter(slug=division).exists():
        raise IntentError(f"division {division!r}: {user.get_username()} approves or directs nothing there.")
    if not route.division:
        raise IntentError(f"{text!r}: no division matches; name one with --division.")
    intent = _intent_create(user=user, text=text, route=route, overridden=division is not None)
    context = {"intent": {"id": intent.pk, "text": text, "by": user.get_username(), **route.as_context()}}
    for key in route.agent_keys:
        agent_run_start(agent_key=key, trigger=RunTrigger.INTENT, intent=intent, context=context, sync=sync)
    return intent


def intent_runs(intent: Intent) -> QuerySet[AgentRun]:
    return intent.runs.select_related("agent").order_by("pk")


def intent_proposals(intent: Intent) -> QuerySet[ProposedAction]:
    return ProposedAction.objects.filter(agent_run__intent=intent).select_related("division").order_by("pk")


def intent_json(intent: Intent) -> dict[str, Any]:
    return {
        "intent": intent.pk,
        "division": intent.division.slug if intent.division is not None else None,
        "agents": list(intent.agent_keys),
        "confidence": intent.confidence,
        "reason": intent.reason,
        "overridden": intent.overridden,
        "runs": [{"agent": r.agent.key, "run": r.pk, "status": r.status} for r in intent_runs(intent)],
        "proposals": list(intent_proposals(intent).values_list("pk", flat=True)),
    }
