"""The demo brand's past, replayed through the services: what the team proposed, who decided, what ran.

`brand.demo.past` says what happened and when; the generated history already carries its effects.
Here each past proposal is made by its specialist's run, decided by the demo's people through the
decision service and executed by the executor, each with the clock set back to its moment, so that
the proposals, decisions, executions, history rows and memory entries carry their own dates and
actors. The real outcome checks then judge every executed action over the imported data, and a
proposal rejected yesterday waits for today's cycle to honour its cooldown.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from django.contrib.auth import get_user_model

from agents.models import AgentRun, RunStatus, RunTrigger
from agents.outcomes.services import outcomes_run_due
from agents.runtime import registry
from agents.runtime.services import agent_run_create, agent_run_finish, agent_run_start
from approvals.executor import executing_inline
from approvals.models import Execution, ProposedAction, Status
from approvals.services import proposal_approve, proposal_create, proposal_reject
from atlas_project.audit import Actor, acting_as
from brand.clock import brand_today, brand_tz, day_start
from brand.demo import past
from brand.metrics import outcomes as data
from brand.models import AdCampaign, Segment

DEMO_PAST_MARK = "demo-past"


class DemoPastError(RuntimeError):
    """The demo's past cannot be replayed: a row it starts from is missing (run atlas_demo first)."""


@dataclass
class DemoPast:
    today: dt.date
    planted: bool = True
    proposals: list[ProposedAction] = field(default_factory=list)
    outcomes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "planted": self.planted,
            "proposals": [
                {"id": p.pk, "action_type": p.action_type, "agent": p.agent_key, "status": p.status, "title": p.title}
                for p in self.proposals
            ],
            "outcomes": self.outcomes,
        }


@contextlib.contextmanager
def clock_at(moment: dt.datetime) -> Iterator[None]:
    """Every `timezone.now()` (auto_now fields, history rows, memory's valid_from, the brand's today)
    answers `moment`: the past is written as it would have been that day."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return day_start(day, brand_tz()) + dt.timedelta(hours=hour, minutes=minute)


def _person(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise DemoPastError(f"The demo user {username!r} is missing: run `manage.py atlas_demo` first.")
    return user


def _run(agent_key: str) -> AgentRun:
    return agent_run_create(agent_key=agent_key, trigger=RunTrigger.SCHEDULE, context={"origin": DEMO_PAST_MARK})


def _propose(*, agent_key: str, division: str, moment: dt.datetime, **kwargs: Any) -> ProposedAction:
    """The specialist's run of that morning makes the proposal, as the cycle's run would."""
    with clock_at(moment):
        run = _run(agent_key)
        with acting_as(Actor.for_agent_run(agent_key, run.pk)):
            proposal = proposal_create(agent_run=run, division=division, **kwargs)
        agent_run_finish(run=run, status=RunStatus.SUCCEEDED)
    return proposal


def _past_action(
    *, agent_key: str, day: dt.date, proposed: tuple[int, int], approved: tuple[int, int], **proposal: Any
) -> ProposedAction:
    """Proposed by the agent's run at `proposed` (hour, minute) of `day`, approved and executed at `approved`."""
    division = agent_key.split(".")[0]
    made = _propose(agent_key=agent_key, division=division, moment=_at(day, *proposed), **proposal)
    return _approve(made, division=division, moment=_at(day, *approved))


def _approve(proposal: ProposedAction, *, division: str, moment: dt.datetime) -> ProposedAction:
    """The division's approver approves, and its director too where four eyes are needed; the
    approval executes the action at once, still on that day's clock."""
    for offset, username in enumerate((f"{division}_approver", f"{division}_director")):
        proposal.refresh_from_db()
        if proposal.status != Status.PENDING:
            break
        with clock_at(moment + dt.timedelta(minutes=20 * offset)), executing_inline():
            proposal = proposal_approve(proposal=proposal, user=_person(username), comment="Go ahead.")
    proposal.refresh_from_db()
    if proposal.status != Status.EXECUTED:
        raise DemoPastError(
            f"#{proposal.pk} {proposal.title} ended {proposal.status}, not executed: "
            f"{proposal.status_reason or proposal.hold_reason}"
        )
    return proposal


def _budget_cut(today: dt.date) -> ProposedAction:
    day = today - dt.timedelta(days=past.BUDGET_CUT_DAYS_AGO)
    campaign = AdCampaign.objects.filter(name=past.BUDGET_CUT_CAMPAIGN).first()
    if campaign is None:
        raise DemoPastError(f"No campaign {past.BUDGET_CUT_CAMPAIGN!r}: run `manage.py atlas_demo` first.")
    week = data.ad_window(campaign_ids=[campaign.pk], start=day - dt.timedelta(days=7), end=day)
    month = data.ad_window(campaign_ids=[campaign.pk], start=day - dt.timedelta(days=28), end=day)
    rationale = (
        f"{campaign.name}: ROAS {week.roas or 0:.2f} over the last 7 days against {month.roas or 0:.2f} over 28, "
        f"on {week.spend} of spend. Cut the daily budget from {campaign.daily_budget} to {past.BUDGET_AFTER} "
        "until the creative earns again, rather than pause a campaign that usually pays."
    )
    return _past_action(
        agent_key="growth.paid_media",
        day=day,
        proposed=(7, 5),
        approved=(9, 40),
        action_type="ads.set_daily_budget",
        args={"campaign_id": campaign.pk, "daily_budget": str(past.BUDGET_AFTER)},
        rationale=rationale,
        confidence=0.7,
    )


