"""Benchmark: one daily cycle against a slow OpenAI-compatible endpoint, wall time over its critical path.

    .venv/bin/python bench/cycle_critical_path.py --db /tmp/bench/atlas.sqlite3 [--latency 1.0] [--runs 1]

Build the database first (`DEBUG=true DATABASE_URL=sqlite:////tmp/bench/atlas.sqlite3 manage.py migrate`,
then `... atlas_demo --seed 1`). A fake OpenAI-compatible server (tests/agents/fake_openai.py) starts
on 127.0.0.1 in this process and answers every call after `--latency` seconds; the cycle runs in-process
(`sync`, a thread per run up to ATLAS_LLM_CONCURRENCY) with the real registry. Prints one JSON object per
cycle: {runs, llm_calls, wall_seconds, critical_path_seconds, ratio, max_overlap}. The critical path is the
longest chain of LLM calls (slowest specialist, then slowest director, then the orchestrator): a cycle
whose calls overlap takes about that long; one run sequentially about the sum of all calls.
Use `--database-url` instead of `--db` for PostgreSQL. `--offline` times the same cycle without LLM calls:
the agents' own work (analyses, memory writes), a floor under the wall time whatever the overlap.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", help="SQLite file built with migrate + atlas_demo.")
    where.add_argument("--database-url", help="Any DATABASE_URL (e.g. postgres://...) built the same way.")
    parser.add_argument("--latency", type=float, default=1.0, help="Seconds the fake endpoint takes per answer.")
    parser.add_argument("--runs", type=int, default=1, help="Cycles to run one after the other.")
    parser.add_argument("--division", help="Only this division (default: every division).")
    parser.add_argument(
        "--offline", action="store_true", help="The offline provider instead: the cycle's own work, no LLM latency."
    )
    args = parser.parse_args()

    from tests.agents.fake_openai import FakeOpenAI

    fake = FakeOpenAI(latency=args.latency).start()
    # Settings read the environment once, at django.setup(): point the openai provider at the fake first.
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{Path(args.db).resolve()}"
    os.environ.setdefault("DEBUG", "true")
    os.environ["ATLAS_LLM_PROVIDER"] = "offline" if args.offline else "openai"
    os.environ["OPENAI_API_KEY"] = "sk-bench-not-a-real-key"
    os.environ["OPENAI_BASE_URL"] = fake.base_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atlas_project.settings")
    import django

    django.setup()
    from agents.bench import time_cycle

    try:
        for _ in range(args.runs):
            fake.calls.clear()
            result = time_cycle(division=args.division)
            result["max_overlap"] = fake.max_overlap()
            print(json.dumps(result), flush=True)
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
