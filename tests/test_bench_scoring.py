"""The repair benchmark's scoring (`bench/scoring.py`) on hand-made outcomes with known answers:
what an exact fix is, the summaries per split, size and class, medians and percentiles, the
model / baseline ratios and blind search against repair."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from repair.patch import unified_diff

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bugs = _load("bugs")
scoring = _load("scoring")
Blind = bugs.Blind


@dataclass
class Case:
    """A stand-in for `repair_bench.Case`: what scoring reads."""

    name: str
    split: str = scoring.HUMANEVAL
    bug_class: str = bugs.VARIABLE
    swap: bool = False
    blind: Blind | None = None
    blind_function: Blind | None = None

    @property
    def size(self) -> str:
        return scoring.size_of(self.bug_class)


def row(name, fixed, exact=False, runs=0, candidates=0, seconds=1.0) -> dict:
    return {
        "case": name, "fixed": fixed, "exact": exact, "test_runs": runs,
        "candidates": candidates, "seconds": seconds,
    }  # fmt: skip


# --- exact -------------------------------------------------------------------------------

ORIGINAL = b"def f(a, b):\n    return a - b\n\n\ndef g(a, b):\n    return a - b\n"
BUGGY = b"def f(a, b):\n    return a + b\n\n\ndef g(a, b):\n    return a - b\n"


def test_exact_when_the_fix_restores_the_original():
    expected = unified_diff({"m.py": BUGGY}, {"m.py": ORIGINAL})
    assert scoring.is_exact(True, expected, expected)
    assert not scoring.is_exact(False, expected, expected)  # exact fixes are plausible first


def test_not_exact_when_a_plausible_fix_is_another_edit():
    expected = unified_diff({"m.py": BUGGY}, {"m.py": ORIGINAL})
    other = unified_diff(
        {"m.py": BUGGY}, {"m.py": BUGGY.replace(b"a + b", b"b - a + 2 * a - b", 1)}
    )
    assert not scoring.is_exact(True, other, expected)


def test_not_exact_when_the_same_text_changes_elsewhere():
    # Both functions read `return a - b` in the original; a fix that edits g instead of f has
    # the same changed lines, but it does not restore the original (the sorted changed lines
    # alone, the benchmark's comparison before, called it exact).
    buggy = b"def f(a, b):\n    return a + b\n\n\ndef g(a, b):\n    return a + b\n"
    original = b"def f(a, b):\n    return a - b\n\n\ndef g(a, b):\n    return a + b\n"
    elsewhere = b"def f(a, b):\n    return a + b\n\n\ndef g(a, b):\n    return a - b\n"
    expected = unified_diff({"m.py": buggy}, {"m.py": original})
    fix = unified_diff({"m.py": buggy}, {"m.py": elsewhere})
    assert scoring.changed_lines(fix) == scoring.changed_lines(expected)
    assert not scoring.is_exact(True, fix, expected)


def test_not_exact_when_the_same_line_changes_in_another_file():
    expected = unified_diff({"a.py": BUGGY}, {"a.py": ORIGINAL})
    fix = unified_diff({"b.py": BUGGY}, {"b.py": ORIGINAL})
    assert not scoring.is_exact(True, fix, expected)


def test_exact_on_a_last_line_without_newline():
    buggy, original = b"def f(a):\n    return a + 1", b"def f(a):\n    return a - 1"
    expected = unified_diff({"m.py": buggy}, {"m.py": original})
    assert scoring.patch_changes(expected) == {
        "m.py": [("-", 2, "    return a + 1"), ("+", 2, "    return a - 1")]
    }
    assert scoring.is_exact(True, expected, expected)


def test_row_of_a_repair_and_of_an_error():
    expected = unified_diff({"m.py": BUGGY}, {"m.py": ORIGINAL})
    result = SimpleNamespace(
        status="fixed", diff=expected, candidates_tried=7, test_runs=10, seconds=1.234,
        rounds=1, stop_reason="fixed",
    )  # fmt: skip
    assert scoring.row_of("bug", result, expected) == {
        "case": "bug", "fixed": True, "exact": True, "candidates": 7, "test_runs": 10,
        "seconds": 1.23, "rounds": 1, "stop": "fixed",
    }  # fmt: skip
    result.status = "not_found"
    assert scoring.row_of("bug", result, expected)["exact"] is False
    error = scoring.error_row("bug", 2.0, ValueError("boom"))
    assert (error["fixed"], error["exact"]) == (False, False)
    assert error["stop"] == "error: ValueError: boom"
    results = {"model": {"bug": error, "ok": row("ok", True)}, "baseline": {"ok": row("ok", False)}}
    assert scoring.errors(results) == [("model", "bug", "error: ValueError: boom")]
    assert scoring.summarise(list(results["model"].values()))["errors"] == 1


# --- medians and summaries -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([], None, None),
        ([5], 5, 5),
        ([1, 2, 3, 4], 2.5, 4),
        (list(range(1, 11)), 5.5, 9),  # nearest rank: the 9th of 10
        (list(range(20, 0, -1)), 10.5, 18),  # order does not matter
        (list(range(1, 12)), 6, 10),  # ceil(9.9) = 10th of 11
    ],
)
def test_median_and_p90(values, median, p90):
    assert scoring.median(values) == median
    assert scoring.p90(values) == p90


def test_summarise_takes_per_fix_medians_over_fixes_only():
    rows = [
        row("a", True, True, runs=10, candidates=8, seconds=1.0),
        row("b", True, False, runs=30, candidates=20, seconds=3.0),
        row("c", False, False, runs=500, candidates=400, seconds=30.0),
        row("d", True, True, runs=20, candidates=12, seconds=2.0),
    ]
    s = scoring.summarise(rows)
    assert (s["bugs"], s["plausible"], s["exact"]) == (4, 3, 2)
    assert s["median_test_runs_per_fix"] == 20  # 10, 20, 30: the unfixed 500 is left out
    assert s["median_candidates_per_fix"] == 12
    assert s["median_seconds"] == 2.5  # seconds are per bug, fixed or not
    assert s["p90_seconds"] == 30.0
    assert s["candidates_per_second"] == round(440 / 36, 1)


def test_summarise_of_nothing_and_of_no_time():
    empty = scoring.summarise([])
    assert empty["bugs"] == 0 and empty["median_test_runs_per_fix"] is None
    assert empty["candidates_per_second"] is None
    assert scoring.summarise([row("a", False, seconds=0.0)])["candidates_per_second"] is None


def _results(model: dict, baseline: dict) -> dict:
    return {"model": model, "baseline": baseline}


def test_summary_json_per_split_and_size():
    cases = [
        Case("he-a"),
        Case("he-b", bug_class=bugs.TWO_TOKEN),
        Case("fx-a", split=scoring.FIXTURE_SPLIT, bug_class=bugs.COMPARISON),
        Case("fx-real", split=scoring.FIXTURE_SPLIT, bug_class=scoring.OTHER),
        Case("t-0", split="OSS: toolz 1.0.0"),
        Case("i-0", split="OSS: inflection 0.5.1", bug_class=bugs.TWO_TOKEN),
    ]
    model = {c.name: row(c.name, True, True, runs=10) for c in cases}
    base = {c.name: row(c.name, c.size == "single-token", False, runs=40) for c in cases}
    summary = scoring.summary_json(cases, _results(model, base))
    assert list(summary) == [
        "all splits", scoring.HUMANEVAL, scoring.FIXTURE_SPLIT, "OSS: inflection 0.5.1",
        "OSS: toolz 1.0.0", "OSS: all projects",
    ]  # fmt: skip
    assert set(summary["all splits"]) == {"all", "single-token", "two-token", "other"}
    assert summary["all splits"]["all"]["model"]["exact"] == 6
    assert summary["all splits"]["single-token"]["baseline"]["plausible"] == 3
    assert summary["all splits"]["two-token"]["baseline"]["plausible"] == 0
    assert summary[scoring.FIXTURE_SPLIT]["all"]["model"]["bugs"] == 2
    assert summary["OSS: all projects"]["all"]["model"]["bugs"] == 2


def test_report_rows_per_class_count_each_class():
    cases = [
        Case("v1"),
        Case("v2"),
        Case("s1", bug_class=bugs.SWAP, swap=True),
        Case("t1", bug_class=bugs.TWO_TOKEN),
    ]
    model = {
        "v1": row("v1", True, True, runs=5),
        "v2": row("v2", True, False, runs=7),
        "s1": row("s1", True, True, runs=9),
        "t1": row("t1", False, runs=100),
    }
    base = {name: row(name, False, runs=200) for name in model}
    text = scoring.report(cases, _results(model, base))
    by_class = text.split("## By bug class")[1].split("## By split and bug class")[0]
    assert "| variable (held-out HumanEval) | 2 | model | 2 (100 %) | 1 (50 %) |" in by_class
    assert (
        "| swapped arguments (held-out HumanEval) | 1 | model | 1 (100 %) | 1 (100 %) |" in by_class
    )
    assert "| two-token (held-out HumanEval) | 1 | model | 0 (0 %) | 0 (0 %) |" in by_class
    assert "| variable (held-out HumanEval) | 2 | baseline | 0 (0 %) | 0 (0 %) |" in by_class


# --- model against baseline ---------------------------------------------------------------

# Four bugs: a and b fixed by both, c by the model alone, d by the baseline alone.
RATIO_CASES = [Case("a"), Case("b"), Case("c"), Case("d")]
RATIO_MODEL = {
    "a": row("a", True, True, runs=10),
    "b": row("b", True, True, runs=20),
    "c": row("c", True, True, runs=5),
    "d": row("d", False, runs=900),
}
RATIO_BASE = {
    "a": row("a", True, True, runs=40),
    "b": row("b", True, False, runs=20),
    "c": row("c", False, runs=800),
    "d": row("d", True, True, runs=50),
}


def test_each_search_median_is_over_its_own_fixes():
    model = scoring.summarise(list(RATIO_MODEL.values()))
    base = scoring.summarise(list(RATIO_BASE.values()))
    assert model["median_test_runs_per_fix"] == 10  # a, b, c: 10, 20, 5
    assert base["median_test_runs_per_fix"] == 40  # a, b, d: 40, 20, 50
    assert scoring.ratio(10, 40) == 0.25


def test_medians_and_ratios_over_bugs_both_fix():
    both = scoring.fixed_by_both(RATIO_CASES, RATIO_MODEL, RATIO_BASE)
    assert [c.name for c in both] == ["a", "b"]
    assert scoring.both_fixed_medians(RATIO_CASES, RATIO_MODEL, RATIO_BASE) == (2, 15, 30)
    assert scoring.per_bug_ratios(RATIO_CASES, RATIO_MODEL, RATIO_BASE) == [0.25, 1.0]
    assert scoring.exact_count(RATIO_CASES, RATIO_MODEL) == 3
    assert scoring.exact_count(RATIO_CASES, RATIO_BASE) == 2


def test_targets_table_rows():
    text = "\n".join(scoring.targets(RATIO_CASES, _results(RATIO_MODEL, RATIO_BASE)))
    assert "| exact fixes, single-token | all splits | 3 (75 %) | 2 (50 %) | 1.50 |" in text
    assert "| plausible fixes, all bugs | all splits | 3 (75 %) | 3 (75 %) | 1.00 |" in text
    assert "| median test runs per fix | all splits | 10 | 40 | 0.25 |" in text
    assert (
        "| median test runs per fix, bugs both fixed (2 bugs) | all splits | 15 | 30 | 0.50 |"
        in text
    )
    assert "median per bug both fixed (2 bugs) | all splits |  |  | 0.62 |" in text


def test_ratio_of_nothing():
    assert scoring.ratio(None, 3) is None
    assert scoring.ratio(3, 0) is None
    assert scoring.fmt_ratio(1, 0) == "–"


# --- blind search --------------------------------------------------------------------------


def test_blind_ratios_per_bug_fixed_and_reachable():
    cases = [
        Case("x", blind=Blind(100), blind_function=Blind(20)),
        Case("y", blind=Blind(30), blind_function=Blind(30)),
        Case("z", blind=Blind(None)),  # blind search cannot reach the fix
        Case("w", blind=Blind(50)),  # not fixed
    ]
    rows = {
        "x": row("x", True, runs=10),
        "y": row("y", True, runs=60),
        "z": row("z", True, runs=5),
        "w": row("w", False, runs=2000),
    }
    file_order = dict((where, count) for _, where, count in scoring.BLIND_COUNTS)
    assert scoring.blind_ratios(cases, rows, file_order["file order"]) == [10.0, 0.5]
    assert scoring.blind_ratios(cases, rows, file_order["the bug's function only"]) == [2.0, 0.5]
    summary = scoring.blind_summary(cases)
    assert (summary["bugs"], summary["reachable"], summary["median_test_runs_per_fix"]) == (
        4, 3, 50,
    )  # fmt: skip


def test_blind_counts_of_swaps_and_two_token_bugs():
    swap = Case("s", bug_class=bugs.SWAP, swap=True, blind=Blind(40, swaps_only=2))
    token = Case("v", blind=Blind(12))
    pair = Case("p", bug_class=bugs.TWO_TOKEN, blind=Blind(30, greedy=30, pairs=900))
    counts = {where: count for _, where, count in scoring.BLIND_COUNTS}
    assert counts["file order"](swap) == 40
    assert counts["file order, a swap among the swaps alone"](swap) == 2
    assert counts["file order, a swap among the swaps alone"](token) == 12
    assert counts["file order, swapped-arguments bugs left out"](swap) is None
    assert counts["file order, greedy"](pair) == 30
    assert counts["file order, pairs"](pair) == 900
    rows = {"s": row("s", True, runs=4), "v": row("v", True, runs=3), "p": row("p", True, runs=9)}
    text = "\n".join(scoring.targets([swap, token, pair], _results(rows, rows)))
    # single-token, file order: 40 / 4 = 10 and 12 / 3 = 4: median 7.0 over 2 bugs
    assert (
        "| blind search (file order) / repair, test runs, single-token, median per bug fixed "
        "(2 / 2 bugs) | all splits | 7 | 7 |"
    ) in text
    assert (
        "| blind search (file order, pairs) / repair, test runs, two-token, median per bug fixed "
        "(1 / 1 bugs) | all splits | 100 | 100 |"
    ) in text


def test_a_result_records_every_setting_as_json():
    import json

    from repair.fix import RepairConfig
    from repair.policy import SearchPolicy

    sys.path.insert(0, str(BENCH))
    record = _load("repair_bench").config_record(RepairConfig(policy=SearchPolicy(beam=3)))
    again = json.loads(json.dumps(record))  # every value JSON, nested policy objects too
    assert again["policy"]["beam"] == 3 and again["policy_key"] == SearchPolicy(beam=3).key()
    assert isinstance(again["limits"], dict) and again["limits"]
