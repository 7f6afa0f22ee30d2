"""Checks for the seeded-bug projects under ``fixtures/``.

Every fixture is a small project with its own pytest configuration, a ``bug.json`` describing one
seeded bug (the edits that fix it and the tests it breaks) and a ``fix.patch`` with the same fix as
a unified diff. These tests check that the records are well formed, that the recorded tests really
fail on the buggy code, and that the recorded edits make the whole suite pass.

Fixture suites run on temporary copies, outside this process: one driver subprocess imports
pytest once and forks a child per suite run (a fresh interpreter per run would double the cost).
A tiny plugin gives every fixture test a wall-clock guard (SIGALRM), the way the repair runner's
per-test timeout does, so the infinite-loop fixture fails test by test instead of hanging; a
per-run timeout in the driver is the backstop.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"
FIXTURES = sorted(p.name for p in FIXTURES_DIR.iterdir() if (p / "bug.json").is_file())

KINDS = {
    "wrong_variable",
    "wrong_arithmetic",
    "wrong_comparison",
    "wrong_boolean",
    "wrong_literal",
    "not_operator",
    "swapped_arguments",
    "wrong_augmented_assignment",
    "loop_bound",
    "infinite_loop",
    "two_files",
    "package_layout",
    "wrong_constant",
    "wrong_membership",
    "two_edits",
}
MULTI_EDIT_KINDS = {"two_files", "two_edits"}

PER_TEST_LIMIT_S = 1.0  # every fixture test takes milliseconds when it terminates
RUN_TIMEOUT_S = 20

GUARD_PLUGIN = f"""
import signal

import pytest

