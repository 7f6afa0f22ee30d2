"""`pytest --repair` (repair/pytest_plugin.py) on small projects made with pytester: a failing
project gets a verified patch in its summary (written with --repair-apply), a passing one gets
nothing, the repair's own test runs never repair again, and the plugin stays light at import."""

from __future__ import annotations

import importlib
import json
from types import SimpleNamespace

import pytest

from repair._child import INNER_RUN_VARIABLE
from repair.pytest_plugin import RepairAfterSession

pytest_plugins = ["pytester"]

BUGGY = """\
def mean(values):
    return sum(values) // len(values)
"""
TESTS = """\
from stats import mean


def test_mean_of_two():
    assert mean([1, 2]) == 1.5


def test_mean_of_one():
    assert mean([4]) == 4
"""
FAST = ["--repair-no-model", "--repair-timeout", "60"]


def make_project(pytester: pytest.Pytester, source: str = BUGGY, addopts: str = "") -> None:
    pytester.makeini(f"[pytest]\npythonpath = .\n{addopts}\n")
    pytester.makepyfile(stats=source)
    (pytester.mkdir("tests") / "test_stats.py").write_text(TESTS)


def test_a_failing_session_gets_a_verified_patch(pytester: pytest.Pytester):
    make_project(pytester)
    before = (pytester.path / "stats.py").read_bytes()
    result = pytester.runpytest("--repair", *FAST)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the session's status stays its own
    result.stdout.fnmatch_lines(
        [
            "*= repair =*",
            "searching for a fix of . (at most 60 s)",
            "fixed: 1 edit, verified by a fresh pytest run (*",
            "  stats.py:2  '//' -> '/'",
            "-    return sum(values) // len(values)",
            "+    return sum(values) / len(values)",
            "write it with --repair-apply*",
        ]
    )
    assert (pytester.path / "stats.py").read_bytes() == before  # nothing written without apply


def test_repair_apply_writes_the_fix_and_the_sarif_log(pytester: pytest.Pytester):
    make_project(pytester)
    before = (pytester.path / "stats.py").read_text()
    result = pytester.runpytest("--repair-apply", "--repair-sarif", "out/repair.sarif", *FAST)
    result.stdout.fnmatch_lines(["fixed: 1 edit, verified by a fresh pytest run; written*"])
    assert (pytester.path / "stats.py").read_text() == before.replace("//", "/")
    log = json.loads((pytester.path / "out" / "repair.sarif").read_text())
    assert [r["ruleId"] for r in log["runs"][0]["results"]][-1] == "verified-fix"
    assert pytester.runpytest().ret == pytest.ExitCode.OK


def test_repair_apply_leaves_a_doubtful_patch_unwritten(pytester: pytest.Pytester, monkeypatch):
    make_project(pytester)
    before = (pytester.path / "stats.py").read_bytes()
    fix_module = importlib.import_module("repair.fix")  # `repair.fix` names the function too
    monkeypatch.setattr(fix_module, "doubt", lambda choices, policy: "a test says so")
    result = pytester.runpytest("--repair-apply", *FAST)
    result.stdout.fnmatch_lines(
        [
            "fixed: 1 edit, verified by a fresh pytest run (*",
            "doubtful; not written: a test says so",
            "write it with `repair fix ... --apply-doubtful`, or `git apply` it",
        ]
    )
    assert (pytester.path / "stats.py").read_bytes() == before


def test_a_passing_session_repairs_nothing(pytester: pytest.Pytester):
    make_project(pytester, BUGGY.replace("//", "/"))
    result = pytester.runpytest("--repair", *FAST)
    assert result.ret == pytest.ExitCode.OK
    assert "= repair =" not in result.stdout.str()


def test_repair_in_addopts_does_not_nest(pytester: pytest.Pytester):
    # The user's configuration asks for --repair; the repair's own pytest runs read it too, and
    # must neither fail on the option nor repair again (REPAIR_INNER_RUN keeps them off).
    make_project(pytester, addopts="addopts = --repair --repair-no-model --repair-timeout 20")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["fixed: 1 edit, verified by a fresh pytest run (*"])
    assert result.stdout.str().count("= repair =") == 1


def test_the_inner_run_variable_turns_the_plugin_off(pytester: pytest.Pytester, monkeypatch):
    make_project(pytester)
    monkeypatch.setenv(INNER_RUN_VARIABLE, "1")
    result = pytester.runpytest("--repair", *FAST)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "= repair =" not in result.stdout.str()


def test_the_plugin_is_registered_and_light(pytester: pytest.Pytester):
    make_project(pytester)
    pytester.makeconftest(
        """
        import sys
        from pathlib import Path

        def pytest_sessionfinish(session):
            heavy = [name for name in ("repair.fix", "torch") if name in sys.modules]
            registered = session.config.pluginmanager.hasplugin("repair")
            Path("loaded.txt").write_text(f"{registered} {heavy}")
        """
    )
    pytester.runpytest_subprocess()  # a fresh interpreter: sys.modules as a user's would be
    assert (pytester.path / "loaded.txt").read_text() == "True []"


def test_without_collected_items_the_reported_test_files_are_used(pytester: pytest.Pytester):
    # pytest-xdist's controller collects nothing itself: its workers' reports name the files
    make_project(pytester)
    plugin = RepairAfterSession(pytester.parseconfigure())
    for nodeid in [
        "tests/test_stats.py::test_mean_of_two",
        "tests/test_stats.py::test_mean_of_one",
    ]:
        plugin.pytest_runtest_logreport(SimpleNamespace(nodeid=nodeid))
    plugin.pytest_runtest_logreport(SimpleNamespace(nodeid="tests/gone.py::test_x"))
    assert plugin.session_test_files() == [pytester.path / "tests" / "test_stats.py"]
