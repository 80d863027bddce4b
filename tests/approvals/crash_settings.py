"""Settings of the qcluster subprocess in test_crash: the test settings, then the crash test's knobs.

Read here explicitly from the environment the test gives the subprocess, so that the suite's own
settings (e-mail to memory, no webhook) do not decide what the cluster talks to.
"""

import os

import environ

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS, Q_CLUSTER

vars().update(environ.Env().email_url("EMAIL_URL"))
INSTALLED_APPS = [*INSTALLED_APPS, "tests.approvals.crash_app.CrashWorkers"]
ATLAS_EXECUTE_SYNC = False
ATLAS_EXECUTION_CLAIM_TTL = int(os.environ["ATLAS_EXECUTION_CLAIM_TTL"])
ATLAS_WEBHOOK_URL = os.environ["ATLAS_WEBHOOK_URL"]
ATLAS_WEBHOOK_SECRET = os.environ["ATLAS_WEBHOOK_SECRET"]
ATLAS_WEBHOOK_ACTIONS = os.environ["ATLAS_WEBHOOK_ACTIONS"].split(",")
ATLAS_WEBHOOK_TIMEOUT = float(os.environ["ATLAS_WEBHOOK_TIMEOUT"])
Q_CLUSTER = {
    **Q_CLUSTER,
    "name": os.environ["Q_CLUSTER_NAME"],
    "cluster_name": os.environ["ATLAS_CRASH_QUEUE"],
    "workers": 2,
    "timeout": 20,
    "retry": 25,
}
if not os.environ.get("REDIS_URL"):
    Q_CLUSTER = {k: v for k, v in Q_CLUSTER.items() if k != "redis"} | {"orm": "default"}
