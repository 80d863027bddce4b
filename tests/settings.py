"""Settings for the test suite: the real settings, read from an environment the suite controls.

The suite gives the same result whatever the caller's environment and `.env` say: every variable
Atlas reads is removed from the environment before the real settings are imported, the test values
are set in its place, and no `.env` file is read. DATABASE_URL and REDIS_URL alone pass straight
through, so CI's second pass runs the very same suite on PostgreSQL and the Redis broker.

Subprocesses that tests start with these settings (an executor to kill, a qcluster) inherit the
cleaned environment and what their test sets on purpose (`ATLAS_TESTS_ENV_CLEANED` tells them so).
"""

import os
import re
import tempfile
from pathlib import Path

# Variables the caller may set on purpose: the database and the broker the suite runs against.
PASSED_THROUGH = frozenset({"DATABASE_URL", "REDIS_URL"})
# Set once the environment has been cleaned. A subprocess that a test starts (an executor, a qcluster)
# inherits the cleaned environment plus what that test set on purpose, and keeps both.
CLEANED = "ATLAS_TESTS_ENV_CLEANED"
# Every variable .env.example documents, and the families Atlas and its libraries read by prefix.
_DOCUMENTED = re.findall(
    r"^#?\s*([A-Z][A-Z0-9_]*)=", (Path(__file__).resolve().parent.parent / ".env.example").read_text(), re.M
)
_PREFIXES = ("ATLAS_", "OPENAI_", "AXES_", "Q_", "SECURE_", "EMAIL_", "SESSION_", "CSRF_", "DJANGO_Q")

if os.environ.get(CLEANED) != "1":
    for _name in list(os.environ):
        if _name not in PASSED_THROUGH and (_name in _DOCUMENTED or _name.startswith(_PREFIXES)):
            del os.environ[_name]
    os.environ[CLEANED] = "1"

for _name, _value in {
    "DEBUG": "false",
    "SECRET_KEY": "atlas-test-secret-key-not-for-production-0123456789abcdef",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "ATLAS_LLM_PROVIDER": "offline",
}.items():
    os.environ.setdefault(_name, _value)
os.environ["ATLAS_ENV_FILE"] = ""  # no .env: neither the project's nor one named by the caller

from atlas_project.settings import *  # noqa: E402, F403
from atlas_project.settings import DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
EMAIL_FILE_PATH = tempfile.mkdtemp(prefix="atlas-test-mail-")
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that threads and subprocesses in tests share one database.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"atlas-test-{os.getpid()}.sqlite3")}
