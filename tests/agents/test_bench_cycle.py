"""The cycle benchmark (bench/cycle_critical_path.py) runs end to end: a smoke test, not a timed one.

It builds the demo brand in a file of its own, runs the benchmark in-process and through a real
qcluster against its local OpenAI-compatible server (a short latency), and checks what it reports
about the cycle: every registered agent ran, the calls were made and measured, the ratio is there.
How fast the cycle is is the benchmark's business, never an assertion here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agents.runtime import registry

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("bench")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")},
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{folder / 'atlas.sqlite3'}",
        "Q_CLUSTER_NAME": f"atlas-bench-smoke-{os.getpid()}",
    }
    manage("migrate", "-v0", env=env)
    manage("atlas_demo", "--seed", "1", env=env)
    return folder / "atlas.sqlite3", env


def bench(*args: str, env: dict[str, str]) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "bench/cycle_critical_path.py", "--latency", "0.05", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def agents_registered() -> int:
    registry.autodiscover()
    return len(registry.all_agents())


def test_in_process_every_agent_runs_and_the_summary_spans_the_runs(demo_file):
    path, env = demo_file
    *cycles, summary = bench("--db", str(path), "--runs", "2", env=env)
    assert len(cycles) == 2
    for cycle in cycles:
        assert cycle["runs"] == agents_registered()
        assert cycle["llm_calls"] > 0
        assert cycle["critical_path_seconds"] > 0
        assert cycle["ratio"] == pytest.approx(cycle["wall_seconds"] / cycle["critical_path_seconds"], abs=0.01)
    # Each cycle ran on a fresh copy: the day's first cycle both times, the same calls.
    assert cycles[0]["llm_calls"] == cycles[1]["llm_calls"]
    assert summary["summary"] is True and summary["runs"] == 2
    assert summary["ratio_min"] <= summary["ratio_median"] <= summary["ratio_max"]


def test_through_a_real_qcluster_the_cycle_finishes_phase_by_phase(demo_file):
    path, env = demo_file
    (cycle,) = bench("--cluster", "--db", str(path), "--workers", "2", env=env)
    assert cycle["status"] == "done"
    assert cycle["runs"] == agents_registered()
    assert cycle["llm_calls"] > 0 and cycle["critical_path_seconds"] > 0
    assert set(cycle["phases"]) >= {"specialist", "director", "orchestrator"}
    assert cycle["phases"]["specialist"]["runs"] > 0
