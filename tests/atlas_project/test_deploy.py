"""Production settings (issue 15 §11): secure cookies and the lock-out, with DEBUG off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "atlas_project.settings",
    "ATLAS_ENV_FILE": "",
    "DEBUG": "false",
    "SECRET_KEY": "a-production-like-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "atlas.example.com",
    "EMAIL_URL": "smtp://127.0.0.1:25",
    "DATABASE_URL": "sqlite:////tmp/atlas-deploy-probe.sqlite3",
}
NAMES = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_SSL_REDIRECT",
    "AXES_FAILURE_LIMIT",
]


def _production_settings() -> dict[str, object]:
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ} | PRODUCTION
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {NAMES!r}}}))"
    )
    command = [sys.executable, "manage.py", "shell", "-c", code]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_cookies_are_secure_http_only_and_same_site_with_debug_off():
    seen = _production_settings()
    assert seen["SESSION_COOKIE_SECURE"] is True and seen["CSRF_COOKIE_SECURE"] is True
    assert seen["SESSION_COOKIE_HTTPONLY"] is True and seen["CSRF_COOKIE_HTTPONLY"] is True
    assert seen["SESSION_COOKIE_SAMESITE"] == "Lax" and seen["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert seen["SECURE_SSL_REDIRECT"] is True
    assert seen["AXES_FAILURE_LIMIT"] == 5


def test_the_session_cookie_the_login_sets_is_http_only_and_same_site(client, db):
    from tests.factories import UserFactory

    user = UserFactory(username="bob", is_staff=True)
    user.set_password("pw-0123456789")
    user.save()
    response = client.post("/admin/login/", {"username": "bob", "password": "pw-0123456789", "next": "/admin/"})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
