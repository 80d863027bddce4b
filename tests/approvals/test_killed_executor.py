"""A real executor process, SIGKILLed in the middle of an execution; the sweeper finishes it, once.

Where the kill lands: a spend action runs its cap check and its effect (the budget change and the
`brand.AppliedAction` ledger row) in one transaction under the division's row lock; the webhook is
called after that transaction has committed (`ActionType.deliver`), so that a slow receiver holds no
database lock and hears only of effects that stand. A process killed while the receiver holds the
webhook call has therefore committed its claim (status `executing`, attempt 1) and the effect with its
ledger row, but not the delivery, and logged no Execution. The sweeper hands the expired claim back;
the next attempt finds the effect in the ledger (no second budget change), only re-delivers under
the same Idempotency-Key, which the receiver uses to drop the repeat, and logs the execution.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from approvals import executor
from approvals.executor import executions_sweep, idempotency_key_for
from approvals.models import Execution, ProposedAction, Status
from approvals.services import proposal_approve
from brand.connectors.webhook import verify
from brand.models import AdCampaign, AppliedAction

from .factories import budget_proposal
from .servers import Receiver, http_server

ROOT = Path(__file__).resolve().parents[2]
SECRET = "kill-test-secret"
ACTION = "ads.set_daily_budget"
WAIT_SECONDS = 30  # upper bound of every wait; the test takes a few seconds


def _database_url() -> str:
    """The test database, as the subprocess's DATABASE_URL (a SQLite file or a PostgreSQL database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_executor(proposal_id: int, webhook_url: str, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "ATLAS_EXECUTE_SYNC": "false",
        "ATLAS_WEBHOOK_URL": webhook_url,
        "ATLAS_WEBHOOK_SECRET": SECRET,
        "ATLAS_WEBHOOK_ACTIONS": ACTION,
        # Longer than the test waits: the executor must be stuck in the call, not retrying it.
        "ATLAS_WEBHOOK_TIMEOUT": str(WAIT_SECONDS * 2),
    }
    if connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]
    code = f"from approvals.executor import proposal_execute; proposal_execute(proposal_id={proposal_id})"
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_for_request(receiver: Receiver, proc: subprocess.Popen, log_path: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not receiver.received.wait(timeout=0.1):
        if proc.poll() is not None:
            pytest.fail(
                f"the executor exited ({proc.returncode}) before calling the webhook:\n{Path(log_path).read_text()}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"the executor did not call the webhook within {WAIT_SECONDS} s:\n{Path(log_path).read_text()}")


@pytest.mark.django_db(transaction=True)
def test_an_executor_killed_mid_execution_is_swept_and_the_effect_happens_once(
    campaign, growth_approver, growth_director, settings, monkeypatch
):
    settings.ATLAS_EXECUTE_SYNC = False
    settings.ATLAS_WEBHOOK_SECRET = SECRET
    settings.ATLAS_WEBHOOK_ACTIONS = [ACTION]
    # 120 -> 300 a day: 1260 at stake, above the four-eyes amount (1000 in these tests).
    proposal = budget_proposal(campaign, "300.00")
    queued: list[int] = []
    with monkeypatch.context() as patch:
        # The approval queues the execution after commit; no queue here: the subprocess is the worker.
        patch.setattr(executor, "dispatch", lambda pk, *, inline=None: queued.append(pk))
        proposal = proposal_approve(proposal=proposal, user=growth_approver)
        assert proposal.status == Status.PENDING  # four-eyes: one more, a director
        proposal = proposal_approve(proposal=proposal, user=growth_director)
    assert (proposal.status, queued) == (Status.APPROVED, [proposal.pk])
    key = idempotency_key_for(proposal.pk)

    receiver = Receiver([], hold_first=1)
    log = tempfile.NamedTemporaryFile(prefix="atlas-killed-executor-", suffix=".log", delete=False)  # noqa: SIM115
    proc = None
    with http_server(receiver) as url:
        try:
            settings.ATLAS_WEBHOOK_URL = url
            proc = _start_executor(proposal.pk, url, log)
            # The receiver has the call and does not answer: the executor is mid-execution.
            _wait_for_request(receiver, proc, log.name)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=WAIT_SECONDS)
            assert proc.returncode == -signal.SIGKILL

            # What the killed executor left behind: its claim, nothing else.
            proposal.refresh_from_db()
            assert (proposal.status, proposal.attempts) == (Status.EXECUTING, 1)
            assert proposal.claim_token and proposal.claimed_at is not None
            assert not Execution.objects.filter(proposal=proposal).exists()
            # The effect committed before the webhook call; its delivery did not.
            assert AppliedAction.objects.get(key=key).webhook_delivered_at is None
            assert AdCampaign.objects.get(pk=campaign.pk).daily_budget == Decimal("300.00")

            # The claim has expired; the sweeper re-dispatches in-process and the receiver answers.
            receiver.release.set()
            settings.ATLAS_EXECUTE_SYNC = True
            later = timezone.now() + dt.timedelta(seconds=settings.ATLAS_EXECUTION_CLAIM_TTL + 1)
            assert executions_sweep(now=later) == 1
        finally:
            receiver.release.set()
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=WAIT_SECONDS)
            log.close()
            os.unlink(log.name)

    proposal.refresh_from_db()
    campaign.refresh_from_db()
    assert proposal.status == Status.EXECUTED
    executions = list(Execution.objects.filter(proposal=proposal).values_list("attempt", "ok"))
    assert executions == [(2, True)]  # the killed attempt logged nothing
    assert campaign.daily_budget == Decimal("300.00")
    budgets = list(campaign.history.order_by("history_date", "history_id").values_list("daily_budget", flat=True))
    assert budgets == [Decimal("120.00"), Decimal("300.00")]  # created, then changed once
    ledger = AppliedAction.objects.get(key=key)
    assert ledger.result["daily_budget_before"] == "120.00"
    assert ledger.webhook_delivered_at is not None
    # Two deliveries, one execution: both signed, both under the proposal's key for the receiver to dedupe.
    assert len(receiver.requests) == 2
    assert {r["headers"]["Idempotency-Key"] for r in receiver.requests} == {key}
    assert all(verify(r["body"], r["headers"]["X-Atlas-Signature"], SECRET) for r in receiver.requests)
    assert ProposedAction.objects.get(pk=proposal.pk).claim_token == ""