LIMIT = {PER_TEST_LIMIT_S}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    def on_alarm(signum, frame):
        raise TimeoutError(f"test ran longer than {{LIMIT}} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, LIMIT)
    try:
        return (yield)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
"""

OUTCOME_RE = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)")


def load_bug(name: str) -> dict:
    return json.loads((FIXTURES_DIR / name / "bug.json").read_text())


def copy_fixture(name: str, dest: Path) -> Path:
    shutil.copytree(
        FIXTURES_DIR / name, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")
    )
    return dest


def apply_edits(root: Path, edits: list[dict]) -> None:
    for edit in edits:
        path = root / edit["path"]
        lines = path.read_text().split("\n")
        assert lines[edit["line"] - 1] == edit["buggy"]
        lines[edit["line"] - 1] = edit["fixed"]
        path.write_text("\n".join(lines))


def run_suite(root: Path, plugin_dir: Path, *args: str) -> dict[str, str] | None:
    """Run the fixture's suite; map node id -> outcome, or None if the whole run timed out."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"]
    if hasattr(signal, "setitimer"):
        cmd += ["-p", "fixture_guard"]
    try:
        proc = subprocess.run(
            [*cmd, *args],
            cwd=root,
            env=clean_env(plugin_dir),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return None
    return parse_outcomes(proc.stdout + proc.stderr)


DRIVER = """
import json
import os
import signal
import sys
import time

import pytest

import fixture_guard


def child(job):
    fd = os.open(job["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.chdir(job["root"])
    try:
        code = int(pytest.main(["-q", "-rA", "-p", "no:cacheprovider"], plugins=[fixture_guard]))
    except BaseException:
        code = 99
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main():
    jobs = json.loads(open(sys.argv[1]).read())
    limit, workers = float(sys.argv[2]), int(sys.argv[3])
    pending, running, status = list(jobs), {}, {}
    while pending or running:
        while pending and len(running) < workers:
            job = pending.pop(0)
            pid = os.fork()
            if pid == 0:
                child(job)
            running[pid] = (job, time.monotonic())
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid:
            status[running.pop(pid)[0]["out"]] = "done"
            continue
        for pid, (job, start) in list(running.items()):
            if time.monotonic() - start > limit:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                status[running.pop(pid)[0]["out"]] = "timeout"
        time.sleep(0.005)
    print(json.dumps(status))


main()
"""


def parse_outcomes(output: str) -> dict[str, str]:
    outcomes = {}
    for line in output.splitlines():
        m = OUTCOME_RE.match(line)
        if m:
            outcomes[m.group(2)] = m.group(1)
    assert outcomes, f"no test outcomes parsed:\n{output}"
    return outcomes


def clean_env(plugin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPATH"] = str(plugin_dir)
    return env


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("guard_plugin")
    (d / "fixture_guard.py").write_text(GUARD_PLUGIN)
    return d


@pytest.fixture(scope="module")
def suite_runs(tmp_path_factory, plugin_dir) -> dict[str, tuple[Path, dict | None, dict | None]]:
    """Run every fixture's suite on a buggy and a fixed copy, all in one driver process.

    Maps fixture name -> (buggy copy, buggy outcomes, fixed outcomes); outcomes are None when the
    run timed out as a whole.
    """
    work = tmp_path_factory.mktemp("fixture_runs")
    jobs, expected = [], {}
    for name in FIXTURES:
        buggy = copy_fixture(name, work / name / "buggy")
        fixed = copy_fixture(name, work / name / "fixed")
        apply_edits(fixed, load_bug(name)["edits"])
        for root in (buggy, fixed):
            jobs.append({"root": str(root), "out": str(root.parent / f"{root.name}.out")})
        expected[name] = (buggy, fixed)

    if hasattr(os, "fork") and hasattr(signal, "setitimer"):
        (plugin_dir / "fixture_driver.py").write_text(DRIVER)
        (work / "jobs.json").write_text(json.dumps(jobs))
        workers = max(2, os.cpu_count() or 2)
        proc = subprocess.run(
            [sys.executable, str(plugin_dir / "fixture_driver.py"), str(work / "jobs.json")]
            + [str(RUN_TIMEOUT_S), str(workers)],
            env=clean_env(plugin_dir),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S * len(jobs),
        )
        assert proc.returncode == 0, proc.stderr
        status = json.loads(proc.stdout.strip().splitlines()[-1])

        def result(root: Path) -> dict | None:
            out = root.parent / f"{root.name}.out"
            if status[str(out)] == "timeout":
                return None
            return parse_outcomes(out.read_text())

    else:

        def result(root: Path) -> dict | None:
            return run_suite(root, plugin_dir)

    return {
        name: (buggy, result(buggy), result(fixed)) for name, (buggy, fixed) in expected.items()
    }


def test_fixture_set_covers_every_kind():
    assert len(FIXTURES) >= 14
    assert {load_bug(name)["kind"] for name in FIXTURES} == KINDS


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_is_well_formed(name):
    root = FIXTURES_DIR / name
    bug = load_bug(name)
    assert set(bug) == {"description", "kind", "edits", "failing_tests"}
    assert isinstance(bug["description"], str) and bug["description"].strip()
    assert bug["kind"] in KINDS

    # Own pytest config, so the rootdir is the fixture directory.
    if (root / "pytest.ini").is_file():
        assert (root / "pytest.ini").read_text().startswith("[pytest]")
    else:
        config = (root / "pyproject.toml").read_text()
        assert re.search(r"^\[tool\.pytest\.ini_options\]$", config, re.M)
    assert not list(root.rglob("__pycache__")) and not list(root.rglob(".pytest_cache"))

    edits = bug["edits"]
    assert edits and all(set(e) == {"path", "line", "buggy", "fixed"} for e in edits)
    if bug["kind"] in MULTI_EDIT_KINDS:
        assert len(edits) == 2
        paths = {e["path"] for e in edits}
        assert len(paths) == (2 if bug["kind"] == "two_files" else 1)
    else:
        assert len(edits) == 1
    if bug["kind"] == "package_layout":
        assert edits[0]["path"].startswith("src/")
        config = (root / "pyproject.toml").read_text()
        assert re.search(r'^pythonpath = \["src"\]$', config, re.M)
    for edit in edits:
        assert edit["path"].endswith(".py") and not edit["path"].startswith("tests/")
        assert edit["buggy"] != edit["fixed"]
        assert "\n" not in edit["buggy"] and "\n" not in edit["fixed"]
        lines = (root / edit["path"]).read_text().splitlines()
        assert isinstance(edit["line"], int) and 1 <= edit["line"] <= len(lines)
        assert lines[edit["line"] - 1] == edit["buggy"]

    tests = sorted(root.glob("tests/test_*.py"))
    assert tests
    assert bug["failing_tests"] and len(set(bug["failing_tests"])) == len(bug["failing_tests"])
    for node_id in bug["failing_tests"]:
        path, _, func = node_id.partition("::")
        assert (root / path) in tests
        assert re.search(rf"^def {re.escape(func)}\(", (root / path).read_text(), re.M)


@pytest.mark.parametrize("name", FIXTURES)
def test_fix_patch_matches_edits(name, tmp_path):
    bug = load_bug(name)
    by_patch = copy_fixture(name, tmp_path / "by_patch")
    by_edits = copy_fixture(name, tmp_path / "by_edits")
    patch = (FIXTURES_DIR / name / "fix.patch").read_text()
    if shutil.which("git"):
        cmd = ["git", "apply", "-"]
    elif shutil.which("patch"):
        cmd = ["patch", "-p1", "--quiet"]
    else:
        pytest.skip("neither git nor patch is available")
    # Keep git from finding an enclosing repository (it would resolve paths from its top).
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp_path))
    proc = subprocess.run(cmd, cwd=by_patch, input=patch, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    apply_edits(by_edits, bug["edits"])
    for path in {e["path"] for e in bug["edits"]}:
        assert (by_patch / path).read_text() == (by_edits / path).read_text()
    patched = sorted(re.findall(r"^\+\+\+ b/(\S+)", patch, re.M))
    assert patched == sorted({e["path"] for e in bug["edits"]})


@pytest.mark.parametrize("name", FIXTURES)
def test_buggy_fails_and_fixed_passes(name, suite_runs, plugin_dir):
    bug = load_bug(name)
    failing = set(bug["failing_tests"])
    buggy, outcomes, outcomes_fixed = suite_runs[name]

    if outcomes is None:
        # Only a never-terminating bug may hang the whole run (the per-test guard did not fire):
        # count that as failing, and check the other tests on their own.
        assert bug["kind"] == "infinite_loop", "buggy suite timed out"
        deselect = [arg for t in sorted(failing) for arg in ("--deselect", t)]
        outcomes = run_suite(buggy, plugin_dir, *deselect)
        assert outcomes is not None
        outcomes.update(dict.fromkeys(failing, "FAILED"))
    failed = {t for t, outcome in outcomes.items() if outcome in ("FAILED", "ERROR")}
    assert failed == failing
    assert any(outcome == "PASSED" for outcome in outcomes.values()), "no test passes on the bug"
    assert 4 <= len(outcomes) <= 12

    assert outcomes_fixed is not None, "fixed suite timed out"
    assert set(outcomes_fixed) == set(outcomes)
    assert set(outcomes_fixed.values()) == {"PASSED"}, outcomes_fixed
