"""Settings of the qcluster subprocess in test_qcluster: the test settings plus the test agents."""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.agents.cluster_app.ClusterTestAgents"]
