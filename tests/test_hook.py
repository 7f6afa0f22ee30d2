"""The pre-commit hook, through the real `pre-commit` framework in a temporary git repository.

The hook is declared as a `repo: local`, `language: system` hook whose entry is
`sys.executable -m repair.hook`: the `repair-system` style. The `language: python` hook would make
pre-commit build a fresh environment with torch on the first run (minutes; measured in
docs/pre-commit.md), which does not belong in the test suite. `--no-model` keeps the search fast.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from repair.exit_codes import ExitCode
from repair.hook import main, staged_sources

pytest.importorskip("pre_commit")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("SKIP", None)
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=check, env=env
    )


def _tree_hash(repo: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(repo.rglob("*")):
        if ".git" in path.parts or "__pycache__" in path.parts or not path.is_file():
            continue
        if ".pytest_cache" in path.parts:
            continue
        digest.update(path.relative_to(repo).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _make_repo(tmp_path: Path, fixture: str, hook_args: list[str]) -> Path:
    """A git repository whose first commit is the fixture with its bug fixed (tests pass)."""
    repo = tmp_path / "project"
    shutil.copytree(FIXTURES / fixture, repo, ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "bug.json").unlink()
    entry = f"{sys.executable} -m repair.hook"
    args = ", ".join(f"'{arg}'" for arg in ["--tests", "tests", "--no-model", *hook_args])
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: repair\n"
        "        name: repair\n"
        f"        entry: {entry}\n"
        "        language: system\n"
        "        types: [python]\n"
        "        require_serial: true\n"
        f"        args: [{args}]\n"
    )
    _git(repo, "init", "-q")
    _git(repo, "config", "user.name", "Hook Test")
    _git(repo, "config", "user.email", "hook@example.com")
    _git(repo, "config", "commit.gpgsign", "false")
    _git(repo, "apply", "fix.patch")  # start from the correct program
    (repo / "fix.patch").unlink()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "working version", "--no-verify")
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"], cwd=repo, check=True, capture_output=True
    )
    return repo


def _commit(repo: Path) -> subprocess.CompletedProcess:
    return _git(repo, "commit", "-m", "change", check=False)


def _introduce_bug(repo: Path, fixture: str) -> None:
    patch = (FIXTURES / fixture / "fix.patch").read_text()
    (repo / "reverse.patch").write_text(patch)
    _git(repo, "apply", "-R", "reverse.patch")
    (repo / "reverse.patch").unlink()


def test_buggy_commit_is_refused_with_a_suggestion(tmp_path):
    fixture = "interval_merge_wrong_comparison"
    repo = _make_repo(tmp_path, fixture, [])
    _introduce_bug(repo, fixture)
    _git(repo, "add", "intervals.py")
    before = _tree_hash(repo)
    result = _commit(repo)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "test_merge_touching_intervals" in output
    assert "+++ b/intervals.py" in output
    assert "+        if merged and start <= merged[-1][1]:" in output
    assert "--apply" in output
    assert "Traceback" not in output
    assert _tree_hash(repo) == before  # the hook did not touch a file
    assert _git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "1"  # nothing committed

    # The printed suggestion applies with `git apply`; here it restores the committed version.
    diff = output[output.index("--- a/intervals.py") :].split("repair: apply it")[0]
    diff = "\n".join(line for line in diff.splitlines() if not line.startswith("repair:"))
    (tmp_path / "suggested.patch").write_text(diff + "\n")
    _git(repo, "apply", str(tmp_path / "suggested.patch"))
    assert _git(repo, "diff", "HEAD", "--quiet", check=False).returncode == 0


def test_commit_with_passing_tests_succeeds_quietly(tmp_path):
    repo = _make_repo(tmp_path, "interval_merge_wrong_comparison", [])
    with (repo / "intervals.py").open("a") as file:
        file.write("\n\n# a harmless change\n")
    _git(repo, "add", "intervals.py")
    before = _tree_hash(repo)
    result = _commit(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "repair....." in result.stderr and "Passed" in result.stderr
    assert _tree_hash(repo) == before
    assert _git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "2"


def test_time_budget_overrun_is_reported_cleanly(tmp_path):
    fixture = "timetable_infinite_loop"
    repo = _make_repo(tmp_path, fixture, ["--timeout", "1"])
    _introduce_bug(repo, fixture)
    _git(repo, "add", "timetable.py")
    before = _tree_hash(repo)
    result = _commit(repo)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "repair: no fix found within 1 s" in output
    assert "Traceback" not in output
    assert _tree_hash(repo) == before


def test_main_directly(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "interval_merge_wrong_comparison", project)
    monkeypatch.chdir(project)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    before = (project / "intervals.py").read_bytes()

    # No staged source file (a test file, a non-Python file): quiet, nothing run.
    assert main(["tests/test_intervals.py", "bug.json", "--no-model"]) == ExitCode.OK
    assert capsys.readouterr().err == ""

    assert main(["intervals.py", "--no-model", "--timeout", "30"]) == ExitCode.NO_FIX_FOUND
    err = capsys.readouterr().err
    assert "tests/test_intervals.py::test_merge_touching_intervals" in err
    assert "+++ b/intervals.py" in err
    assert "repair fix intervals.py --tests tests --timeout 30 --no-model --apply" in err
    assert (project / "intervals.py").read_bytes() == before  # no --apply: untouched

    assert main(["intervals.py", "--tests", "missing"]) == ExitCode.BAD_INPUT


def test_a_doubtful_fix_is_not_applied(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "interval_merge_wrong_comparison", project)
    monkeypatch.chdir(project)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    fix_module = importlib.import_module("repair.fix")  # `repair.fix` names the function too
    monkeypatch.setattr(fix_module, "doubt", lambda choices, policy: "a test says so")
    before = (project / "intervals.py").read_bytes()
    args = ["intervals.py", "--no-model", "--timeout", "30", "--apply"]
    assert main(args) == ExitCode.NO_FIX_FOUND
    err = capsys.readouterr().err
    assert "repair: doubtful; not applied: a test says so" in err
    assert "--timeout 30 --no-model --apply-doubtful" in err
    assert (project / "intervals.py").read_bytes() == before


def test_staged_sources_keeps_only_editable_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ["src/pkg/a.py", "src/pkg/notes.txt", "tests/test_a.py", "conftest.py", "b.py"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    names = ["src/pkg/a.py", "src/pkg/notes.txt", "tests/test_a.py", "conftest.py", "b.py"]
    assert staged_sources(names, [Path("src")], [Path("tests")]) == [Path("src/pkg/a.py")]
    assert staged_sources(names, [Path(".")], [Path("tests")]) == [
        Path("b.py"),
        Path("src/pkg/a.py"),
    ]


def test_an_internal_error_exits_70_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x = 1\n")
    (tmp_path / "tests").mkdir()

    def boom(*args, **kwargs):
        raise KeyError("lost")

    monkeypatch.setattr(sys.modules["repair.fix"], "fix", boom)
    assert main(["src/a.py", "--no-model"]) == ExitCode.INTERNAL_ERROR == 70
    assert capsys.readouterr().err.splitlines() == [
        "repair: internal error: KeyError: 'lost' "
        "(a bug in repair; run again with --debug to see the traceback)"
    ]
    assert main(["src/a.py", "--no-model", "--debug"]) == ExitCode.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "KeyError: 'lost'" in err