def _markdown(today: dt.date) -> ProposedAction:
    day = today - dt.timedelta(days=past.MARKDOWN_DAYS_AGO)
    units, _revenue = data.units_sold(skus=[past.MARKDOWN_SKU], start=day - dt.timedelta(days=28), end=day)
    # The stock on that day: today's plus what sold since (the demo restocks nothing in between).
    sold_since, _ = data.units_sold(skus=[past.MARKDOWN_SKU], start=day, end=today)
    stock = (data.stock_of(past.MARKDOWN_SKU) or 0) + sold_since
    cover = f"{stock / (units / 28):.0f} days of cover" if units else "no recent sales"
    rationale = (
        f"{past.MARKDOWN_SKU}: {units} sold in the last 28 days, {stock} in stock ({cover}). A "
        f"{past.MARKDOWN_PERCENT}% markdown should speed it up before the spring range takes the shelf."
    )
    return _past_action(
        agent_key="product.assortment",
        day=day,
        proposed=(7, 10),
        approved=(10, 15),
        action_type="pricing.set_markdown",
        args={"sku": past.MARKDOWN_SKU, "percent": str(past.MARKDOWN_PERCENT)},
        rationale=rationale,
        confidence=0.55,
    )


def _winback(today: dt.date) -> ProposedAction:
    day = today - dt.timedelta(days=past.WINBACK_DAYS_AGO)
    segment = Segment.objects.filter(key=past.WINBACK_SEGMENT).first()
    if segment is None:
        raise DemoPastError(f"No segment {past.WINBACK_SEGMENT!r}: run `manage.py atlas_demo` first.")
    members = segment.customers.count()
    rationale = (
        f"{members} customers with two orders have bought nothing for more than {past.WINBACK_LAPSED_DAYS} days. "
        f"A win-back e-mail with {past.WINBACK_PERCENT}% off ({past.WINBACK_CODE}, this e-mail only) "
        "brings some back while they still know us."
    )
    return _past_action(
        agent_key="retention.lifecycle",
        day=day,
        proposed=(7, 15),
        approved=(9, 5),
        action_type="email.send_campaign",
        args={
            "segment": segment.key,
            "name": "Win-back: we miss you",
            "subject": f"We miss you: {past.WINBACK_PERCENT}% off your next order",
            "body": (
                "It has been a while. Your skillet is still seasoned, and we have new linen for the table.\n\n"
                f"Use {past.WINBACK_CODE} at checkout this week for {past.WINBACK_PERCENT}% off.\n\n"
                "From all of us at Hearth & Pine."
            ),
        },
        rationale=rationale,
        confidence=0.6,
    )


def _rejected_yesterday(today: dt.date) -> list[ProposedAction]:
    """Yesterday's run of the discounts specialist, for real on yesterday's clock, and the sales
    director rejecting what it proposed: today's cycle finds the same facts and must not ask again."""
    day = today - dt.timedelta(days=past.REJECTED_DAYS_AGO)
    with clock_at(_at(day, 7, 20)):
        run = agent_run_start(agent_key="sales.discounts", trigger=RunTrigger.SCHEDULE, sync=True)
    if run.status != RunStatus.SUCCEEDED:
        raise DemoPastError(f"Yesterday's run of sales.discounts ended {run.status}: {run.error}")
    rejected = []
    for proposal in ProposedAction.objects.filter(agent_run=run, status=Status.PENDING).order_by("pk"):
        with clock_at(_at(day, 11, 30)):
            rejected.append(
                proposal_reject(proposal=proposal, user=_person("sales_director"), reason=past.REJECTION_REASON)
            )
    if not rejected:
        raise DemoPastError("Yesterday's run of sales.discounts proposed nothing to reject.")
    return rejected


def _planted() -> bool:
    """The past is replayed once: its budget cut executed is the mark."""
    return Execution.objects.filter(
        ok=True,
        proposal__action_type="ads.set_daily_budget",
        proposal__agent_run__context__origin=DEMO_PAST_MARK,
    ).exists()


def demo_past_plant(*, today: dt.date | None = None) -> DemoPast:
    """Replay the demo's past (once), then run the outcome checks that are due over the data. Its days
    count back from the day after the history's last day of orders (today, unless `atlas_demo` was
    given an --end-date), so that the past lands where the history carries its effects."""
    if today is None:
        through = data.orders_data_through()
        today = through + dt.timedelta(days=1) if through is not None else brand_today()
    result = DemoPast(today=today)
    if _planted():
        result.planted = False
    else:
        # No transaction around the whole past: each approval executes when its own transaction
        # commits, on its own day's clock.
        registry.sync_agents()
        result.proposals = [_budget_cut(today), _markdown(today), _winback(today)]
        result.proposals += _rejected_yesterday(today)
    # Judged over the data as it is, by the same checks the schedule runs.
    result.outcomes = outcomes_run_due(today=today).as_dict()
    return result


__all__ = ["DemoPast", "DemoPastError", "clock_at", "demo_past_plant"]
