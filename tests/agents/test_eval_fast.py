"""The fast subset of `atlas_eval`: a handful of small generated shops, each loaded through the importers
and run through the full morning cycle, meet the targets of issue 12."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agents.evaluation import TARGETS
from brand import models as bm
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_fast_subset_meets_the_targets():
    out = io.StringIO()
    call_command("atlas_eval", "--fast", "--json", stdout=out)
    report = json.loads(out.getvalue())
    summary, results = report["summary"], report["results"]
    detail = json.dumps(results, indent=1)
    assert summary["scenarios"] >= 5 and any(r["healthy"] for r in results) and any(r["export_only"] for r in results)
    # An over-pace channel (a winner's raise in it must be held) and a shop that e-mails its customers.
    assert any("channel budgets" in r["shape"] and r["planted"] for r in results), detail
    assert any("e-mail history" in r["shape"] and r["planted"] for r in results), detail
    assert summary["recall"] >= TARGETS["recall"], detail
    assert summary["harmful"] == 0, detail
    assert summary["false_alarms_per_healthy_shop"] <= TARGETS["false_alarms_per_healthy_shop"], detail
    assert summary["risk_of_the_day"] == 1.0, detail
    assert summary["passed"] is True


def test_it_refuses_to_empty_a_database_that_holds_a_brand():
    OrderFactory()
    with pytest.raises(CommandError, match=r"holds brand data \(1 orders\).*--wipe"):
        call_command("atlas_eval", "--fast", "--only", "tiny", stdout=io.StringIO())
    assert bm.Order.objects.count() == 1
