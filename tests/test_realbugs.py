"""The real-bug benchmark's scoring, fix shapes, and materializing a bug from a git history."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from realbugs import check_bug  # noqa: E402
from realbugs_env import materialize, run_outcomes  # noqa: E402
from realbugs_find import candidates, is_test_path, src_argument  # noqa: E402
from realbugs_score import (  # noqa: E402
    CORRECT,
    NONE,
    PLAUSIBLE,
    edit_shape,
    is_human_fix,
    outcome,
    same_ast,
    same_tokens,
)
from realbugs_suite import suite_files  # noqa: E402

BUGGY = "def clamp(x, low, high):\n    if x < low:\n        return low\n    return min(x, high)\n"
FIXED = "def clamp(x, low, high):\n    if x <= low:\n        return low\n    return min(x, high)\n"

ADULT_BUGGY = "def is_adult(age):\n    return age > 18\n"
ADULT_FIXED = "def is_adult(age):\n    return age >= 18\n"


def test_the_human_fix_written_differently_is_correct():
    spaced = FIXED.replace("x <= low:", "x  <=  low:  # the fix")
    broken_line = FIXED.replace("min(x, high)", "min(\n        x,\n        high,\n    )")
    assert same_tokens(spaced, FIXED) and not same_tokens(BUGGY, FIXED)
    assert same_ast(broken_line, FIXED) and not same_tokens(broken_line, FIXED)
    for repaired in (FIXED, spaced, broken_line):
        assert outcome({"m.py": repaired}, {"m.py": BUGGY}, {"m.py": FIXED}, True) == CORRECT


def test_a_passing_patch_other_than_the_fix_is_plausible():
    other = BUGGY.replace("if x < low", "if x < low or x == low")
    assert not is_human_fix(other, FIXED)
    assert outcome({"m.py": other}, {"m.py": BUGGY}, {"m.py": FIXED}, True) == PLAUSIBLE
    # the human fix, but a second file edited as well: not the human fix
    extra = {"m.py": FIXED, "other.py": "x = 1\n"}
    assert outcome(extra, {"m.py": BUGGY}, {"m.py": FIXED}, True) == PLAUSIBLE


def test_no_passing_patch_is_none():
    assert outcome({"m.py": FIXED}, {"m.py": BUGGY}, {"m.py": FIXED}, False) == NONE
    assert outcome({}, {"m.py": BUGGY}, {"m.py": FIXED}, False) == NONE
    # nothing repaired but "passing" (e.g. a flaky run) is not the fix either
    assert outcome({}, {"m.py": BUGGY}, {"m.py": FIXED}, True) == PLAUSIBLE


def test_unparsable_code_is_never_the_fix():
    assert not is_human_fix("def f(:\n", FIXED)


@pytest.mark.parametrize(
    ("before", "after", "shape"),
    [
        ("y = a < b\n", "y = a <= b\n", "replace"),
        ("y = f(a)\n", "y = f(a, b)\n", "insert"),
        ("y = f(a, b)\n", "y = f(a)\n", "delete"),
        ("y = 'ab'\n", "y = 'abc'\n", "string"),
        ("y = a < b\n", "y = b + 1 >= a\n", "multi"),
    ],
)
def test_edit_shapes(before, after, shape):
    assert edit_shape(before, after)["shape"] == shape


def test_paths_and_src_argument():
    assert is_test_path("tests/test_x.py") and is_test_path("pkg/tests/helpers.py")
    assert not is_test_path("src/pkg/testing_utils.py")
    assert src_argument("src/pkg/sub/mod.py", "src") == "src/pkg"
    assert src_argument("pkg/mod.py", ".") == "pkg"
    assert src_argument("mistune/core.py", "src") == "mistune"  # before the move to src/
    assert src_argument("single.py", ".") == "single.py"


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, dict]:
    """A repository laid out as the fetch tool lays it out (git root / owner+name / repo) with a
    buggy commit and a fix commit that also adds a test."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "mirror" / "someone+clamp" / "repo"
    (root / "tests").mkdir(parents=True)
    _git(root, "init", "-q")
    (root / "clamp.py").write_text(ADULT_BUGGY)
    (root / "tests" / "test_clamp.py").write_text(
        "from clamp import is_adult\n\n\ndef test_inside():\n    assert is_adult(30)\n"
    )
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "clamp")
    buggy_commit = _git(root, "rev-parse", "HEAD")
    (root / "clamp.py").write_text(ADULT_FIXED)
    with (root / "tests" / "test_clamp.py").open("a") as stream:
        stream.write("\n\ndef test_at_low():\n    assert is_adult(18)\n")
    _git(root, "commit", "-q", "-am", "fix clamp at the lower bound")
    bug = {
        "id": "clamp-1",
        "repo": "someone/clamp",
        "fixed_commit": _git(root, "rev-parse", "HEAD"),
        "buggy_commit": buggy_commit,
        "file": "clamp.py",
        "test_files": ["tests/test_clamp.py"],
        "tests": ["tests/test_clamp.py::test_at_low"],
    }
    return tmp_path / "mirror", bug


