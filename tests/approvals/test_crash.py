"""Crash test: a real qcluster on PostgreSQL (ORM broker, then Redis), its workers SIGKILLed twenty
times in the middle of executions. Every approved proposal ends executed exactly once or failed with
its reason; the effects ledger, an SMTP server and a webhook receiver on 127.0.0.1 see no duplicate.

The work: budget changes (each delivered to a webhook that answers slowly, so kills land inside
executions) and e-mail sends to small segments (each message to an SMTP server that answers
slowly). A killed worker leaves its claim behind; the sweeper (run here, as its schedule would)
hands expired claims back and the next attempt finds the effect in the ledger.

"No duplicate" at the peers: the webhook receiver sees each effect under one Idempotency-Key with
one body (a re-delivery after a kill repeats the same key and body, which a receiver drops), and the
SMTP server sees each customer's message with one Message-ID, at most once per kill that landed
between that message's send and its ledger row (the only window no sender can close: the server
accepted a message the process could not record). Such a repeat carries the same Message-ID, which
mail systems use to drop it.
"""

from __future__ import annotations

import asyncio
import collections
import os
import random
import signal
import time
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connection

from approvals.executor import executions_sweep, idempotency_key_for
from approvals.models import ProposedAction, Status
from approvals.services import proposal_approve, proposal_create
from bench.servers import database_url_for, qcluster, queueing_to
from brand.models import AdCampaign, AppliedAction, EmailCampaign
from divisions.models import Role
from tests.factories import (
    AdCampaignFactory,
    CustomerFactory,
    EmailCampaignFactory,
    MembershipFactory,
    SegmentFactory,
    division,
)

from .servers import Inbox, Receiver, http_server, smtp_server

pytestmark = pytest.mark.serial

KILLS = 20
BUDGETS = 40
SENDS = 8
CUSTOMERS_PER_SEGMENT = 15
CLAIM_TTL = 6
WAIT_SECONDS = 240
SWEEP_EVERY = 8.0
# django-q2 signs a task with its cluster's `name`, read once per process: the cluster keeps this
# process's name. Its queue is its own (`cluster_name`), so that tasks the suite's earlier tests left
# in the shared broker are not in the way of the ones counted here.
SIGNING_NAME = django_settings.Q_CLUSTER["name"]
QUEUE = f"atlas-crash-{os.getpid()}"


class SlowInbox(Inbox):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.03)
        return await super().handle_DATA(server, session, envelope)


def _work(growth_approver, retention_approver) -> list[ProposedAction]:
    proposals = []
    for n in range(BUDGETS):
        campaign = AdCampaignFactory(name=f"Crash campaign {n}", daily_budget=Decimal("100.00"))
        proposals.append(
            proposal_create(
                action_type="ads.set_daily_budget",
                args={"campaign_id": campaign.pk, "daily_budget": "90.00"},
                division="growth",
                rationale="crash test",
                agent_key="growth.paid_media",
            )
        )
    for n in range(SENDS):
        segment = SegmentFactory(key=f"crash-{n}", name=f"Crash segment {n}")
        for c in range(CUSTOMERS_PER_SEGMENT):
            segment.customers.add(CustomerFactory(email=f"c{n}-{c}@example.com", accepts_marketing=True))
        email = EmailCampaignFactory(name=f"Crash send {n}", segment=segment, subject=f"Hello {n}")
        proposals.append(
            proposal_create(
                action_type="email.send_campaign",
                args={"email_campaign_id": email.pk},
                division="retention",
                rationale="crash test",
                agent_key="retention.churn_watch",
            )
        )
    for proposal in proposals:
        user = growth_approver if proposal.division.slug == "growth" else retention_approver
        proposal = proposal_approve(proposal=proposal, user=user)
        assert proposal.status == Status.APPROVED, (proposal.action_type, proposal.status)
    return proposals


