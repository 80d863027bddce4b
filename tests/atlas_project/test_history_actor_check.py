"""The check that ends every test (tests/conftest.py): it finds a history row without its actor."""

from __future__ import annotations

import pytest

from brand.models import Supplier
from tests.factories import UserFactory
from tests.history_actors import history_models, rows_without_actor


@pytest.mark.history_without_actor("writes rows without an actor to see the check find them")
@pytest.mark.django_db
def test_a_row_without_an_actor_or_without_its_named_user_is_found():
    supplier = Supplier.objects.create(name="Acme")
    assert rows_without_actor() == []
    # simple-history's own bulk writer, bypassing atlas_project.audit.history_write: no actor at all.
    Supplier.history.bulk_history_create([supplier], update=True)  # type: ignore[attr-defined]
    ghost = UserFactory(username="ghost")
    latest = supplier.history.latest("history_id")
    missing = rows_without_actor()
    assert len(missing) == 1 and "HistoricalSupplier" in missing[0] and "no actor" in missing[0]

    # A row naming a person whose user is gone (or was never set) is found too.
    supplier.history.filter(history_id=latest.history_id).update(history_actor=f"user:{ghost.username}")
    assert "user:ghost without its user" in rows_without_actor()[0]


def test_every_audited_app_has_history_tables():
    apps = {model._meta.app_label for model in history_models()}
    assert apps == {"approvals", "divisions", "memory", "brand", "agents"}
