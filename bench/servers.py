"""The real servers that benchmarks and tests start on this machine: a `manage.py qcluster` and gunicorn.

Each runs as a subprocess in a session of its own, so that stopping it stops every process it forked
(the cluster's sentinel, pusher, monitor and workers; gunicorn's workers) and nothing else: SIGTERM to
that process group, then SIGKILL if it has not gone within the grace period. Each is ready only once it
can do its work: the cluster when every worker has spawned and warmed up (each writes its pid, see
`bench.worker_pids`), gunicorn when it answers HTTP. Their output goes to a log file whose tail is in
every error about them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from bench.worker_pids import BUSY, WORKERS_DIR_ENV

ROOT = Path(__file__).resolve().parents[1]
Broker = Literal["orm", "redis"]
STOP_GRACE_SECONDS = 20.0


class ServerError(RuntimeError):
    """A server did not start, or died: the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def database_url_for(db: Mapping[str, Any]) -> str:
    """The DATABASE_URL of a Django database's settings: a subprocess started with it uses that database."""
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    user = quote(str(db["USER"]), safe="")
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _log_tail(log: Path, chars: int = 4000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes], grace: float = STOP_GRACE_SECONDS) -> None:
    # The server and its children share the session we gave it: signal that group, by its id.
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _spawn(command: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _log_file(log: Path | None, prefix: str) -> Path:
    if log is not None:
        return log
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=".log")
    os.close(handle)
    return Path(name)


@dataclass
class Cluster:
    proc: subprocess.Popen[bytes]
    log: Path
    workers_dir: Path
    broker: Broker
    queue: str
    redis_url: str
    ready_after: float = 0.0  # seconds from the launch until every worker was up

    def alive(self) -> bool:
        return self.proc.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            raise ServerError(f"the qcluster exited with {self.proc.returncode}:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        return _log_tail(self.log, chars)

    def worker_pids(self) -> list[int]:
        """The pids of the cluster's live workers (a killed worker is replaced by a new one, which
        writes its own pid when it has spawned)."""
        return self._alive_in(self.workers_dir)

    def busy_worker_pids(self) -> list[int]:
        """The live workers inside a task's execution (taken off the cluster's internal queue, not yet
        done): the ones a crash test kills "in the middle of an execution"."""
        return self._alive_in(self.workers_dir / BUSY)

    def _alive_in(self, folder: Path) -> list[int]:
        alive = []
        for entry in folder.iterdir() if folder.is_dir() else ():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                entry.unlink(missing_ok=True)
                continue
            # A recycled pid outside the cluster's session is not one of its workers.
            with contextlib.suppress(ProcessLookupError):
                if os.getsid(pid) == self.proc.pid:
                    alive.append(pid)
        return alive


@contextlib.contextmanager
def qcluster(
    *,
    database_url: str,
    broker: Broker,
    redis_url: str = "",
    settings: str = "atlas_project.settings",
    workers: int = 2,
    name: str,
    queue: str = "",
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    ready_timeout: float = 120.0,
) -> Iterator[Cluster]:
    """A real `manage.py qcluster` with `settings` (plus `bench.cluster_settings`), on `database_url`.

    `broker` "orm" queues in that database; "redis" on `redis_url`. `name` is the cluster's name, which
    django-q2 also signs tasks with: it must be the name of the process that queues the work. `queue`
    (default: the name) is the list the cluster reads. Yields once every worker is up; stops on exit.
    """
    if broker == "redis" and not redis_url:
        raise ValueError("qcluster(broker='redis') needs a redis_url")
    log = _log_file(log, f"atlas-qcluster-{broker}-")
    workers_dir = Path(tempfile.mkdtemp(prefix="atlas-qcluster-workers-"))
    cluster_env = {
        **os.environ,
        **(env or {}),
        "DJANGO_SETTINGS_MODULE": "bench.cluster_settings",
        "ATLAS_CLUSTER_BASE_SETTINGS": settings,
        "ATLAS_CLUSTER_QUEUE": queue,
        WORKERS_DIR_ENV: str(workers_dir),
        "DATABASE_URL": database_url,
        # The settings choose the broker: Redis when REDIS_URL is set, else the ORM.
        "REDIS_URL": redis_url if broker == "redis" else "",
        "Q_CLUSTER_NAME": name,
        "Q_WORKERS": str(workers),
    }
    proc = _spawn([sys.executable, "manage.py", "qcluster"], cluster_env, log)
    cluster = Cluster(
        proc=proc, log=log, workers_dir=workers_dir, broker=broker, queue=queue or name, redis_url=redis_url
    )
    try:
        launched = time.monotonic()
        deadline = launched + ready_timeout
        while len(cluster.worker_pids()) < workers:
            cluster.check_alive()
            if time.monotonic() > deadline:
                raise ServerError(
                    f"the qcluster's {workers} workers were not up after {ready_timeout:.0f} s:\n{cluster.log_tail()}"
                )
            time.sleep(0.05)
        cluster.ready_after = time.monotonic() - launched
        yield cluster
    finally:
        _stop(proc)
        shutil.rmtree(workers_dir, ignore_errors=True)


@contextlib.contextmanager
def queueing_to(cluster: Cluster) -> Iterator[None]:
    """Within this block the work this process queues (the approvals' dispatch, the sweeper, any
    `async_task`) goes to `cluster`'s broker and queue, whatever this process was configured with.

    django-q2 reads its configuration once per process into `Conf`, and picks the broker and queue
    from it at each call: those three attributes are what decides where a task goes.
    """
    from django_q.conf import Conf

    saved = (Conf.ORM, Conf.REDIS, Conf.CLUSTER_NAME)
    Conf.ORM = "default" if cluster.broker == "orm" else None
    Conf.REDIS = cluster.redis_url or Conf.REDIS
    Conf.CLUSTER_NAME = cluster.queue
    try:
        yield
    finally:
        Conf.ORM, Conf.REDIS, Conf.CLUSTER_NAME = saved


@dataclass
class Gunicorn:
    proc: subprocess.Popen[bytes]
    log: Path
    base_url: str

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        return _log_tail(self.log, chars)


@contextlib.contextmanager
def gunicorn(
    *,
    database_url: str,
    settings: str = "atlas_project.settings",
    workers: int = 2,
    threads: int = 4,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    ready_path: str = "/admin/login/",
    ready_timeout: float = 60.0,
) -> Iterator[Gunicorn]:
    """Atlas served by gunicorn on 127.0.0.1 at a free port; yields once `ready_path` answers."""
    log = _log_file(log, "atlas-gunicorn-")
    port = free_port()
    server_env = {**os.environ, **(env or {}), "DJANGO_SETTINGS_MODULE": settings, "DATABASE_URL": database_url}
    command = [sys.executable, "-m", "gunicorn", "atlas_project.wsgi", "-b", f"127.0.0.1:{port}"]
    command += ["-w", str(workers), "--threads", str(threads), "--timeout", "60", "--graceful-timeout", "10"]
    proc = _spawn(command, server_env, log)
    server = Gunicorn(proc=proc, log=log, base_url=f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if not server.alive():
                raise ServerError(f"gunicorn exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                urllib.request.urlopen(server.base_url + ready_path, timeout=5).read()
                break
            except urllib.error.HTTPError:
                break  # it answers: an error page is an answer
            except OSError:  # refused, reset or timed out (a worker still loading Django on a busy machine)
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"gunicorn did not answer within {ready_timeout:.0f} s:\n{server.log_tail()}"
                    ) from None
                time.sleep(0.2)
        yield server
    finally:
        _stop(proc)
