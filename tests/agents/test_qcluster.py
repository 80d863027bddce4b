"""Scale-out is real: a cycle runs through a real `manage.py qcluster` on Redis and PostgreSQL."""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from agents.models import Cycle, CycleStatus, RunStatus
from bench.servers import database_url_for, qcluster
from tests.agents.agents_for_tests import Boom, RetentionWriter, SecondWriter, Writer
from tests.agents.conftest import configure

pytestmark = pytest.mark.serial


@pytest.fixture
def cluster(agent_registry_tx):
    agent_registry_tx(Writer, SecondWriter, Boom, RetentionWriter)
    with qcluster(
        database_url=database_url_for(connection.settings_dict),
        broker="redis",
        redis_url=settings.REDIS_URL,
        settings="tests.agents.cluster_settings",
        name=settings.Q_CLUSTER["name"],
        workers=2,
    ) as running:
        yield running


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_cycle_runs_through_a_real_qcluster(cluster):
    configure(Writer.key, propose=[7, "80.00", 3])
    out, err = io.StringIO(), io.StringIO()
    call_command("atlas_run", "--json", "--timeout", "120", stdout=out, stderr=err)
    report = json.loads(out.getvalue())

    assert cluster.alive(), f"the qcluster died:\n{cluster.log_tail()}"
    cycle = Cycle.objects.get(pk=report["cycle"])
    assert cycle.status == CycleStatus.DONE
    statuses = {r["agent"]: r["status"] for r in report["runs"]}
    assert len(statuses) == 4 + 8
    assert statuses.pop(Boom.key) == RunStatus.FAILED
    assert set(statuses.values()) == {RunStatus.SUCCEEDED}
    assert [p["agent"] for p in report["proposals"]] == [Writer.key]
    # The runs happened in the cluster's processes, not here: the progress display saw them queued.
    assert "queued" in err.getvalue()
