"""The gate policy, in one place: what waits for people, how many, who, and how much a day.

- internal actions are approved by policy and executed at once;
- spend, message and schedule wait as `pending` until approved, and expire after ATLAS_PROPOSAL_TTL;
- above ATLAS_FOUR_EYES_AMOUNT two different people approve, at least one a director of the
  division (owners count as directors); nobody approves their own proposal;
- the division's daily spend cap holds at execution; a purchase order is judged alone against the
  division's purchase order limit instead (both set by the owner on the division in the admin).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from divisions import permissions

from . import registry
from .models import Category, Decision, Execution, ProposedAction, Status, Verdict

APPROVING_VERDICTS = (Verdict.APPROVE, Verdict.EDIT_APPROVE)


def is_internal(category: str) -> bool:
    return category == Category.INTERNAL


def expires_at_for(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(hours=settings.ATLAS_PROPOSAL_TTL_HOURS)


def needs_four_eyes(proposal: ProposedAction) -> bool:
    return proposal.is_gated and proposal.money_at_stake > settings.ATLAS_FOUR_EYES_AMOUNT


@dataclass(frozen=True)
class Approvals:
    satisfied: bool
    missing: str  # what is still needed, in words; empty when satisfied


def approvals_status(proposal: ProposedAction, *, decisions: Sequence[Decision] | None = None) -> Approvals:
    """Are the recorded approvals enough for this proposal? Roles are read now, not when approved.

    `decisions`: the proposal's decisions (any verdict, users selected) when the caller has read them
    already (the executor reads them once for everything it does); else they are read here.
    """
    if decisions is None:
        decisions = list(
            Decision.objects.filter(proposal=proposal, verdict__in=APPROVING_VERDICTS).select_related("user")
        )
    approving = [d for d in decisions if d.verdict in APPROVING_VERDICTS]
    if is_internal(proposal.category):
        if approving:
            return Approvals(True, "")
        return Approvals(False, "the policy approval")
    people = {d.user.pk: d.user for d in approving if d.user is not None and d.user_id != proposal.proposed_by_id}
    standings = {pk: permissions.standing_in(user, proposal.division_id) for pk, user in people.items()}
    distinct = {pk: user for pk, user in people.items() if standings[pk].decides}
    if not needs_four_eyes(proposal):
        return Approvals(bool(distinct), "" if distinct else "one approval")
    directors = [user for pk, user in distinct.items() if standings[pk].directs]
    if len(distinct) >= 2 and directors:
        return Approvals(True, "")
    if len(distinct) >= 2:
        return Approvals(False, "a director's approval (four-eyes)")
    if len(distinct) == 1 and directors:
        return Approvals(False, "a second approver (four-eyes)")
    if len(distinct) == 1:
        return Approvals(False, "a director's approval as the second approver (four-eyes)")
    return Approvals(False, "two approvals, one of them a director's (four-eyes)")


def brand_day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the brand day `now` falls in, by the brand's clock (handed over by configure)."""
    tz = registry.brand_timezone()
    return registry.day_bounds(now.astimezone(tz).date(), tz)


def _per_order_types() -> list[str]:
    return [t.key for t in registry.all_types() if t.spend_limit == "per_order"]


def spend_committed_today(*, division_id: int, now: dt.datetime | None = None, exclude_pk: Any = None) -> Decimal:
    """Money at stake of the division's spend actions executed (successfully) this brand day."""
    start, end = brand_day_bounds(now or timezone.now())
    executed = Execution.objects.filter(
        ok=True, finished_at__gte=start, finished_at__lt=end, proposal__division_id=division_id
    ).values("proposal_id")
    qs = ProposedAction.objects.filter(pk__in=executed, category=Category.SPEND, status=Status.EXECUTED).exclude(
        action_type__in=_per_order_types()
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    total = qs.aggregate(total=Sum("money_at_stake"))["total"] or Decimal("0")
    return Decimal(total).quantize(Decimal("0.01"))


def spend_cap_breach(proposal: ProposedAction, *, now: dt.datetime | None = None) -> str:
    """Empty when the proposal fits under the division's daily cap, else the reason in words."""
    if proposal.category != Category.SPEND or proposal.money_at_stake == 0:
        return ""
    if registry.get(proposal.action_type).spend_limit == "per_order":
        limit = proposal.division.purchase_order_limit
        if proposal.money_at_stake > limit:
            return (
                f"purchase order limit of {proposal.division.name} exceeded: "
                f"{proposal.money_at_stake} > limit {limit} {proposal.currency}"
            )
        return ""
    cap = proposal.division.daily_spend_cap
    committed = spend_committed_today(division_id=proposal.division_id, now=now, exclude_pk=proposal.pk)
    if committed + proposal.money_at_stake > cap:

        def words(amount: Decimal) -> str:
            return registry.money_words(amount, currency=proposal.currency)

        return (
            f"daily spend cap of {proposal.division.name} exceeded: {words(committed)} already committed today + "
            f"{proposal.money_in_words} for this action > cap {words(cap)}"
        )
    return ""
