"""Scale-out is real: a cycle runs through a real `manage.py qcluster` on Redis and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from agents.models import Cycle, CycleStatus, RunStatus
from tests.agents.agents_for_tests import Boom, RetentionWriter, SecondWriter, Writer
from tests.agents.conftest import configure

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def qcluster(agent_registry_tx):
    agent_registry_tx(Writer, SecondWriter, Boom, RetentionWriter)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.agents.cluster_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "Q_CLUSTER_NAME": settings.Q_CLUSTER["name"],
        "Q_WORKERS": "2",
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    log = open(os.devnull, "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield proc
    # The cluster and its workers share the session we gave it: stop that group, by its id.
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    log.close()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_cycle_runs_through_a_real_qcluster(qcluster):
    configure(Writer.key, propose=[7, "80.00", 3])
    out, err = io.StringIO(), io.StringIO()
    call_command("atlas_run", "--json", "--timeout", "120", stdout=out, stderr=err)
    report = json.loads(out.getvalue())

    assert qcluster.poll() is None, "the qcluster died"
    cycle = Cycle.objects.get(pk=report["cycle"])
    assert cycle.status == CycleStatus.DONE
    statuses = {r["agent"]: r["status"] for r in report["runs"]}
    assert len(statuses) == 4 + 8
    assert statuses.pop(Boom.key) == RunStatus.FAILED
    assert set(statuses.values()) == {RunStatus.SUCCEEDED}
    assert [p["agent"] for p in report["proposals"]] == [Writer.key]
    # The runs happened in the cluster's processes, not here: the progress display saw them queued.
    assert "queued" in err.getvalue()
