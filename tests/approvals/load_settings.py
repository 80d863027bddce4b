"""Settings of the gunicorn server in test_load: the test settings, served as production would be.

DEBUG off (the test settings' default), plain http on 127.0.0.1, so cookies are not Secure; the
lock-out stays on (fifty users each log in once with the right password, so it never trips).
"""

from tests.settings import *  # noqa: F403

ATLAS_EXECUTE_SYNC = False  # approvals queue their execution; the test's qcluster runs it
ALLOWED_HOSTS = ["127.0.0.1"]