def _crash(broker: str, settings) -> None:
    settings.ATLAS_EXECUTE_SYNC = False
    settings.ATLAS_EXECUTION_CLAIM_TTL = CLAIM_TTL
    growth_approver = MembershipFactory(division=division("growth"), role=Role.APPROVER).user
    retention_approver = MembershipFactory(division=division("retention"), role=Role.APPROVER).user
    # A slow receiver: executions are in flight long enough for the kills to land inside them.
    receiver = Receiver([], delay=0.15)
    inbox = SlowInbox()
    rng = random.Random(20261202)
    with (
        http_server(receiver) as url,
        smtp_server(inbox) as port,
        qcluster(
            database_url=database_url_for(connection.settings_dict),
            broker=broker,
            redis_url=django_settings.REDIS_URL,
            settings="tests.approvals.crash_settings",
            name=SIGNING_NAME,
            queue=QUEUE,
            workers=2,
            env={
                "ATLAS_LLM_TIMEOUT": "2",
                "ATLAS_LLM_MAX_RETRIES": "0",
                "ATLAS_EXECUTION_CLAIM_TTL": str(CLAIM_TTL),
                "ATLAS_WEBHOOK_URL": url,
                "ATLAS_WEBHOOK_SECRET": "crash-test",
                "ATLAS_WEBHOOK_ACTIONS": "ads.set_daily_budget",
                "ATLAS_WEBHOOK_TIMEOUT": "10",
                "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            },
        ) as cluster,
        # The approvals and the sweeper here queue on the cluster's broker and queue.
        queueing_to(cluster),
    ):
        proposals = _work(growth_approver, retention_approver)
        ids = [p.pk for p in proposals]
        kills = 0
        deadline = time.monotonic() + WAIT_SECONDS
        next_sweep = time.monotonic() + SWEEP_EVERY
        while time.monotonic() < deadline:
            open_ = ProposedAction.objects.filter(pk__in=ids, status__in=[Status.APPROVED, Status.EXECUTING])
            if not open_.exists() and kills >= KILLS:
                break
            if kills < KILLS:
                # A worker in the middle of an execution (its task taken, not yet done): the crash to
                # survive. A worker killed while it takes a task can leave django-q2's internal queue
                # locked for good, a limitation of django-q2 that no product code can survive.
                workers = cluster.busy_worker_pids()
                if workers:
                    os.kill(rng.choice(workers), signal.SIGKILL)
                    kills += 1
                    time.sleep(rng.uniform(0.15, 0.5))
                else:
                    time.sleep(0.02)
            else:
                time.sleep(0.5)
            # The sweeper's schedule runs every minute; every few seconds here, not every loop: each
            # sweep re-dispatches every lost task, and a flood of repeats would queue the real work
            # behind it on the ORM broker, which hands a worker one task per poll.
            if time.monotonic() >= next_sweep:
                executions_sweep()
                next_sweep = time.monotonic() + SWEEP_EVERY
        assert cluster.alive(), f"the qcluster died:\n{cluster.log_tail()}"
        assert kills == KILLS
        log_tail = cluster.log_tail(2000)

    proposals = list(ProposedAction.objects.filter(pk__in=ids))
    stuck = [
        (p.pk, p.action_type, p.status, p.attempts, p.claimed_at, p.next_attempt_at, p.status_reason[:200])
        for p in proposals
        if p.status not in (Status.EXECUTED, Status.FAILED)
    ]
    assert not stuck, f"left unfinished after {WAIT_SECONDS} s: {stuck}\n{log_tail}"
    for p in proposals:
        if p.status == Status.FAILED:
            assert p.status_reason.strip(), f"#{p.pk} failed without its reason"
    executed = [p for p in proposals if p.status == Status.EXECUTED]
    assert len(executed) >= len(proposals) * 0.9, "nearly all of the work must get done"

    # The effects ledger: one entry per executed proposal, under its key.
    keys = {idempotency_key_for(p.pk) for p in executed}
    assert keys <= set(AppliedAction.objects.values_list("key", flat=True))
    for p in executed:
        if p.action_type == "ads.set_daily_budget":
            campaign = AdCampaign.objects.get(pk=p.args["campaign_id"])
            assert campaign.daily_budget == Decimal("90.00")
            budgets = list(
                campaign.history.order_by("history_date", "history_id").values_list("daily_budget", flat=True)
            )
            assert budgets == [Decimal("100.00"), Decimal("90.00")], f"{campaign.name} changed {budgets}"

    # The webhook receiver: each effect once (re-deliveries repeat the same key and body, to be dropped).
    bodies = collections.defaultdict(set)
    for request in receiver.requests:
        bodies[request["headers"]["Idempotency-Key"]].add(request["body"])
    budget_keys = {idempotency_key_for(p.pk) for p in executed if p.action_type == "ads.set_daily_budget"}
    assert set(bodies) == budget_keys
    assert all(len(b) == 1 for b in bodies.values()), "one effect, one body"

    # The SMTP server: every recipient of every executed send, each message with one Message-ID.
    by_recipient = collections.defaultdict(list)
    for message in inbox.messages:
        by_recipient[message["X-Atlas-Idempotency-Key"], message["To"]].append(message["Message-ID"])
    for p in executed:
        if p.action_type != "email.send_campaign":
            continue
        email = EmailCampaign.objects.get(pk=p.args["email_campaign_id"])
        recipients = {(idempotency_key_for(p.pk), c.email) for c in email.segment.customers.all()}
        assert recipients <= set(by_recipient), f"{email.name}: not everyone got it"
    repeats = sum(len(ids) - 1 for ids in by_recipient.values())
    assert all(len(set(ids)) == 1 for ids in by_recipient.values()), "a repeat must carry the same Message-ID"
    assert repeats <= KILLS, f"{repeats} repeated messages for {KILLS} kills"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sigkilled_workers_on_the_orm_broker_lose_and_duplicate_nothing(settings):
    _crash("orm", settings)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_sigkilled_workers_on_the_redis_broker_lose_and_duplicate_nothing(settings):
    _crash("redis", settings)
