"""Installed only in the qcluster that `bench.servers.qcluster` starts: each worker writes its pid to a
file once it has spawned (and warmed up), so that the launcher knows when the cluster can take work and
a crash test kills workers (the processes that execute), never the cluster's pusher or monitor, whose
death mid-write can leave django-q2's internal queue locked for good."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.apps import AppConfig

WORKERS_DIR_ENV = "ATLAS_CLUSTER_WORKERS_DIR"


BUSY = "busy"  # a subfolder: a worker's pid there while it executes a task


def _note_worker(sender: Any, proc_name: str = "", **kwargs: Any) -> None:
    folder = os.environ.get(WORKERS_DIR_ENV)
    if folder:
        (Path(folder) / str(os.getpid())).write_text(proc_name)


def _busy(folder: str) -> Path:
    busy = Path(folder) / BUSY
    busy.mkdir(exist_ok=True)
    return busy / str(os.getpid())


def _note_busy(sender: Any, **kwargs: Any) -> None:
    # Sent once the worker has taken its task off the cluster's internal queue: killed from here on,
    # it dies inside an execution, never holding that queue's lock (a kill inside the queue's get
    # leaves it locked for good, a django-q2 limitation, and every worker after it waits forever).
    folder = os.environ.get(WORKERS_DIR_ENV)
    if folder:
        _busy(folder).touch()


def _note_idle(sender: Any, **kwargs: Any) -> None:
    folder = os.environ.get(WORKERS_DIR_ENV)
    if folder:
        _busy(folder).unlink(missing_ok=True)


class WorkerPids(AppConfig):
    name = "bench.worker_pids"
    label = "bench_worker_pids"

    def ready(self) -> None:
        from django_q.signals import post_execute_in_worker, post_spawn, pre_execute

        # Connected after every installed app's own post_spawn handlers (agents' warm-up among them):
        # a worker's pid file says it is ready.
        post_spawn.connect(_note_worker, dispatch_uid="bench.worker_pids")
        pre_execute.connect(_note_busy, dispatch_uid="bench.worker_pids.busy")
        post_execute_in_worker.connect(_note_idle, dispatch_uid="bench.worker_pids.idle")
