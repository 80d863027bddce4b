"""Login lock-out after repeated failures (issue 15 §11): django-axes, by username and address."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "the-right-password-42"


@pytest.fixture
def staff(db):
    user = UserFactory(username="alice", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client, password: str, *, address: str = "10.0.0.1"):
    return client.post(
        reverse("admin:login"),
        {"username": "alice", "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def test_the_lock_out_is_configured_by_username_and_address():
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60


def test_repeated_wrong_passwords_lock_the_account_out_even_for_the_right_one(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, "wrong")
        assert response.status_code == 200  # the login form again, with its error
        assert "_auth_user_id" not in client.session
    assert _login(client, "wrong").status_code == 429
    locked = _login(client, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_out_holds_one_address_not_the_person_everywhere(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong", address="10.0.0.66")
    assert _login(client, PASSWORD, address="10.0.0.66").status_code == 429
    response = _login(client, PASSWORD, address="10.0.0.2")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_fewer_failures_than_the_limit_then_success_resets_the_count(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "wrong").status_code == 200
    assert _login(client, PASSWORD).status_code == 302
