"""The test runner on purpose-made projects (tests/data/runner/<case>/), one behaviour per case."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from repair import testrun
from repair.errors import BadInput, NoTestsFound
from repair.project import copy_project, find_project_root, list_source_files
from repair.testrun import SuiteRun, one_line, run_suite

CASES = Path(__file__).parent / "data" / "runner"


def run_case(case: str, **options) -> SuiteRun:
    root = CASES / case
    sources = [root / "src"] if (root / "src").is_dir() else [root]
    return run_suite(root, [root / "tests"], sources, **options)


def outcomes(run: SuiteRun) -> dict[str, str]:
    return {result.nodeid.split("::")[-1]: result.outcome for result in run.results}


def covering_tests(run: SuiteRun, path: str, line: int) -> set[str]:
    return {nodeid.split("::")[-1] for nodeid in run.line_coverage[path][line]}


def tree_listing(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


@pytest.fixture(scope="module")
def failing_run() -> SuiteRun:
    return run_case("failing")


def test_passing_suite():
    before = tree_listing(CASES / "passing")
    run = run_case("passing")
    assert outcomes(run) == {
        "test_add": "passed",
        "test_sign_negative": "passed",
        "test_sign_positive": "passed",
    }
    assert run.failed == [] and len(run.passed) == 3
    assert not run.crashed and not run.timed_out and run.collection_errors == []
    assert tree_listing(CASES / "passing") == before  # no __pycache__, no .pytest_cache


def test_coverage_contexts_are_per_test():
    run = run_case("passing")
    assert covering_tests(run, "calc.py", 2) == {"test_add"}
    assert covering_tests(run, "calc.py", 6) == {"test_sign_negative", "test_sign_positive"}
    assert covering_tests(run, "calc.py", 7) == {"test_sign_negative"}
    assert covering_tests(run, "calc.py", 8) == {"test_sign_positive"}
    # `def` lines run at import, inside no test.
    assert 1 not in run.line_coverage["calc.py"]
    assert list(run.line_coverage) == ["calc.py"]  # the tests themselves are not measured


@pytest.mark.parametrize("fast", [True, False])
def test_each_test_gets_the_lines_it_ran(monkeypatch, fast):
    """Read from coverage's collector (fast) or queried per dynamic context (the fallback): the
    same lines per test, a thread's and a fixture's included, and none run between tests."""
    monkeypatch.setattr(testrun, "FAST_LINES", fast)
    run = run_case("lines_per_test")
    assert outcomes(run) == {
        "test_area": "passed",
        "test_thread": "passed",
        "test_fixture": "passed",
        "test_fails": "failed",
    }
    coverage = {
        line: {nodeid.split("::")[-1] for nodeid in nodeids}
        for line, nodeids in run.line_coverage["shapes.py"].items()
    }
    assert coverage == {
        7: {"test_area", "test_fails"},  # area
        11: {"test_thread"},  # perimeter, in the thread test_thread started
        15: {"test_thread"},
        16: {"test_thread"},
        17: {"test_thread"},
        18: {"test_thread"},
        19: {"test_thread"},
        23: {"test_fixture"},  # describe, from the fixture's setup and teardown
        24: {"test_fixture"},
        25: {"test_fixture"},
    }


def test_an_error_after_the_last_test_keeps_the_results():
    """`filterwarnings = error` turns a file left open (closed by the last garbage collection,
    at pytest's unconfigure) into an exception out of pytest.main: not a crash of the suite."""
    run = run_case("unraisable_at_exit")
    assert outcomes(run) == {"test_leaks_a_file": "passed", "test_passes": "passed"}
    assert run.collection_errors == [] and not run.crashed


def test_failing_suite_outcomes(failing_run):
    assert outcomes(failing_run) == {
        "test_total": "passed",
        "test_largest": "failed",
        "test_largest_single": "passed",
        "test_describe_empty": "passed",
        "test_setup_error": "error",
        "test_skipped": "skipped",
    }
    by_name = {r.nodeid.split("::")[-1]: r for r in failing_run.results}
    assert by_name["test_largest"].message.startswith("assert 1 == 7")
    assert "fixture setup fails" in by_name["test_setup_error"].message
    assert failing_run.failed == [
        "tests/test_stats.py::test_largest",
        "tests/test_stats.py::test_setup_error",
    ]


def test_failing_suite_coverage(failing_run):
    assert covering_tests(failing_run, "stats.py", 9) == {"test_largest"}
    assert covering_tests(failing_run, "stats.py", 6) == {"test_largest", "test_largest_single"}
    assert covering_tests(failing_run, "stats.py", 14) == {"test_describe_empty"}
    assert 16 not in failing_run.line_coverage["stats.py"]  # no test describes a non-empty list


def test_infinite_loop_times_out_and_the_rest_still_runs():
    run = run_case("infinite_loop", per_test_timeout=0.5)
    assert outcomes(run) == {
        "test_even": "passed",
        "test_odd_loops_forever": "timeout",
        "test_after": "passed",
    }
    assert not run.crashed
    assert "test_odd_loops_forever" in covering_tests(run, "spin.py", 3)  # the loop body
    assert run.wall_time < 60  # bounded by the timeout, not by the loop (generous: CI is shared)


def test_hang_is_killed_and_the_remaining_tests_rerun():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(testrun, "WATCHDOG_GRACE", 0.5)
        run = run_case("hang", per_test_timeout=0.5)
    assert outcomes(run) == {
        "test_before": "passed",
        "test_hangs": "timeout",
        "test_after": "passed",
    }
    assert run.crashed


def test_crash_marks_the_running_test_and_continues():
    run = run_case("crash")
    assert outcomes(run) == {"test_before": "passed", "test_crash": "error", "test_after": "passed"}
    assert run.crashed
    crash = next(r for r in run.results if r.outcome == "error")
    assert crash.message == "interpreter crashed (exit code 3)"
    assert covering_tests(run, "exits.py", 9) == {"test_before", "test_after"}


def test_collection_error_is_reported_and_other_files_run():
    run = run_case("collection_error")
    assert outcomes(run) == {"test_area": "passed"}
    [error] = run.collection_errors
    assert error.startswith("tests/test_broken.py: ImportError: cannot import name 'perimeter'")
    assert str(CASES / "collection_error") in error  # the user's path, not the temporary copy's


def test_no_tests_raises():
    with pytest.raises(NoTestsFound, match="no tests found"):
        run_case("no_tests")


def test_src_layout_with_pythonpath():
    run = run_case("src_layout")
    assert outcomes(run) == {"test_volume": "passed", "test_is_cube": "passed"}
    assert covering_tests(run, "src/geometry/box.py", 2) == {"test_volume"}


def test_select_runs_only_those_tests():
    run = run_case("failing", select=["tests/test_stats.py::test_largest"])
    assert outcomes(run) == {"test_largest": "failed"}


def test_files_override_the_copy_not_the_user_tree():
    original = (CASES / "passing" / "calc.py").read_bytes()
    patched = original.replace(b"return a + b", b"return a - b")
    run = run_case("passing", files={"calc.py": patched})
    assert outcomes(run)["test_add"] == "failed"
    assert (CASES / "passing" / "calc.py").read_bytes() == original


def test_total_timeout_stops_the_run():
    run = run_case("infinite_loop", per_test_timeout=60, total_timeout=3)
    assert run.timed_out
    # On a loaded machine the deadline may even fall before the loop starts; never after it.
    assert (
        outcomes(run).items()
        <= {"test_even": "passed", "test_odd_loops_forever": "timeout"}.items()
    )
    assert run.wall_time < 45  # the 3 s deadline, not the 60 s per-test timeout, ended it


def test_missing_path_is_bad_input():
    with pytest.raises(BadInput, match="nowhere: no such file or directory"):
        run_suite(CASES / "passing", [CASES / "passing" / "nowhere"], [CASES / "passing"])


def test_one_line_keeps_the_error_and_its_location():
    report = 'tests/x.py:1: in <module>\nE     File "/p/mod.py", line 3\nE   SyntaxError: bad\n'
    assert one_line(report) == "SyntaxError: bad (/p/mod.py, line 3)"
    assert one_line("first\nlast\n") == "last"


# -- project discovery and copying -------------------------------------------------------------


def test_project_root_is_the_nearest_marked_directory():
    root = CASES / "src_layout"
    assert find_project_root([root / "src"], [root / "tests" / "test_box.py"]) == root


def test_project_root_falls_back_to_the_common_parent(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    found = find_project_root([tmp_path / "a"], [tmp_path / "b"])
    assert found == tmp_path.resolve() or any(
        (found / marker).exists() for marker in ("pyproject.toml", ".git", "setup.py")
    )


def test_source_listing_excludes_tests_and_caches(tmp_path):
    for relative in [
        "pkg/__init__.py",
        "pkg/core.py",
        "pkg/test_core.py",
        "tests/test_pkg.py",
        "conftest.py",
        ".hidden/x.py",
        "venv/lib/site.py",
        "pkg/__pycache__/core.py",
        "notes.txt",
    ]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    assert list_source_files([tmp_path], tmp_path, exclude=[tmp_path / "tests"]) == [
        "pkg/__init__.py",
        "pkg/core.py",
    ]


def test_copy_skips_version_control_and_caches(tmp_path):
    source = tmp_path / "project"
    for relative in ["mod.py", ".git/HEAD", ".venv/pyvenv.cfg", "pkg/__pycache__/m.pyc", "a.pyc"]:
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        (source / relative).write_text("x")
    os.symlink(source / "mod.py", source / "link.py")
    copy_project(source, tmp_path / "copy")
    assert tree_listing(tmp_path / "copy") == ["link.py", "mod.py", "pkg"]
    assert (tmp_path / "copy" / "link.py").is_symlink()


def test_after_a_timeout_later_tests_get_less_time():
    run = run_case("many_loops", per_test_timeout=4.0, timeout_after_timeout=0.3)
    assert outcomes(run) == {
        "test_even": "passed",
        "test_loops_1": "timeout",
        "test_loops_2": "timeout",
        "test_loops_3": "timeout",
    }
    durations = {result.nodeid.split("::")[-1]: result.duration for result in run.results}
    assert durations["test_loops_1"] >= 3.5  # the full limit, before any test had timed out
    # then 0.3 s, or 20 times the slowest passing test if that is more (test_even: milliseconds)
    limit = max(0.3, 20 * durations["test_even"])
    assert durations["test_loops_2"] < limit + 1.0
    assert durations["test_loops_3"] < limit + 1.0


TRACEBACK_SOURCE = """\
def inner(x):
    return 1 / x


def outer(x):
    return inner(x) + 1


def fact(n):
    if n == 0:
        raise ValueError("bottom")
    return fact(n - 1)
"""
TRACEBACK_TESTS = """\
import mod


def test_divide():
    assert mod.outer(0) == 1


def test_assert():
    assert mod.outer(1) == 3


def test_recursion():
    mod.fact(30)


def test_ok():
    assert mod.outer(1) == 2
"""


def test_failures_record_their_frames_in_the_source(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "mod.py").write_text(TRACEBACK_SOURCE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mod.py").write_text(TRACEBACK_TESTS)
    run = run_suite(tmp_path, [tmp_path / "tests"], [tmp_path])
    frames = {r.nodeid.split("::")[-1]: r.frames for r in run.results}
    # crash site first, then its callers in the source; the test file is not a source
    assert frames["test_divide"] == (("mod.py", 2, "inner"), ("mod.py", 6, "outer"))
    assert frames["test_assert"] == ()  # it raised in the test itself
    # thirty recursive calls are one caller frame
    assert frames["test_recursion"] == (("mod.py", 11, "fact"), ("mod.py", 12, "fact"))
    assert frames["test_ok"] == ()


def test_a_timeout_records_where_the_loop_was():
    run = run_case("infinite_loop", per_test_timeout=0.5)
    looping = [r for r in run.results if r.outcome == "timeout"]
    assert looping and all(r.frames for r in looping)
    assert {r.frames[0].path for r in looping} <= set(run.line_coverage)


def test_a_unittest_case_records_its_frames_too(tmp_path):
    # pytest's unittest support hands over a TestCase's exception late in the report hooks
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "mod.py").write_text(TRACEBACK_SOURCE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_case.py").write_text(
        "import unittest\n\nimport mod\n\n\nclass Case(unittest.TestCase):\n"
        "    def test_divide(self):\n        self.assertEqual(mod.outer(0), 1)\n"
    )
    run = run_suite(tmp_path, [tmp_path / "tests"], [tmp_path])
    assert run.results[0].frames == (("mod.py", 2, "inner"), ("mod.py", 6, "outer"))


@pytest.mark.parametrize("case", ["failing", "crash", "collection_error", "passing"])
def test_shards_give_the_run_one_child_gives(case):
    whole, split = run_case(case), run_case(case, shards=2)
    assert [(r.nodeid, r.outcome, r.message) for r in split.results] == [
        (r.nodeid, r.outcome, r.message) for r in whole.results
    ]
    assert split.line_coverage == whole.line_coverage
    assert split.collection_errors == whole.collection_errors  # every shard met it; said once
    assert (split.crashed, split.timed_out) == (whole.crashed, whole.timed_out)


def test_more_shards_than_tests_still_runs_each_test_once():
    run = run_case("passing", shards=5)
    assert sorted(outcomes(run)) == ["test_add", "test_sign_negative", "test_sign_positive"]
    assert len(run.results) == 3


def test_a_select_runs_in_one_child_whatever_the_shards():
    run = run_case("failing", shards=3, select=["tests/test_stats.py::test_largest"])
    assert outcomes(run) == {"test_largest": "failed"}


def test_a_shard_that_fails_stops_the_others(monkeypatch):
    settle = testrun._Runs.settle

    def first_shard_breaks(self, *args):
        if self.shard[0] == 0:
            time.sleep(1.0)  # the other shard's child is in its hang by now
            raise RuntimeError("shard 0 broke")
        return settle(self, *args)

    monkeypatch.setattr(testrun._Runs, "settle", first_shard_breaks)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="shard 0 broke"):
        run_case("hang", per_test_timeout=60.0, shards=2)  # alone, its hang would take 65 s
    assert time.monotonic() - started < 30
