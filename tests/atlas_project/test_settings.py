"""Settings fail loudly at start, with the variable's name; `check --deploy` passes in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import Error
from django.test import override_settings

from atlas_project.checks import check_bulk_insert_returns_ids, check_llm_timeout, check_q_cluster

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-like-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "atlas.example.com",
    "EMAIL_URL": "smtp://127.0.0.1:25",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # tests/settings.py puts test defaults into os.environ; a start-up test must not inherit them.
    inherited = {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    clean.update({"DJANGO_SETTINGS_MODULE": "atlas_project.settings", "DATABASE_URL": "sqlite:////tmp/x.db"})
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "a.example.com"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 60}, "ALLOWED_HOSTS"),
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"DEBUG": "true", "ATLAS_FOUR_EYES_AMOUNT": "lots"}, "ATLAS_FOUR_EYES_AMOUNT"),
        ({"DEBUG": "true", "Q_TIMEOUT": "-5"}, "Q_TIMEOUT"),
        ({"DEBUG": "true", "ATLAS_LLM_PRICES": "{not json"}, "ATLAS_LLM_PRICES"),
        ({"DEBUG": "true", "ATLAS_LLM_PROVIDER": "anthropic"}, "ATLAS_LLM_PROVIDER"),
        ({"DEBUG": "true", "ATLAS_WEBHOOK_URL": "https://hooks.example.com/x"}, "ATLAS_WEBHOOK_SECRET"),
        ({"DEBUG": "true", "ATLAS_LLM_MAX_OUTPUT_TOKENS": "0"}, "ATLAS_LLM_MAX_OUTPUT_TOKENS"),
        ({"DEBUG": "true", "ATLAS_LLM_MAX_OUTPUT_TOKENS_BY_KIND": '{"writer": 10}'}, "'writer' is not an agent kind"),
        ({"DEBUG": "true", "ATLAS_LLM_MAX_OUTPUT_TOKENS_BY_KIND": '{"director": -1}'}, "director: expected a whole"),
        ({"DEBUG": "true", "ATLAS_LLM_RESERVATION_MARGIN": "soon"}, "ATLAS_LLM_RESERVATION_MARGIN"),
    ],
)
def test_a_missing_or_malformed_setting_fails_at_start_with_its_name(env, named):
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]


def test_check_deploy_passes_with_a_production_like_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_retry_not_larger_than_the_timeout_is_rejected_by_a_system_check():
    result = manage("check", env={"DEBUG": "true", "Q_TIMEOUT": "300", "Q_RETRY": "300"})
    assert result.returncode != 0
    assert "atlas.E002" in result.stderr


@pytest.mark.parametrize(
    ("timeout", "retry", "ids"), [(300, 360, []), (300, 300, ["atlas.E002"]), (None, 60, ["atlas.E001"])]
)
def test_q_cluster_check(timeout, retry, ids):
    with override_settings(Q_CLUSTER={"timeout": timeout, "retry": retry, "catch_up": False}):
        errors = check_q_cluster()
    assert [e.id for e in errors] == ids
    assert all(isinstance(e, Error) for e in errors)


def test_catch_up_on_is_rejected():
    with override_settings(Q_CLUSTER={"timeout": 300, "retry": 360, "catch_up": True}):
        assert [e.id for e in check_q_cluster()] == ["atlas.E003"]


def test_an_llm_call_with_its_retries_must_fit_in_the_task_timeout():
    with override_settings(Q_CLUSTER={"timeout": 100, "retry": 120}, ATLAS_LLM_TIMEOUT=40, ATLAS_LLM_MAX_RETRIES=2):
        assert [w.id for w in check_llm_timeout()] == ["atlas.W001"]
    with override_settings(Q_CLUSTER={"timeout": 300, "retry": 360}, ATLAS_LLM_TIMEOUT=60, ATLAS_LLM_MAX_RETRIES=2):
        assert check_llm_timeout() == []


def test_the_database_runs_with_the_embedded_or_scale_out_defaults(db):
    from django.db import connection

    if connection.vendor == "postgresql":
        assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 1000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_a_database_that_returns_no_ids_from_bulk_inserts_is_an_error(monkeypatch):
    from django.db import connection

    assert check_bulk_insert_returns_ids(databases=["default"]) == []  # SQLite 3.35+ and PostgreSQL do
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    assert [e.id for e in check_bulk_insert_returns_ids(databases=["default"])] == ["atlas.E004"]


def test_an_unpriced_llm_model_is_a_configuration_error_unless_its_price_is_given():
    from agents.checks import check_llm_model_priced

    with override_settings(ATLAS_LLM_MODEL="llama3", ATLAS_LLM_PRICES={"gpt-4o-mini": {"input": 1, "output": 1}}):
        errors = check_llm_model_priced()
    assert [e.id for e in errors] == ["agents.E001"]
    assert "'llama3' has no price in ATLAS_LLM_PRICES" in errors[0].msg
    with override_settings(ATLAS_LLM_MODEL="llama3", ATLAS_LLM_PRICES={"llama3": {"input": 0, "output": 0}}):
        assert check_llm_model_priced() == []


def test_manage_check_refuses_an_unpriced_model_at_start():
    result = manage("check", env={"DEBUG": "true", "ATLAS_LLM_MODEL": "llama3"})
    assert result.returncode != 0
    assert "agents.E001" in result.stderr
    priced = manage(
        "check",
        env={"DEBUG": "true", "ATLAS_LLM_MODEL": "llama3", "ATLAS_LLM_PRICES": '{"llama3": {"input": 0, "output": 0}}'},
    )
    assert priced.returncode == 0, priced.stderr


def test_the_llm_log_retention_must_be_a_positive_number_of_days():
    result = manage("check", env={"DEBUG": "true", "ATLAS_LLM_LOG_RETENTION_DAYS": "forever"})
    assert result.returncode != 0
    assert "ATLAS_LLM_LOG_RETENTION_DAYS" in result.stderr.splitlines()[-1]
