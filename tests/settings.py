"""Settings for the test suite: the real settings, with test-only defaults for the secrets.

DATABASE_URL and REDIS_URL pass straight through, so CI's second pass runs the very same suite
on PostgreSQL and the Redis broker.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "atlas-test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ATLAS_LLM_PROVIDER", "offline")

from atlas_project.settings import *  # noqa: F403
from atlas_project.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
EMAIL_FILE_PATH = tempfile.mkdtemp(prefix="atlas-test-mail-")
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that threads and subprocesses in tests share one database.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"atlas-test-{os.getpid()}.sqlite3")}
