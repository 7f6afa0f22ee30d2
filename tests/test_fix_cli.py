"""`repair fix` on the command line: the golden output, JSON, one line and one exit code per bad
input, `--apply`, and what a SIGKILL or Ctrl-C in the middle leaves behind."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from repair.cli import app
from repair.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CASES = Path(__file__).parent / "data" / "fix"
FAST = ["--no-model", "--jobs", "2", "--test-timeout", "1"]
runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, ["fix", *[str(arg) for arg in args]])


def project_copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_golden_output():
    case = FIXTURES / "text_stats_wrong_arithmetic"
    result = invoke(case, "--tests", case / "tests", *FAST)
    assert result.exit_code == ExitCode.FIXED, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "fixed: 1 edit, verified by a fresh pytest run"
    assert lines[1] == "  textstats.py:36  '//' -> '/'  (replace_token)"
    assert "tests/test_textstats.py::test_words_per_sentence  (passes now)" in result.stdout
    assert result.stdout.endswith((case / "fix.patch").read_text())
    assert "running the test suite under coverage" in result.stderr  # progress: stderr


def test_json_output():
    case = FIXTURES / "rle_codec_not_operator"
    result = invoke(case, "--tests", case / "tests", "--json", *FAST)
    assert result.exit_code == ExitCode.FIXED
    data = json.loads(result.stdout)
    assert data["status"] == "fixed" and data["verified"] and not data["applied"]
    assert data["edits"] == [
        {"path": "rle.py", "line": 30, "kind": "remove_not", "old": "not data[i].isdigit()",
         "new": "data[i].isdigit()"}
    ]  # fmt: skip
    assert data["diff"] == (case / "fix.patch").read_text()
    assert sorted(data["passing_after"]) == sorted(data["failing_before"])


def project_with(tmp_path: Path, name: str, source: bytes) -> Path:
    """The `passing` project with `calc.py` replaced (files ruff must not lint live only here)."""
    root = project_copy(CASES / "passing", tmp_path / name)
    (root / "calc.py").write_bytes(source)
    return root


def bad_input_cases(tmp_path: Path) -> dict[str, tuple[list, int, str]]:
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    case = CASES / "two_bugs"
    syntax_error = project_with(tmp_path, "syntax_error", b"def add(a, b):\n    return a +\n")
    not_utf8 = project_with(tmp_path, "not_utf8", b"# caf\xe9\ndef add(a, b):\n    return a + b\n")
    return {
        "missing path": (
            [tmp_path / "nowhere", "--tests", case / "tests", "--no-model"],
            ExitCode.BAD_INPUT,
            "nowhere: no such file or directory",
        ),
        "no tests": (
            [CASES / "no_tests", "--tests", CASES / "no_tests" / "tests", "--no-model"],
            ExitCode.BAD_INPUT,
            "no tests found",
        ),
        "syntax error": (
            [syntax_error, "--tests", syntax_error / "tests", "--no-model"],
            ExitCode.BAD_INPUT,
            "calc.py:2: syntax error",
        ),
        "not utf-8": (
            [not_utf8, "--tests", not_utf8 / "tests", "--no-model"],
            ExitCode.BAD_INPUT,
            "calc.py: not UTF-8",
        ),
        "missing checkpoint": (
            [case, "--tests", case / "tests", "--model", tmp_path / "none.pt"],
            ExitCode.BAD_CHECKPOINT,
            "none.pt: checkpoint not found",
        ),
        "corrupt checkpoint": (
            [case, "--tests", case / "tests", "--model", corrupt],
            ExitCode.BAD_CHECKPOINT,
            "corrupt.pt: not a readable checkpoint",
        ),
        "broken suite": (
            [CASES / "broken", "--tests", CASES / "broken" / "tests", "--no-model"],
            ExitCode.TESTS_BROKEN,
            "the test suite does not run",
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "missing path",
        "no tests",
        "syntax error",
        "not utf-8",
        "missing checkpoint",
        "corrupt checkpoint",
        "broken suite",
    ],
)
def test_bad_input_gives_one_line_and_its_code(name: str, tmp_path: Path):
    args, code, message = bad_input_cases(tmp_path)[name]
    result = invoke(*args)
    assert result.exit_code == code, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("repair: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_all_tests_pass():
    case = CASES / "passing"
    result = invoke(case, "--tests", case / "tests", *FAST)
    assert result.exit_code == ExitCode.NOTHING_TO_FIX
    assert result.stdout.strip() == "all tests pass: nothing to fix"


def test_apply_writes_the_fix(tmp_path: Path):
    root = project_copy(FIXTURES / "access_control_wrong_boolean", tmp_path)
    code = root / "docshare" / "permissions.py"
    os.chmod(code, 0o600)
    before = snapshot(root)
    result = invoke(root, "--tests", root / "tests", "--apply", *FAST)
    assert result.exit_code == ExitCode.FIXED, result.output
    assert "written to your files" in result.stdout
    after = snapshot(root)
    changed = {path for path in before if before[path] != after[path]}
    assert changed == {"docshare/permissions.py"} and set(after) == set(before)
    assert (oct(code.stat().st_mode & 0o777)) == oct(0o600)
    again = invoke(root, "--tests", root / "tests", *FAST)
    assert again.exit_code == ExitCode.NOTHING_TO_FIX


def test_apply_leaves_a_doubtful_patch_unwritten_unless_asked(tmp_path: Path):
    root = project_copy(FIXTURES / "access_control_wrong_boolean", tmp_path)
    before = snapshot(root)
    # every patch is doubtful when no edit is likely enough: "its edits are unlikely"
    doubtful = ["--set", "doubt_probability=1.0"]
    held = invoke(root, "--tests", root / "tests", "--apply", *doubtful, *FAST)
    assert held.exit_code == ExitCode.HELD_BACK, held.output
    assert "not written: it is doubtful" in held.stdout
    assert "doubtful: its edits are unlikely" in held.stdout
    assert snapshot(root) == before
    shown = invoke(root, "--tests", root / "tests", "--apply", "--json", *doubtful, *FAST)
    assert json.loads(shown.stdout)["held_back"] is True and snapshot(root) == before
    written = invoke(root, "--tests", root / "tests", "--apply-doubtful", *doubtful, *FAST)
    assert written.exit_code == ExitCode.FIXED, written.output
    assert "written to your files" in written.stdout
    assert snapshot(root)["docshare/permissions.py"] != before["docshare/permissions.py"]


def repair_process(root: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "repair", "fix", str(root), "--tests", str(root / "tests")]
    return subprocess.Popen(
        [*command, "--apply", *FAST, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=root.parent,
        # As from a terminal: a suite started in the background (`cmd &`) ignores SIGINT, and
        # Python then never turns Ctrl-C into KeyboardInterrupt in the child.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_sigkill_at_any_moment_leaves_files_whole(tmp_path: Path):
    source = FIXTURES / "access_control_wrong_boolean"
    original = snapshot(source)
    patched_file = "docshare/permissions.py"
    fixed_root = project_copy(source, tmp_path / "reference")
    subprocess.run(["git", "apply", str(source / "fix.patch")], cwd=fixed_root, check=True)
    fixed = (fixed_root / patched_file).read_bytes()
    # One run to the end: how long a repair takes here.
    root = project_copy(source, tmp_path / "full")
    started = time.monotonic()
    complete = repair_process(root)
    complete.communicate(timeout=120)
    duration = time.monotonic() - started
    assert complete.returncode == ExitCode.FIXED
    assert (root / patched_file).read_bytes() == fixed
    rng = random.Random(0)
    for attempt in range(3):
        root = project_copy(source, tmp_path / f"kill{attempt}")
        process = repair_process(root)
        time.sleep(rng.uniform(0.2, duration))
        process.kill()
        process.communicate()
        after = snapshot(root)
        for path, data in original.items():
            if path == patched_file:
                assert after[path] in (data, fixed)
            else:
                assert after[path] == data, path


def test_ctrl_c_leaves_files_untouched(tmp_path: Path):
    root = project_copy(FIXTURES / "shopping_cart_augmented_assignment", tmp_path)
    before = snapshot(root)
    process = repair_process(root)
    # Wait until the search is under way, then interrupt as a terminal's Ctrl-C would.
    deadline = time.monotonic() + 60
    seen = b""
    while b"round 1" not in seen and time.monotonic() < deadline:
        seen += process.stderr.readline()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED, (seen + stderr).decode()
    assert "interrupted; your files are untouched" in stderr.decode()
    assert snapshot(root) == before


def _boom(*args, **kwargs):
    raise ZeroDivisionError("division by zero\nsecond line")


def internal_error_cases(monkeypatch) -> dict[str, list[str]]:
    """Each command with the library function it calls replaced by one that crashes."""
    import repair.checkpoint
    import repair.cli
    import training.config

    monkeypatch.setattr(sys.modules["repair.fix"], "fix", _boom)
    monkeypatch.setattr(repair.cli, "localize", _boom)
    monkeypatch.setattr(training.config, "preset", _boom)
    monkeypatch.setattr(repair.checkpoint, "default_model_path", _boom)
    case = CASES / "passing"
    return {
        "fix": ["fix", str(case), "--tests", str(case / "tests"), "--no-model"],
        "localize": ["localize", str(case), "--tests", str(case / "tests")],
        "train": ["train", "--experiment", "exp1"],
        "evaluate": ["evaluate"],
    }


@pytest.mark.parametrize("command", ["fix", "localize", "train", "evaluate"])
def test_an_internal_error_exits_70_with_one_line(command: str, monkeypatch):
    args = internal_error_cases(monkeypatch)[command]
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.INTERNAL_ERROR == 70, result.output
    assert result.stderr.splitlines() == [
        "repair: internal error: ZeroDivisionError: division by zero "
        "(a bug in repair; run again with --debug to see the traceback)"
    ]
    assert "Traceback" not in result.output and result.stdout == ""
    debug = runner.invoke(app, [*args, "--debug"])
    assert debug.exit_code == ExitCode.INTERNAL_ERROR
    assert "Traceback (most recent call last)" in debug.stderr
    assert "ZeroDivisionError: division by zero" in debug.stderr


def test_a_domain_error_keeps_its_code_under_debug(tmp_path: Path):
    case = CASES / "two_bugs"
    result = invoke(case, "--tests", case / "tests", "--model", tmp_path / "none.pt", "--debug")
    assert result.exit_code == ExitCode.BAD_CHECKPOINT
    assert "Traceback" not in result.output


def test_a_bad_policy_setting_is_bad_input():
    case = CASES / "passing"
    result = invoke(case, "--tests", case / "tests", "--set", "beam=wide", *FAST)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "beam=wide: not a valid int" in result.stderr
    result = invoke(case, "--tests", case / "tests", "--set", "no_such_knob=1", *FAST)
    assert result.exit_code == ExitCode.BAD_INPUT and "NAME one of: rounds, beam" in result.stderr


@pytest.mark.parametrize(
    ("flag", "expected"),
    [([], None), (["--first-step-feedback"], True), (["--no-first-step-feedback"], False)],
)
def test_evaluate_passes_the_first_step_feedback_choice(flag, expected, monkeypatch):
    import training.evaluate

    seen = {}

    def evaluate_checkpoint(path, **kwargs):
        seen.update(kwargs)
        return {"text": "table"}

    monkeypatch.setattr(training.evaluate, "evaluate_checkpoint", evaluate_checkpoint)
    result = runner.invoke(app, ["evaluate", "models/exp3.pt", *flag])
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == "table\n" and seen["first_step_feedback"] is expected


def test_a_real_code_recipe_without_its_data_folder_is_bad_input(tmp_path: Path):
    missing = tmp_path / "no-data"
    out = tmp_path / "run"
    args = ["train", "--experiment", "realcode", "--out", str(out), "--set", f"real_data={missing}"]
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert result.stderr.splitlines() == [
        f"repair: error: {missing}: no real-code data folder here (make it with "
        "`python -m training.realdata --git-root DIR --out DIR`, or --set real_data=DIR)"
    ]
    assert not out.exists()  # refused before anything was written
