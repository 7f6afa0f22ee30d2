"""`repair localize` through typer's CliRunner: output, JSON, and one line per bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repair.cli import app
from repair.exit_codes import ExitCode

CASES = Path(__file__).parent / "data" / "runner"
runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, [str(arg) for arg in args])


def test_localize_prints_failing_tests_then_ranked_lines():
    case = CASES / "failing"
    result = invoke(
        "localize", case, "--tests", case / "tests", "--top", "4", "--formula", "tarantula"
    )
    assert result.exit_code == ExitCode.OK, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "2 of 6 tests fail:"
    assert "tests/test_stats.py::test_largest  assert 1 == 7" in lines[1]
    assert "tests/test_stats.py::test_setup_error" in lines[2]
    table = lines[lines.index("") + 2 :]
    ranked = [line.split() for line in table]
    # Tarantula's 1 and 0.6 over 1 + the twin weight: test_largest_single, the failing test's
    # twin, skips the loop's body, so the loop's header gains; the two lines tied across the cut
    # at 4 are shown whole
    assert [row[1:3] for row in ranked] == [
        ["0.909", "stats.py:8"],
        ["0.909", "stats.py:9"],
        ["0.591", "stats.py:7"],
        ["0.545", "stats.py:6"],
        ["0.545", "stats.py:10"],
    ]
    assert table[0].endswith("if value < best:")


def test_localize_shows_tied_statements_at_one_rank():
    case = CASES / "failing"
    result = invoke("localize", case, "--tests", case / "tests", "--top", "4")
    lines = result.stdout.splitlines()
    ranked = [line.split() for line in lines[lines.index("") + 2 :]]
    assert [row[0] for row in ranked] == ["1", "1", "3", "4", "4"]
    report = json.loads(invoke("localize", case, "--tests", case / "tests", "--json").stdout)
    assert [line["rank"] for line in report["ranked"][:5]] == [1, 1, 3, 4, 4]
    assert report["policy"].startswith(report["formula"])


def test_localize_json():
    case = CASES / "failing"
    result = invoke("localize", case, "--tests", case / "tests", "--json", "--formula", "ochiai")
    assert result.exit_code == ExitCode.OK, result.output
    report = json.loads(result.stdout)
    assert report["formula"] == "ochiai"
    assert report["failed"] == [
        "tests/test_stats.py::test_largest",
        "tests/test_stats.py::test_setup_error",
    ]
    first = report["ranked"][0]
    assert {key: first[key] for key in ("rank", "path", "line", "score", "text")} == {
        "rank": 1,
        "path": "stats.py",
        "line": 8,
        "score": pytest.approx(2**-0.5 / 1.1),  # Ochiai's, over 1 + the twin weight
        "text": "if value < best:",
    }
    assert len(report["tests"]) == 6


def test_all_pass_is_nothing_to_localize():
    case = CASES / "passing"
    result = invoke("localize", case, "--tests", case / "tests")
    assert result.exit_code == ExitCode.NOTHING_TO_FIX
    assert result.stdout == "all 3 tests pass: nothing to localize\n"


def test_missing_path_is_one_line_and_exit_2():
    case = CASES / "passing"
    result = invoke("localize", case / "nope", "--tests", case / "tests")
    assert result.exit_code == ExitCode.BAD_INPUT == 2
    assert result.stderr == f"repair: error: {case / 'nope'}: no such file or directory\n"
    assert result.stdout == ""


def test_no_tests_found():
    case = CASES / "no_tests"
    result = invoke("localize", case, "--tests", case / "tests")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert result.stderr.startswith("repair: error: no tests found under")


def test_collection_errors_are_warnings_when_other_tests_run():
    case = CASES / "collection_error"
    result = invoke("localize", case, "--tests", case / "tests")
    assert result.exit_code == ExitCode.OK
    assert result.stderr.startswith("repair: warning: tests/test_broken.py: ImportError")
    assert result.stdout == "all 1 tests pass: nothing to localize\n"


def test_suite_that_cannot_run_exits_4(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "mod.py").write_text("def f(:\n    pass\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mod.py").write_text("import mod\n\ndef test_f():\n    pass\n")
    result = invoke("localize", tmp_path, "--tests", tmp_path / "tests")
    assert result.exit_code == ExitCode.TESTS_BROKEN
    assert "SyntaxError: invalid syntax" in result.stderr.splitlines()[-1]


def test_bad_formula_is_a_usage_error():
    case = CASES / "passing"
    result = invoke("localize", case, "--tests", case / "tests", "--formula", "magic")
    assert result.exit_code == 2


def test_no_arguments_shows_help():
    result = invoke()
    assert "localize" in result.output
