"""For the qcluster subprocess of test_crash: each worker writes down its pid when it spawns, so that
the test kills workers (the processes that execute) and not the cluster's pusher or monitor, whose
death mid-write can leave django-q2's internal queue locked for good."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.apps import AppConfig


def _note_worker(sender: Any, proc_name: str = "", **kwargs: Any) -> None:
    folder = os.environ.get("ATLAS_CRASH_WORKERS_DIR")
    if folder:
        (Path(folder) / str(os.getpid())).write_text(proc_name)


class CrashWorkers(AppConfig):
    name = "tests.approvals"
    label = "approvals_crash_tests"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        post_spawn.connect(_note_worker, dispatch_uid="tests.crash.note_worker")