def test_materialize_reverts_the_fix_and_keeps_the_new_test(history, tmp_path):
    git_root, bug = history
    buggy = materialize(bug, tmp_path / "buggy", git_root, buggy=True)
    fixed = materialize(bug, tmp_path / "fixed", git_root, buggy=False)
    assert (buggy / "clamp.py").read_text() == ADULT_BUGGY
    assert (fixed / "clamp.py").read_text() == ADULT_FIXED
    assert "test_at_low" in (buggy / "tests" / "test_clamp.py").read_text()
    assert not (buggy / ".git").exists()


def test_buggy_fails_and_fixed_passes(history, tmp_path):
    git_root, bug = history
    buggy = materialize(bug, tmp_path / "buggy", git_root, buggy=True)
    outcomes = run_outcomes(Path(sys.executable), buggy, bug["test_files"])
    assert outcomes == {
        "tests/test_clamp.py::test_inside": "passed",
        "tests/test_clamp.py::test_at_low": "failed",
    }
    assert check_bug(bug, Path(sys.executable), git_root, tmp_path / "check") == []
    # a bug whose listed test does not fail on the buggy tree is reported
    wrong = {**bug, "tests": ["tests/test_clamp.py::test_inside"]}
    problems = check_bug(wrong, Path(sys.executable), git_root, tmp_path / "check")
    assert problems and "not failing" in problems[0]


def test_the_fix_commit_is_a_candidate(history):
    git_root, bug = history
    found = candidates(git_root / "someone+clamp" / "repo" / ".git", since="2000-01-01")
    assert [c["fixed_commit"] for c in found] == [bug["fixed_commit"]]
    assert found[0]["file"] == "clamp.py" and found[0]["test_files"] == ["tests/test_clamp.py"]


def test_tables_gain_a_column_per_extra_model():
    from realbugs_report import by_shape, per_bug, totals

    bugs = [{"id": "b-1", "shape": "insert", "tokens": 3}]
    row = {"id": "b-1", "seconds": 1.0, "test_runs": 4, "candidates": 3}
    rows = [
        {**row, "mode": "model", "outcome": NONE},
        {**row, "mode": "no-model", "outcome": PLAUSIBLE},
        {**row, "mode": "realcode", "outcome": CORRECT},
        {"id": "b-1", "mode": "blind", "test_runs": None, "within_budget": False},
    ]
    assert [line.split(" | ")[0] for line in totals(bugs, rows)[2:5]] == [
        "| repair fix, model",
        "| repair fix, no-model",
        "| repair fix, realcode",
    ]
    assert totals(bugs, rows)[4].split(" | ")[2] == "1"  # realcode's one correct fix
    assert totals(bugs, rows)[3].split(" | ")[3] == "1"  # no-model's plausible patch
    rows[1]["doubt"] = "it drops a call to f"
    assert totals(bugs, rows)[3].split(" | ")[3] == "1; 1"  # ... which repair fix doubted
    assert by_shape(bugs, rows)[2] == "| insert | 1 | 0 / 0 | 0 / 1 | 1 / 0 | 0 / 0 |"
    header, rule, line = per_bug(bugs, rows)
    assert "realcode: outcome" in header and header.count("|") == rule.count("|")
    assert line.count("|") == header.count("|") and "correct | 1 | 4 | 3" in line


def test_correct_share_among_all_patches_and_the_confident_ones():
    from realbugs_report import correct_share

    bugs = [{"id": f"b-{i}", "shape": "insert", "tokens": 1} for i in range(4)]
    outcomes = [(CORRECT, ""), (CORRECT, "it drops a call to int"), (PLAUSIBLE, ""), (NONE, "")]
    rows = [
        {"id": f"b-{i}", "mode": "model", "outcome": out, "doubt": why}
        for i, (out, why) in enumerate(outcomes)
    ]
    assert correct_share(bugs, rows)[2:] == [
        "| repair fix, model | 2 / 3 = 0.67 | 1 / 2 = 0.50 | 2 / 3 = 0.67 |",
        "| repair fix, no-model | – | – | – |",  # no rows: no patches
    ]
    del rows[2]["doubt"]  # an older run that did not record doubt: no table
    assert correct_share(bugs, rows) == []


