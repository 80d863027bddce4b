"""The suite gives the same result whatever the caller's environment and `.env` say (issue 15 §12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

# What a developer following the README, or a stray shell, may well have set.
HOSTILE = {
    "DEBUG": "true",
    "SECRET_KEY": "hostile-secret",
    "ALLOWED_HOSTS": "hostile.example.com",
    "ATLAS_DEMO_PASSWORD": "hostile-demo-password",
    "OPENAI_API_KEY": "sk-hostile",
    "OPENAI_BASE_URL": "http://hostile.invalid/v1",
    "ATLAS_LLM_PROVIDER": "openai",
    "ATLAS_LLM_MODEL": "hostile-model",
    "EMAIL_URL": "smtp://hostile.invalid:25",
    "ATLAS_FOUR_EYES_AMOUNT": "1",
    "ATLAS_EXECUTE_SYNC": "true",
    "AXES_FAILURE_LIMIT": "1000",
    "LOG_LEVEL": "DEBUG",
    "DJANGO_SETTINGS_MODULE": "atlas_project.settings",
}
HOSTILE_DOTENV = "\n".join(
    [
        "DEBUG=true",
        "ATLAS_DEMO_PASSWORD=from-a-hostile-dotenv",
        "OPENAI_API_KEY=sk-dotenv",
        "ATLAS_LLM_PROVIDER=openai",
        "DATABASE_URL=postgres://hostile@hostile.invalid:5432/hostile",
        "ATLAS_PROPOSAL_TTL=1",
        "",
    ]
)
PROBE = """
import json, django
import pytest
from django.conf import settings
django.setup()
print(json.dumps({
    name: str(getattr(settings, name)) for name in (
        "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "ATLAS_DEMO_PASSWORD", "OPENAI_API_KEY", "OPENAI_BASE_URL",
        "ATLAS_LLM_PROVIDER", "ATLAS_LLM_MODEL", "EMAIL_BACKEND", "ATLAS_FOUR_EYES_AMOUNT", "ATLAS_EXECUTE_SYNC",
        "AXES_FAILURE_LIMIT", "ATLAS_PROPOSAL_TTL_HOURS", "LOGGING",
    )
} | {"ENGINE": settings.DATABASES["default"]["ENGINE"]}))
"""


def _base_env() -> dict[str, str]:
    """Only what a process needs to run, plus the two variables CI sets on purpose."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    # The caller's choice of database and broker is honoured (CI's PostgreSQL and Redis pass).
    env.update({k: os.environ[k] for k in ("DATABASE_URL", "REDIS_URL") if k in os.environ})
    env["PYTHONPATH"] = str(ROOT)
    return env


def _hostile_env(tmp_path: Path) -> dict[str, str]:
    dotenv = tmp_path / ".env"
    dotenv.write_text(HOSTILE_DOTENV)
    return _base_env() | HOSTILE | {"ATLAS_ENV_FILE": str(dotenv)}


def _settings_seen(env: dict[str, str], cwd: Path) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=cwd,
        env=env | {"DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_test_settings_ignore_the_callers_environment_and_dotenv(tmp_path):
    clean = _settings_seen(_base_env(), ROOT)
    hostile = _settings_seen(_hostile_env(tmp_path), tmp_path)
    assert hostile == clean
    assert clean["ATLAS_DEMO_PASSWORD"] == "" and clean["OPENAI_API_KEY"] == ""
    assert clean["ATLAS_LLM_PROVIDER"] == "offline" and clean["DEBUG"] == "False"
    assert clean["EMAIL_BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"


def test_the_suite_runs_with_its_own_values(settings):
    # The probe that the subprocess run below executes under the hostile environment.
    assert settings.ATLAS_DEMO_PASSWORD == ""
    assert settings.OPENAI_API_KEY == "" and settings.OPENAI_BASE_URL == ""
    assert settings.ATLAS_LLM_PROVIDER == "offline"
    assert settings.DEBUG is False
    assert settings.ATLAS_EXECUTE_SYNC is False
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.django_db
def test_demo_people_get_a_generated_password():
    # What broke `make test` when ATLAS_DEMO_PASSWORD was exported (the README suggests it).
    from brand.demo.people import people_set

    result = people_set()
    assert result.generated_password is not None and len(result.created) == 17


def test_pytest_under_a_hostile_environment_and_dotenv_passes(tmp_path):
    """The very tests that broke when ATLAS_DEMO_PASSWORD was set, run as `make test` runs them."""
    (tmp_path / ".env").write_text(HOSTILE_DOTENV)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            f"--rootdir={ROOT}",
            "-c",
            str(ROOT / "pyproject.toml"),
            f"{ROOT}/tests/atlas_project/test_hermetic.py::test_the_suite_runs_with_its_own_values",
            f"{ROOT}/tests/atlas_project/test_hermetic.py::test_demo_people_get_a_generated_password",
            f"{ROOT}/tests/brand/test_demo_seeds.py::test_people_use_the_configured_password",
        ],
        cwd=tmp_path,
        env=_hostile_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "3 passed" in result.stdout


def test_settings_read_no_dotenv_when_told_not_to():
    # The test process itself: whatever .env the project folder holds was not read.
    assert os.environ["ATLAS_ENV_FILE"] == ""
    assert settings.SECRET_KEY == "atlas-test-secret-key-not-for-production-0123456789abcdef"
