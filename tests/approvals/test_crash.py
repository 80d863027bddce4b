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
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM
from django_q.tasks import async_task

from approvals import executor
from approvals.executor import EXECUTE_TASK, executions_sweep, idempotency_key_for
from approvals.models import ProposedAction, Status
from approvals.services import proposal_approve, proposal_create
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

ROOT = Path(__file__).resolve().parents[2]
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


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _descendants(pid: int) -> dict[int, int]:
    """{pid: depth} of every process below `pid` (read from /proc: no extra package)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children[parent].append(int(entry))
    found: dict[int, int] = {}
    stack = [(pid, 0)]
    while stack:
        current, depth = stack.pop()
        for child in children.get(current, []):
            found[child] = depth + 1
            stack.append((child, depth + 1))
    return found


def _workers(folder: Path) -> list[int]:
    """The pids of the cluster's live workers (each wrote its pid when it spawned; see crash_app)."""
    alive = []
    for entry in folder.iterdir():
        pid = int(entry.name)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            entry.unlink()
            continue
        alive.append(pid)
    return alive


def _start_cluster(*, broker: str, webhook: str, smtp_port: int, log, workers_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.approvals.crash_settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": django_settings.REDIS_URL if broker == "redis" else "",
        "Q_CLUSTER_NAME": SIGNING_NAME,
        "ATLAS_CRASH_QUEUE": QUEUE,
        "ATLAS_LLM_TIMEOUT": "2",
        "ATLAS_LLM_MAX_RETRIES": "0",
        "ATLAS_EXECUTION_CLAIM_TTL": str(CLAIM_TTL),
        "ATLAS_WEBHOOK_URL": webhook,
        "ATLAS_WEBHOOK_SECRET": "crash-test",
        "ATLAS_WEBHOOK_ACTIONS": "ads.set_daily_budget",
        "ATLAS_WEBHOOK_TIMEOUT": "10",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "ATLAS_CRASH_WORKERS_DIR": str(workers_dir),
    }
    if connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


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


def _crash(broker: str, settings, monkeypatch) -> None:
    settings.ATLAS_EXECUTE_SYNC = False
    settings.ATLAS_EXECUTION_CLAIM_TTL = CLAIM_TTL
    # The approvals and the sweeper here queue on the cluster's broker and queue (django-q2 reads its
    # configuration once per process, so the broker is named, not configured).
    queue = ORM(list_key=QUEUE) if broker == "orm" else get_broker(list_key=QUEUE)
    monkeypatch.setattr(
        executor, "dispatch", lambda pk, *, inline=None: async_task(EXECUTE_TASK, pk, broker=queue, cluster=QUEUE)
    )
    growth_approver = MembershipFactory(division=division("growth"), role=Role.APPROVER).user
    retention_approver = MembershipFactory(division=division("retention"), role=Role.APPROVER).user
    # A slow receiver: executions are in flight long enough for the kills to land inside them.
    receiver = Receiver([], delay=0.15)
    inbox = SlowInbox()
    log = tempfile.NamedTemporaryFile(prefix=f"atlas-crash-{broker}-", suffix=".log", delete=False)  # noqa: SIM115
    rng = random.Random(20261202)
    with http_server(receiver) as url, smtp_server(inbox) as port:
        workers_dir = Path(tempfile.mkdtemp(prefix="atlas-crash-workers-"))
        proc = _start_cluster(broker=broker, webhook=url, smtp_port=port, log=log, workers_dir=workers_dir)
        try:
            time.sleep(3)  # the cluster's workers spawn before the approvals queue work
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
                    below = set(_descendants(proc.pid))
                    workers = [pid for pid in _workers(workers_dir) if pid in below]
                    if workers:
                        os.kill(rng.choice(workers), signal.SIGKILL)
                        kills += 1
                    time.sleep(rng.uniform(0.15, 0.5))
                else:
                    time.sleep(0.5)
                # The sweeper's schedule runs every minute; every few seconds here, not every loop: each
                # sweep re-dispatches every lost task, and a flood of repeats would queue the real work
                # behind it on the ORM broker, which hands a worker one task per poll.
                if time.monotonic() >= next_sweep:
                    executions_sweep()
                    next_sweep = time.monotonic() + SWEEP_EVERY
            assert proc.poll() is None, f"the qcluster died:\n{Path(log.name).read_text()[-4000:]}"
            assert kills == KILLS
        finally:
            _stop(proc)
            log.close()

    proposals = list(ProposedAction.objects.filter(pk__in=ids))
    stuck = [
        (p.pk, p.action_type, p.status, p.attempts, p.claimed_at, p.next_attempt_at, p.status_reason[:200])
        for p in proposals
        if p.status not in (Status.EXECUTED, Status.FAILED)
    ]
    assert not stuck, f"left unfinished after {WAIT_SECONDS} s: {stuck}\n{Path(log.name).read_text()[-2000:]}"
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
def test_sigkilled_workers_on_the_orm_broker_lose_and_duplicate_nothing(settings, monkeypatch):
    _crash("orm", settings, monkeypatch)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_sigkilled_workers_on_the_redis_broker_lose_and_duplicate_nothing(settings, monkeypatch):
    _crash("redis", settings, monkeypatch)
