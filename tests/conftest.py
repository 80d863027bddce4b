"""Fixtures shared by the whole suite: named personas, per the house style."""

from __future__ import annotations

import pytest

from divisions.models import Role
from tests.factories import MembershipFactory, UserFactory, division


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
