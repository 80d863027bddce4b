"""Fixtures shared by the whole suite: named personas, per the house style."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from divisions.models import Role
from tests.factories import MembershipFactory, UserFactory, division
from tests.history_actors import rows_without_actor

# CI machines are shared and slow at times: a property must fail on its logic, never on a
# per-example deadline.
settings.register_profile("atlas", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("atlas")


@pytest.fixture(autouse=True)
def _migrated_rows_present(request):
    """Transactional tests flush every table when they end, including the rows that migrations
    create (the eight divisions, the Owners group and its grant of customers' data); put them back
    before any test that uses the db."""
    if not _uses_db(request):
        return
    request.getfixturevalue("django_db_setup")
    from django.contrib.auth.models import Group, Permission

    from divisions.catalog import DIVISIONS
    from divisions.models import Division
    from divisions.permissions import CUSTOMER_PII_PERMISSION, OWNERS_GROUP

    blocker = request.getfixturevalue("django_db_blocker")
    with blocker.unblock():
        if Division.objects.count() < len(DIVISIONS):
            for slug, name, mandate in DIVISIONS:
                Division.objects.get_or_create(slug=slug, defaults={"name": name, "mandate": mandate})
        owners, _ = Group.objects.get_or_create(name=OWNERS_GROUP)
        app_label, codename = CUSTOMER_PII_PERMISSION.split(".")
        owners.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))


def _uses_db(request: pytest.FixtureRequest) -> bool:
    return bool(
        request.node.get_closest_marker("django_db")
        or {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def _every_history_row_names_its_actor(request):
    """Issue 15 §9, literally: after every test, no history row of an audited record lacks its actor.

    Checked before the test's transaction is rolled back (or its tables flushed): the database
    fixture is set up first here, so it is torn down after this check. A test that writes such
    rows on purpose says so: `@pytest.mark.history_without_actor("why")`.
    """
    if not _uses_db(request) or request.node.get_closest_marker("history_without_actor"):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    from django.db import connection

    if connection.needs_rollback:
        # The test ended inside a failed transaction (an IntegrityError it expected): nothing in it
        # can be read any more, and nothing it wrote will stay.
        return
    with request.getfixturevalue("django_db_blocker").unblock():
        missing = rows_without_actor()
    assert not missing, "History rows written without an actor:\n" + "\n".join(missing)


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", is_superuser=True)


@pytest.fixture
def growth_approver(db):
    return MembershipFactory(
        user=UserFactory(username="growth_approver"), division=division("growth"), role=Role.APPROVER
    ).user


@pytest.fixture
def growth_director(db):
    return MembershipFactory(
        user=UserFactory(username="growth_director"), division=division("growth"), role=Role.DIRECTOR
    ).user


@pytest.fixture
def growth_viewer(db):
    return MembershipFactory(
        user=UserFactory(username="growth_viewer"), division=division("growth"), role=Role.VIEWER
    ).user


@pytest.fixture
def finance_director(db):
    return MembershipFactory(
        user=UserFactory(username="finance_director"), division=division("finance"), role=Role.DIRECTOR
    ).user


@pytest.fixture
def finance_approver(db):
    return MembershipFactory(
        user=UserFactory(username="finance_approver"), division=division("finance"), role=Role.APPROVER
    ).user


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (real concurrent connections, row locks) run in CI's PostgreSQL pass.

    Under SQLite they are reported as skipped with the reason, never silently dropped.
    """
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: runs in CI's PostgreSQL pass (DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="needs REDIS_URL: runs in CI's PostgreSQL + Redis pass")
    for item in items:
        if "postgres" in item.keywords and "postgresql" not in engine:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)
