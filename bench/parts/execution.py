"""Execution: from a person's approval to its effect, through a real 2-worker qcluster, per broker.

The work is the one an approver decides most: an ad campaign's daily budget change (gated spend, one
approver below the four-eyes amount), approved through the decision service as the console does. Its
effect is observable where a person would look: the campaign's budget in the database.

- `approve_to_effect_ms`: approvals one after another; each is timed from its commit (the moment the
  console's request would answer) until the campaign shows the new budget. p50 and p95 per run.
- `executions_per_s`: `scale.executions` proposals approved in one transaction (a digest's "approve
  all", or many people at once), timed from that commit until every one is executed.

The ORM broker always; Redis too when REDIS_URL is set. Each broker gets a cluster of its own on a
queue of its own, so nothing another run left in a shared Redis is in the way.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from approvals.models import ProposedAction, Status
from approvals.services import proposal_approve, proposal_create
from bench.harness import BenchContext, Figure, Goal, percentile
from bench.servers import Broker, Cluster, qcluster, queueing_to
from brand.models import AdCampaign
from divisions.models import Division, Membership, Role

KEYS = ("approve_to_effect_ms", "executions_per_s")
EFFECT_GOAL = Goal("<", 150, "p50 under 150 ms")
RATE_GOAL = Goal(">=", 50, "at least 50 a second")
WORKERS = 2
DIVISION = "growth"
BUDGET_BEFORE = Decimal("100.00")
# A cent a day: a week of it is 7 cents at stake, so that the thousands of executions of a large run
# stay far below the division's daily spend cap and the four-eyes amount (one approver decides).
BUDGET_AFTER = Decimal("99.99")
POLL_SECONDS = 0.002
EFFECT_TIMEOUT = 30.0
# Throughput runs wait at least this long, and longer for big batches (a 2-core machine under load).
BATCH_TIMEOUT = 60.0


class ExecutionBenchError(RuntimeError):
    """The cluster did not execute what was approved: the benchmark has no number to give."""


def run(ctx: BenchContext, keys: frozenset[str]) -> list[Figure]:
    approver = _approver()
    brokers: list[Broker] = ["orm", "redis"] if ctx.redis_url else ["orm"]
    figures: list[Figure] = []
    for broker in brokers:
        ctx.log(f"execution: starting a {WORKERS}-worker qcluster on the {broker} broker")
        with (
            qcluster(
                database_url=ctx.database_url,
                broker=broker,
                redis_url=ctx.redis_url or "",
                name=settings.Q_CLUSTER["name"],
                queue=f"atlas-bench-execution-{broker}-{os.getpid()}",
                workers=WORKERS,
                log=ctx.workdir / f"qcluster-{broker}.log",
            ) as cluster,
            queueing_to(cluster),
        ):
            if "approve_to_effect_ms" in keys:
                figures += _approve_to_effect(ctx, cluster, approver)
            if "executions_per_s" in keys:
                figures.append(_executions_per_s(ctx, cluster, approver))
    return figures


def _approver() -> User:
    """A growth approver of the bench's own (the part's database has only what migrations made)."""
    user = User.objects.create_user(username="bench_execution_approver")
    Membership.objects.create(user=user, division=Division.objects.get(slug=DIVISION), role=Role.APPROVER)
    return user


def budget_proposals(
    count: int, *, divisions: Sequence[Division | str] = (DIVISION,), rationale: str = "execution benchmark"
) -> list[ProposedAction]:
    """`count` pending budget changes (each on a new campaign of its own), spread over `divisions`
    round robin; what an approver decides most, with an effect anyone can see (the campaign's budget)."""
    start = AdCampaign.objects.count()
    campaigns = AdCampaign.objects.bulk_create(
        AdCampaign(name=f"Bench campaign {start + n}", daily_budget=BUDGET_BEFORE) for n in range(count)
    )
    # One transaction: a commit per proposal would be most of the seeding's time, and none of the measure.
    with transaction.atomic():
        return [
            proposal_create(
                action_type="ads.set_daily_budget",
                args={"campaign_id": campaign.pk, "daily_budget": str(BUDGET_AFTER)},
                division=divisions[n % len(divisions)],
                rationale=rationale,
                agent_key="growth.paid_media",
            )
            for n, campaign in enumerate(campaigns)
        ]


def _runs(ctx: BenchContext, measure: Callable[[], float | tuple[float, ...]]) -> list:
    """The measured results of `measure` after the scale's warm-up runs."""
    results = []
    for number in range(ctx.scale.warmup + ctx.scale.repeats):
        result = measure()
        if number >= ctx.scale.warmup:
            results.append(result)
    return results


def _approve_to_effect(ctx: BenchContext, cluster: Cluster, approver: User) -> list[Figure]:
    runs = ctx.scale.warmup + ctx.scale.repeats
    per_run = max(5, ctx.scale.executions // runs)

    def measure() -> tuple[float, float]:
        latencies = [_one_approval(cluster, proposal, approver) * 1000 for proposal in budget_proposals(per_run)]
        return percentile(latencies, 50), percentile(latencies, 95)

    results = _runs(ctx, measure)
    label = f"{cluster.broker} broker, {WORKERS}-worker qcluster, {per_run} approvals a run, one at a time"
    detail = {"broker": cluster.broker, "workers": WORKERS, "approvals_per_run": per_run, "poll_s": _poll()}
    ctx.log(f"execution: approve to effect on {cluster.broker}: p50 {[round(r[0]) for r in results]} ms")
    return [
        Figure("approve_to_effect_ms", f"p50, {label}", "ms", [r[0] for r in results], EFFECT_GOAL, detail),
        Figure("approve_to_effect_ms", f"p95, {label}", "ms", [r[1] for r in results], None, detail),
    ]


def _one_approval(cluster: Cluster, proposal: ProposedAction, approver: User) -> float:
    """Seconds from the approval's commit until the campaign shows the approved budget."""
    committed: list[float] = []
    with transaction.atomic():
        # Registered before the approval's own on-commit dispatch, so it runs first: the commit's moment.
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        approved = proposal_approve(proposal=proposal, user=approver)
    if approved.status != Status.APPROVED:
        raise ExecutionBenchError(f"proposal #{proposal.pk} was not approved: {approved.status}")
    campaign = AdCampaign.objects.filter(pk=proposal.args["campaign_id"], daily_budget=BUDGET_AFTER)
    deadline = committed[0] + EFFECT_TIMEOUT
    while not campaign.exists():
        now = time.perf_counter()
        if now > deadline:
            _explain_stuck(cluster, [proposal.pk], f"proposal #{proposal.pk} had no effect {EFFECT_TIMEOUT:.0f} s")
        if int(now * 10) % 10 == 0:
            cluster.check_alive()
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - committed[0]


def _executions_per_s(ctx: BenchContext, cluster: Cluster, approver: User) -> Figure:
    count = ctx.scale.executions

    def measure() -> float:
        proposals = budget_proposals(count)
        ids = [p.pk for p in proposals]
        committed: list[float] = []
        with transaction.atomic():
            transaction.on_commit(lambda: committed.append(time.perf_counter()))
            for proposal in proposals:
                proposal_approve(proposal=proposal, user=approver)
        # Done means finished either way; a failure is reported, not counted as throughput.
        unfinished = ProposedAction.objects.filter(pk__in=ids, status__in=[Status.APPROVED, Status.EXECUTING])
        deadline = committed[0] + max(BATCH_TIMEOUT, count / 5)
        while unfinished.exists():
            cluster.check_alive()
            if time.perf_counter() > deadline:
                _explain_stuck(
                    cluster, ids, f"{unfinished.count()} of {count} not executed after {deadline - committed[0]:.0f} s"
                )
            time.sleep(0.01)
        elapsed = time.perf_counter() - committed[0]
        failed = ProposedAction.objects.filter(pk__in=ids).exclude(status=Status.EXECUTED)
        if failed.exists():
            reasons = list(failed.values_list("pk", "status", "status_reason")[:5])
            raise ExecutionBenchError(f"{failed.count()} of {count} proposals did not execute: {reasons}")
        return count / elapsed

    samples = _runs(ctx, measure)
    ctx.log(f"execution: {count} approved at once on {cluster.broker}: {[round(s) for s in samples]} a second")
    return Figure(
        "executions_per_s",
        f"{cluster.broker} broker, {WORKERS}-worker qcluster, {count} proposals approved at once",
        "per s",
        samples,
        RATE_GOAL,
        {"broker": cluster.broker, "workers": WORKERS, "proposals": count, "poll_s": _poll()},
    )


def _explain_stuck(cluster: Cluster, ids: list[int], what: str) -> None:
    statuses = list(ProposedAction.objects.filter(pk__in=ids).values_list("pk", "status", "status_reason")[:5])
    raise ExecutionBenchError(f"{what} on the {cluster.broker} broker: {statuses}\n{cluster.log_tail(2000)}")


def _poll() -> float:
    return float(settings.Q_CLUSTER.get("poll", 0.2))