def test_a_patch_judged_equivalent_counts_beside_the_strict_figure(tmp_path):
    import json

    from realbugs_equivalent import JUDGED, hunks, judged_equivalent
    from realbugs_report import correct_share

    patch = (
        "--- a/m.py\n+++ b/m.py\n@@ -2,3 +2,4 @@\n     for x in xs:\n         pass\n+    break\n"
    )
    judged = tmp_path / "equivalent.json"
    judged.write_text(json.dumps([{"id": "b-0", "diff": patch, "why": "same calls"}]))
    assert hunks(patch) == [["     for x in xs:", "         pass", "+    break"]]
    # positions and file headers aside, the hunks must be the same, indentation included
    moved = patch.replace("@@ -2,3 +2,4 @@", "@@ -7,3 +7,4 @@").replace("a/m.py", "a/n.py")
    assert judged_equivalent("b-0", moved, judged) == "same calls"
    assert judged_equivalent("b-0", patch.replace("+    break", "+        break"), judged) == ""
    assert (
        judged_equivalent("b-1", patch, judged) == "" and judged_equivalent("b-0", "", judged) == ""
    )
    # the committed judgments: each names a benchmark bug, a patch with hunks and a reason
    bugs = {bug["id"] for bug in json.loads((JUDGED.parent / "bugs.json").read_text())}
    for item in json.loads(JUDGED.read_text()):
        assert item["id"] in bugs and hunks(item["diff"]) and item["why"]
        assert judged_equivalent(item["id"], item["diff"]) == item["why"]
    # the report counts them beside the strict figure, never in it
    first = json.loads(JUDGED.read_text())[0]
    bugs = [{"id": first["id"], "shape": "insert", "tokens": 1}]
    rows = [
        {
            "id": first["id"],
            "mode": "model",
            "outcome": PLAUSIBLE,
            "doubt": "",
            "diff": first["diff"],
        }
    ]
    table = correct_share(bugs, rows)
    assert table[2] == "| repair fix, model | 0 / 1 = 0.00 | 0 / 1 = 0.00 | 1 / 1 = 1.00 |"
    assert table[-1].endswith(f"{first['id']}.")


def test_the_whole_suite_keeps_the_files_that_pass_on_the_fixed_tree(history, tmp_path):
    git_root, bug = history
    fixed = materialize(bug, tmp_path / "fixed", git_root, buggy=False)
    tests = fixed / "tests"
    (tests / "test_more.py").write_text("def test_other():\n    assert 1 + 1 == 2\n")
    (tests / "test_broken_here.py").write_text("def test_env():\n    assert False\n")
    kept, left_out = suite_files(bug, functools.partial(run_outcomes, Path(sys.executable), fixed))
    assert kept == ["tests/test_clamp.py", "tests/test_more.py"]
    assert left_out == ["tests/test_broken_here.py"]
    # the bug's own file is kept even where one of its tests fails on this machine
    (tests / "test_clamp.py").write_text("def test_at_low():\n    assert False\n")
    kept, _ = suite_files(bug, functools.partial(run_outcomes, Path(sys.executable), fixed))
    assert "tests/test_clamp.py" in kept


def test_a_stopped_run_leaves_the_finished_runs_tables_alone(tmp_path, monkeypatch):
    import argparse

    import realbugs

    monkeypatch.setattr(realbugs, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(realbugs, "PARTIAL", tmp_path / "out")
    monkeypatch.setattr(realbugs, "render", lambda bugs, rows, info: f"{len(bugs)} bugs")
    args = argparse.Namespace(only=None, split="dev", modes=list(realbugs.MODES), suite="files")
    monkeypatch.setattr(realbugs, "_bug_summary", dict)
    realbugs.write_results(args, [{}] * 3, [], {}, complete=False)
    assert (tmp_path / "out" / "realbugs_dev.txt").read_text() == "3 bugs\n"
    assert not (tmp_path / "results").exists()
    realbugs.write_results(args, [{}] * 31, [], {}, complete=True)
    assert (tmp_path / "results" / "realbugs_dev.txt").read_text() == "31 bugs\n"
