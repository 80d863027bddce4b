"""Fixtures of the approvals tests: executions run in-process, a campaign to move budgets on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import AdCampaignFactory


@pytest.fixture(autouse=True)
def _execute_inline(settings):
    # The approval's on_commit callback runs the executor in-process instead of queueing it.
    settings.ATLAS_EXECUTE_SYNC = True
    settings.ATLAS_FOUR_EYES_AMOUNT = Decimal("1000")
    settings.ATLAS_WEBHOOK_URL = ""


@pytest.fixture
def campaign(db):
    return AdCampaignFactory(name="Spring Sale", daily_budget=Decimal("120.00"))


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a service queues for after commit (the executor, the send-back hook)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
