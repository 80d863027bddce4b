"""The harness's arithmetic: goals, figures, the repeat loop, percentiles, the table."""

from __future__ import annotations

import pytest

from bench.harness import SCALES, BenchContext, Figure, Goal, percentile, repeat
from bench.report import PartOutcome, markdown_table, text_table


@pytest.mark.parametrize(
    ("op", "target", "value", "met", "missed"),
    [
        ("<=", 1.10, 1.10, True, ""),
        ("<=", 1.10, 1.52, False, "+38% over"),
        ("<", 50, 50, False, "+0% over"),
        ("<", 50, 12.5, True, ""),
        (">=", 20_000, 17_600, False, "12% short"),
        (">=", 20_000, 20_000, True, ""),
        (">", 3, 3, False, "0% short"),
    ],
)
def test_goal_met_and_missed_by(op, target, value, met, missed):
    goal = Goal(op, target, "text")
    assert goal.met(value) is met
    assert goal.missed_by(value).startswith(missed) if missed else goal.missed_by(value) == ""


def test_a_goal_with_an_unknown_comparison_is_refused():
    with pytest.raises(ValueError, match="unknown comparison '=='"):
        Goal("==", 1, "equal")  # type: ignore[arg-type]


def test_a_figure_summarises_its_samples_and_is_judged_on_the_median():
    figure = Figure("k", "label", "ms", [30.0, 10.0, 70.0, 20.0, 60.0], Goal("<", 35, "under 35 ms"))
    assert (figure.median, figure.minimum, figure.maximum) == (30.0, 10.0, 70.0)
    assert figure.met is True  # the 70 ms outlier does not decide the verdict
    assert Figure("k", "label", "ms", [1.0]).met is None
    back = Figure.from_json(figure.as_json())
    assert back.samples == figure.samples and back.goal == figure.goal and back.met is True


@pytest.mark.parametrize("samples", [[], [float("nan")], [1.0, float("inf")]])
def test_a_figure_without_finite_samples_is_refused(samples):
    with pytest.raises(ValueError, match="k \\(label\\)"):
        Figure("k", "label", "ms", samples)


def test_repeat_discards_the_warmup_and_times_runs_that_return_nothing(tmp_path):
    ctx = BenchContext(SCALES["smoke"], "sqlite:///x", None, tmp_path, lambda _: None)
    values = iter(range(100, 110))
    assert repeat(ctx, lambda: float(next(values))) == [101.0, 102.0, 103.0]
    timed = repeat(ctx, lambda: None)
    assert len(timed) == SCALES["smoke"].repeats and all(0 <= t < 1 for t in timed)


def test_percentile_is_nearest_rank():
    values = list(range(1, 21))
    assert percentile(values, 95) == 19
    assert percentile(values, 50) == 10
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 95)


def test_the_table_says_by_how_much_a_goal_is_missed_and_which_part_failed():
    outcomes = [
        PartOutcome("imports", ["import_rows_per_s"], [
            Figure("import_rows_per_s", "orders", "rows/s", [17_600.0], Goal(">=", 20_000, "at least 20,000 rows/s"))
        ]),
        PartOutcome("memory", ["memory_recall_p95_ms"], error="OperationalError: no such table\ntraceback"),
    ]  # fmt: skip
    text = text_table(outcomes)
    assert "17,600 rows/s" in text and "missed by 12% short" in text
    assert "FAILED: OperationalError: no such table" in text and "traceback" not in text
    markdown = markdown_table(outcomes).splitlines()
    assert markdown[0] == "| key | what | median | min | max | goal | verdict |"
    assert markdown[2].startswith("| `import_rows_per_s` | orders | 17,600 rows/s |")
