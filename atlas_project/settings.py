"""Atlas settings, read from the environment (or a `.env` file) through django-environ.

Every variable is documented in `.env.example` and in the README's configuration table. A bad
value fails at start with the variable's name, never later in a request or a task.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# ATLAS_ENV_FILE names the file to read (default: the project's .env); empty reads none, which is
# how the test settings keep a developer's .env out of the suite.
_env_file = os.environ.get("ATLAS_ENV_FILE", str(BASE_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    environ.Env.read_env(_env_file, overwrite=False)


def _parsed(name: str, default: Any, cast: Any) -> Any:
    """Read one variable with `cast`; a value that does not parse names the variable."""
    raw = env.str(name, default=None)
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except (ValueError, TypeError, InvalidOperation, json.JSONDecodeError) as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a valid value: {exc}") from exc


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true/false")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _decimal(raw: str) -> Decimal:
    value = Decimal(raw)
    if not value.is_finite() or value < 0:
        raise ValueError("must be a non-negative number")
    return value


def _days_by_action_type(raw: str) -> dict[str, int]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError('expected a JSON object of action type -> days, e.g. {"ads.set_daily_budget": 7}')
    for key, days in value.items():
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError(f"{key}: expected a whole number of days (0 or more), got {days!r}")
    return value


AGENT_KINDS = ("specialist", "director", "orchestrator")


def _tokens_by_agent_kind(raw: str) -> dict[str, int]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError('expected a JSON object of agent kind -> tokens, e.g. {"orchestrator": 4000}')
    for kind, tokens in value.items():
        if kind not in AGENT_KINDS:
            raise ValueError(f"{kind!r} is not an agent kind (expected one of {', '.join(AGENT_KINDS)})")
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1:
            raise ValueError(f"{kind}: expected a whole number of tokens (1 or more), got {tokens!r}")
    return value


def _fraction(raw: str) -> float:
    value = float(raw)
    if not 0 < value < 10:
        raise ValueError("expected a fraction such as 0.2 (20%)")
    return value


DEBUG: bool = _parsed("DEBUG", False, _bool)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "django-insecure-atlas-development-only-key-never-use-in-production"

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off (see .env.example).")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "simple_history",
    "axes",
    "atlas_project.apps.AtlasProjectConfig",
    "divisions",
    "brand",
    "agents",
    "memory",
    "approvals",
    "bench.apps.BenchConfig",
]

MIDDLEWARE = [
    # First: every later layer (the session's user, the admin's permission checks) reads its answers.
    "atlas_project.middleware.RequestCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "atlas_project.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lock-out response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "atlas_project.urls"
WSGI_APPLICATION = "atlas_project.wsgi.application"
ASGI_APPLICATION = "atlas_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
# SQLite is the embedded default. WAL lets the console read while a qcluster worker writes;
# IMMEDIATE transactions take the write lock up front so two writers queue on the busy timeout
# instead of failing with "database is locked" half-way through a transaction.
SQLITE_BUSY_TIMEOUT_MS: int = _parsed("SQLITE_BUSY_TIMEOUT_MS", 20000, _positive_int)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'atlas.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS};"
                "PRAGMA foreign_keys=ON;"
            ),
        }
    )
    DATABASES["default"].setdefault("TEST", {})
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and background jobs ------------------------------------------------------------------
REDIS_URL: str = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

Q_TIMEOUT: int = _parsed("Q_TIMEOUT", 300, _positive_int)
Q_RETRY: int = _parsed("Q_RETRY", 360, _positive_int)
Q_CLUSTER: dict[str, Any] = {
    "name": env.str("Q_CLUSTER_NAME", default="atlas"),
    "workers": _parsed("Q_WORKERS", 2, _positive_int),
    "timeout": Q_TIMEOUT,
    "retry": Q_RETRY,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "label": "Agent jobs",
    # The ORM broker polls an empty queue; a task (a cycle's phase, an approved proposal's execution)
    # waits up to one poll to start, half of it on average (Redis blocks instead of polling). An idle
    # poll is one indexed SELECT on a small table: twenty a second per cluster cost nothing noticeable.
    "poll": 0.05,
}
# The ORM broker takes up to this many tasks per dequeue (one SELECT, then one conditional UPDATE each):
# a burst of approvals reaches every worker in one round instead of one task a round. The pusher's
# queue holds at most workers^2 tasks, and a task taken by a cluster that dies is delivered again after
# `retry`, as with one. Redis ignores it.
Q_CLUSTER["bulk"] = Q_CLUSTER["workers"]
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_URL: str = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Atlas <atlas@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security (check --deploy) ------------------------------------------------------------------
SECURE_SSL_REDIRECT: bool = _parsed("SECURE_SSL_REDIRECT", not DEBUG, _bool)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# The console's forms carry the CSRF token in the page; no script needs to read the cookie.
CSRF_COOKIE_HTTPONLY = True
# Lax, not Strict: a digest's approval link is a top-level GET from a mail client and must arrive
# logged in; cross-site POSTs still carry no cookie.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS: int = _parsed("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, int)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Login lock-out (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES. Username and address together, so that
# a stranger cannot lock a colleague out from elsewhere by guessing at their name.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "atlas_project.auth.ModelBackendOneQuery",
]
AXES_FAILURE_LIMIT: int = _parsed("AXES_FAILURE_LIMIT", 5, _positive_int)
AXES_COOLOFF_TIME: dt.timedelta = dt.timedelta(minutes=_parsed("AXES_COOLOFF_MINUTES", 30, _positive_int))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# The console's Content-Security-Policy (atlas_project.middleware): everything from Atlas itself,
# the admin's scripts included; inline styles only, because the admin's templates use a few.
ATLAS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# django-simple-history: reverting from the history page would bypass the services that guard
# every change, so it is off; history pages are read-only and respect the model's permissions.
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True

# --- Atlas --------------------------------------------------------------------------------------
ATLAS_SITE_URL: str = env.str("ATLAS_SITE_URL", default="http://127.0.0.1:8000")
ATLAS_FOUR_EYES_AMOUNT: Decimal = _parsed("ATLAS_FOUR_EYES_AMOUNT", Decimal("1000"), _decimal)
ATLAS_PROPOSAL_TTL_HOURS: int = _parsed("ATLAS_PROPOSAL_TTL", 48, _positive_int)
ATLAS_EXECUTION_CLAIM_TTL: int = _parsed("ATLAS_EXECUTION_CLAIM_TTL", 600, _positive_int)
ATLAS_EXECUTION_MAX_ATTEMPTS: int = _parsed("ATLAS_EXECUTION_MAX_ATTEMPTS", 3, _positive_int)
# Run approved actions in-process right after the approval commits, instead of queueing them for a
# qcluster worker (single-process setups and tests; the commands' --sync flag does this per call).
ATLAS_EXECUTE_SYNC: bool = _parsed("ATLAS_EXECUTE_SYNC", False, _bool)
# Days agents leave a rejected proposal's target alone, per action type (the type's default otherwise),
# and how far the numbers it rested on must move (relative) before it may come back sooner.
ATLAS_REJECT_COOLDOWN_DAYS: dict[str, int] = _parsed("ATLAS_REJECT_COOLDOWN_DAYS", {}, _days_by_action_type)
ATLAS_REJECT_MATERIAL_CHANGE: float = _parsed("ATLAS_REJECT_MATERIAL_CHANGE", 0.2, _fraction)
ATLAS_WEBHOOK_URL: str = env.str("ATLAS_WEBHOOK_URL", default="")
ATLAS_WEBHOOK_SECRET: str = env.str("ATLAS_WEBHOOK_SECRET", default="")
ATLAS_WEBHOOK_ACTIONS: list[str] = env.list("ATLAS_WEBHOOK_ACTIONS", default=[])
ATLAS_WEBHOOK_TIMEOUT: int = _parsed("ATLAS_WEBHOOK_TIMEOUT", 10, _positive_int)
if ATLAS_WEBHOOK_URL and not ATLAS_WEBHOOK_SECRET:
    raise ImproperlyConfigured("ATLAS_WEBHOOK_SECRET must be set when ATLAS_WEBHOOK_URL is set.")
ATLAS_DEMO_PASSWORD: str = env.str("ATLAS_DEMO_PASSWORD", default="")

# LLM: the offline provider is the default whenever no API key is set.
OPENAI_API_KEY: str = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL: str = env.str("OPENAI_BASE_URL", default="")
ATLAS_LLM_PROVIDER: str = env.str("ATLAS_LLM_PROVIDER", default="openai" if OPENAI_API_KEY else "offline")
if ATLAS_LLM_PROVIDER not in {"openai", "offline"}:
    raise ImproperlyConfigured(f"ATLAS_LLM_PROVIDER={ATLAS_LLM_PROVIDER!r}: expected 'openai' or 'offline'.")
if ATLAS_LLM_PROVIDER == "openai" and not OPENAI_API_KEY:
    raise ImproperlyConfigured("ATLAS_LLM_PROVIDER=openai needs OPENAI_API_KEY.")
ATLAS_LLM_MODEL: str = env.str("ATLAS_LLM_MODEL", default="gpt-4o-mini")
ATLAS_LLM_TIMEOUT: int = _parsed("ATLAS_LLM_TIMEOUT", 60, _positive_int)
ATLAS_LLM_MAX_RETRIES: int = _parsed("ATLAS_LLM_MAX_RETRIES", 2, int)
ATLAS_LLM_CONCURRENCY: int = _parsed("ATLAS_LLM_CONCURRENCY", 16, _positive_int)
# Runs doing their own work (not waiting on an LLM) at once per process; see agents/work_slots.py.
ATLAS_AGENT_WORK_SLOTS: int = _parsed("ATLAS_AGENT_WORK_SLOTS", 2, _positive_int)
# USD per million tokens, input and output, per model. A model missing here is a configuration
# error (system check agents.E001, the Agent admin form): its calls could not be budgeted.
ATLAS_LLM_PRICES: dict[str, dict[str, float]] = _parsed(
    "ATLAS_LLM_PRICES",
    {
        "gpt-4o-mini": {"input": 0.15, "output": 0.60},
        "gpt-4o": {"input": 2.50, "output": 10.00},
        "gpt-4.1-mini": {"input": 0.40, "output": 1.60},
        "gpt-4.1": {"input": 2.00, "output": 8.00},
    },
    json.loads,
)
# Days the prompts and answers of LLM calls are kept (atlas_llm_prune empties older ones; the rows
# and their token and cost counts stay).
ATLAS_LLM_LOG_RETENTION_DAYS: int = _parsed("ATLAS_LLM_LOG_RETENTION_DAYS", 30, _positive_int)
# The longest answer a call may give, in tokens: sent as the call's max_tokens and reserved against
# the budgets with the prompt, so that the calls in flight cannot overshoot a budget by their answers.
# Per agent kind where one writes longer (the orchestrator's briefing); the rest take the default.
ATLAS_LLM_MAX_OUTPUT_TOKENS: int = _parsed("ATLAS_LLM_MAX_OUTPUT_TOKENS", 2000, _positive_int)
ATLAS_LLM_MAX_OUTPUT_TOKENS_BY_KIND: dict[str, int] = _parsed(
    "ATLAS_LLM_MAX_OUTPUT_TOKENS_BY_KIND", {"orchestrator": 4000}, _tokens_by_agent_kind
)
# Seconds past a call's longest possible life (ATLAS_LLM_TIMEOUT x (ATLAS_LLM_MAX_RETRIES + 1)) after
# which a reservation never settled is taken for one whose worker died, and released.
ATLAS_LLM_RESERVATION_MARGIN: int = _parsed("ATLAS_LLM_RESERVATION_MARGIN", 120, _positive_int)
ATLAS_DAILY_TOKEN_BUDGET: int = _parsed("ATLAS_DAILY_TOKEN_BUDGET", 2_000_000, _positive_int)
ATLAS_DAILY_COST_BUDGET: Decimal = _parsed("ATLAS_DAILY_COST_BUDGET", Decimal("20"), _decimal)
