"""Settings of a qcluster that `bench.servers.qcluster` starts: the settings module it was asked for
(`ATLAS_CLUSTER_BASE_SETTINGS`), its workers noting their pids, and the queue it was given.

The queue (django-q2's `cluster_name`) is separate from the cluster's `name`, which django-q2 also
uses to sign tasks: a cluster on a queue of its own still reads the tasks its caller signed, and no
task that other runs left in a shared broker is in its way.
"""

import os
from importlib import import_module

_base = import_module(os.environ["ATLAS_CLUSTER_BASE_SETTINGS"])
globals().update({name: value for name, value in vars(_base).items() if name.isupper()})

INSTALLED_APPS = [*_base.INSTALLED_APPS, "bench.worker_pids.WorkerPids"]
Q_CLUSTER = {**_base.Q_CLUSTER}
if os.environ.get("ATLAS_CLUSTER_QUEUE"):
    Q_CLUSTER["cluster_name"] = os.environ["ATLAS_CLUSTER_QUEUE"]
