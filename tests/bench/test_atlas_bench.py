"""`manage.py atlas_bench` end to end at the smoke scale, and what it refuses before any work.

How fast anything is belongs to the benchmark's report, never to an assertion here: these check
that the command measures what was asked, in databases of its own, and reports it whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from bench import databases, runner

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    # The command reads the real settings: the suite's cleaned environment, DEBUG on for its defaults.
    return {**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}, "DEBUG": "true"}


def test_smoke_run_measures_every_asked_key_and_writes_the_whole_report(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "manage.py", "atlas_bench", "--scale", "smoke", "--json", str(out),
         "--only", "import_rows_per_s,memory_recall_p95_ms"],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["scale"]["name"] == "smoke"
    assert set(report["parts"]) == {"imports", "memory"}
    assert all(part["status"] == "ok" for part in report["parts"].values())
    assert report["failed"] == []
    vendor = "postgresql" if databases.is_postgres(os.environ.get("DATABASE_URL", "")) else "sqlite"
    assert report["database"]["vendor"] == vendor and report["database"]["version"]
    assert report["broker"] == ("redis" if os.environ.get("REDIS_URL") else "orm")
    assert report["machine"]["cores"] >= 1 and report["machine"]["memory_gib"] > 0
    assert {"python", "django", "django-q2", "sqlite"} <= set(report["versions"])
    assert report["duration_s"] > 0 and report["started_at"]
    by_key: dict[str, list[dict]] = {}
    for figure in report["figures"]:
        by_key.setdefault(figure["key"], []).append(figure)
    # Only the asked keys: the memory part was not asked for context_tokens.
    assert set(by_key) == {"import_rows_per_s", "memory_recall_p95_ms"}
    for figures in by_key.values():
        for figure in figures:
            assert len(figure["samples"]) == report["scale"]["repeats"]
            assert all(isinstance(s, int | float) and s > 0 for s in figure["samples"])
            assert figure["min"] <= figure["median"] <= figure["max"]
    (rate,) = [f for f in by_key["import_rows_per_s"] if f["unit"] == "rows/s"]
    assert rate["detail"]["rows"] == report["scale"]["import_rows"]
    assert rate["goal"] == {"op": ">=", "target": 20000, "text": "at least 20,000 rows/s"}
    assert rate["met"] is (rate["median"] >= 20000)
    (recall,) = by_key["memory_recall_p95_ms"]
    assert recall["detail"]["queries_per_recall"] == [2]
    # The table names every figure and the JSON was written before it.
    assert done.stdout.count("import_rows_per_s") == 2 and "memory_recall_p95_ms" in done.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"only": "import_rows_per_s,nope"}, "unknown key(s) nope"),
        ({"only": " , "}, "--only names no key"),
        ({"scale": "huge"}, "--scale 'huge': expected one of smoke, standard, large"),
        ({"json_path": "/nonexistent-folder/bench.json"}, "the folder /nonexistent-folder does not exist"),
        ({"json_path": "."}, "is a folder"),
    ],
)
def test_bad_input_is_refused_before_any_work(monkeypatch, options, message):
    def no_work(**kwargs):
        raise AssertionError("the benchmark started despite bad input")

    monkeypatch.setattr(runner, "run_parts", no_work)
    with pytest.raises(CommandError) as refused:
        call_command("atlas_bench", **options)
    assert message in str(refused.value)


def test_a_failing_part_is_reported_with_its_error_and_the_others_still_run(monkeypatch, tmp_path):
    create = databases.create

    def broken_for_imports(url: str) -> None:
        if "imports" in url:
            raise OSError("disk full (a test's failure)")
        create(url)

    monkeypatch.setattr(databases, "create", broken_for_imports)
    monkeypatch.setenv("DEBUG", "true")
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    base = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'atlas.sqlite3'}"
    outcomes = runner.run_parts(
        scale=runner.scale_named("smoke"),
        by_part={"imports": ["import_rows_per_s"], "memory": ["context_tokens"]},
        base_url=base,
        redis_url=None,
        log=lambda _: None,
    )
    imports, memory = outcomes
    assert imports.failed and imports.error == "OSError: disk full (a test's failure)" and imports.figures == []
    assert not memory.failed, memory.error
    assert {f.key for f in memory.figures} == {"context_tokens"}
    report = runner.document(
        scale=runner.scale_named("smoke"), outcomes=outcomes, base_url=base, redis_url=None,
        started_at=__import__("datetime").datetime.now(), seconds=1.0,
    )  # fmt: skip
    assert report["failed"] == ["imports"]
    assert report["parts"]["imports"] == {
        "keys": ["import_rows_per_s"], "status": "failed", "error": "OSError: disk full (a test's failure)",
        "seconds": report["parts"]["imports"]["seconds"],
    }  # fmt: skip
