"""Settings of the qcluster in test_crash: the test settings, then the crash test's knobs.

Read here explicitly from the environment the test gives the cluster, so that the suite's own
settings (e-mail to memory, no webhook) do not decide what the cluster talks to. The launcher
(`bench.servers.qcluster`) adds its queue, its broker and the workers' pid files.
"""

import os

import environ

from tests.settings import *  # noqa: F403
from tests.settings import Q_CLUSTER

vars().update(environ.Env().email_url("EMAIL_URL"))
ATLAS_EXECUTE_SYNC = False
ATLAS_EXECUTION_CLAIM_TTL = int(os.environ["ATLAS_EXECUTION_CLAIM_TTL"])
ATLAS_WEBHOOK_URL = os.environ["ATLAS_WEBHOOK_URL"]
ATLAS_WEBHOOK_SECRET = os.environ["ATLAS_WEBHOOK_SECRET"]
ATLAS_WEBHOOK_ACTIONS = os.environ["ATLAS_WEBHOOK_ACTIONS"].split(",")
ATLAS_WEBHOOK_TIMEOUT = float(os.environ["ATLAS_WEBHOOK_TIMEOUT"])
Q_CLUSTER = {**Q_CLUSTER, "timeout": 20, "retry": 25}
