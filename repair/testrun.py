"""Run the user's test suite once, in a subprocess on a copy of the project, with per-test coverage.

The child (`_pytest_runner.py`) runs pytest in the copy's root under coverage, switching coverage's
dynamic context to each test's node id, and streams one JSON line per event. This parent watches
that stream: it enforces the overall timeout, kills a child that makes no progress on one test
(a hang in C code, or a loop that swallows the timeout), and starts a fresh child for the tests
not yet run, so one bad test never loses the rest of the suite.

No tests collected, and no collection error, crash or timeout to explain it: `run_suite` raises
`NoTestsFound`. A suite that collects nothing but errors, or crashes outside any test, comes back
as a `SuiteRun` with `collection_errors` set; the caller decides whether that is fatal.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from repair.errors import BadInput, NoTestsFound
from repair.project import check_paths_exist, copy_project, list_source_files

OUTCOMES = ("passed", "failed", "error", "timeout", "skipped")
FAILING_OUTCOMES = frozenset({"failed", "error", "timeout"})
RUNNER = Path(__file__).with_name("_pytest_runner.py")
SLOW_FACTOR = 20.0  # after a timeout, a test may still take this many times the slowest pass
WATCHDOG_GRACE = 5.0  # seconds past the per-test timeout before a silent child is killed
EXIT_GRACE = 5.0  # seconds a child that has finished pytest may take to exit
POLL_INTERVAL = 0.02  # seconds between looks at the child's results stream
LOG_TAIL = 2000  # characters of the child's output kept in error messages
_ERROR_LINE = re.compile(r"^E\s+(.*)$", re.MULTILINE)
_FILE_LOCATION = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
PYTEST_CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: str  # one of OUTCOMES
    duration: float  # seconds, setup + call + teardown
    message: str  # the failure's one-line summary, or why it was skipped; "" when passed


@dataclass(frozen=True)
class SuiteRun:
    results: list[TestResult]  # in the order the tests ran
    # source path relative to the project root -> line -> node ids of the tests that ran it.
    # Lines run only while importing (module level, `def` lines) belong to no test: not here.
    line_coverage: dict[str, dict[int, frozenset[str]]]
    collection_errors: list[str]  # "nodeid: one-line message" per file that failed to import
    wall_time: float  # seconds, including restarts
    crashed: bool  # the interpreter died (os._exit, segfault) or was killed for a hang
    timed_out: bool  # the overall timeout stopped the run; later tests have no result

    @property
    def failed(self) -> list[str]:
        return [r.nodeid for r in self.results if r.outcome in FAILING_OUTCOMES]

    @property
    def passed(self) -> list[str]:
        return [r.nodeid for r in self.results if r.outcome == "passed"]


@dataclass
class _Progress:
    """What all the child processes of one run have reported so far."""

    collected: list[str] = field(default_factory=list)
    collection_errors: dict[str, str] = field(default_factory=dict)
    results: dict[str, TestResult] = field(default_factory=dict)
    lines: dict[str, dict[int, set[str]]] = field(default_factory=dict)
    exit_code: int | None = None
    running: str | None = None  # node id of the test in progress
    running_since: float = 0.0

    def record(self, event: dict) -> None:
        kind = event["event"]
        if kind == "collected":
            known = set(self.collected)
            self.collected += [nodeid for nodeid in event["nodeids"] if nodeid not in known]
            for error in event["errors"]:
                self.collection_errors.setdefault(error["nodeid"], error["message"])
        elif kind == "start":
            self.running, self.running_since = event["nodeid"], time.monotonic()
        elif kind == "result":
            nodeid = event["nodeid"]
            self.results[nodeid] = TestResult(
                nodeid, event["outcome"], event["duration"], event["message"]
            )
            for path, lines in event["lines"].items():
                per_line = self.lines.setdefault(path, {})
                for line in lines:
                    per_line.setdefault(line, set()).add(nodeid)
            self.running = None
        elif kind == "exit":
            self.exit_code = event["code"]

    def give_up_on_running(self, outcome: str, message: str) -> None:
        nodeid = self.running
        assert nodeid is not None
        duration = time.monotonic() - self.running_since
        self.results[nodeid] = TestResult(nodeid, outcome, duration, message)
        self.running = None


def run_suite(
    project_root: Path,
    test_paths: Sequence[Path],
    source_paths: Sequence[Path],
    *,
    per_test_timeout: float = 10.0,
    total_timeout: float = 300.0,
    select: Sequence[str] | None = None,
    files: Mapping[str, bytes] | None = None,
    timeout_after_timeout: float | None = None,
) -> SuiteRun:
    """Run the tests under `test_paths` once, on a temporary copy of `project_root`.

    `select` limits the run to those node ids; `files` maps paths relative to the root to
    contents written into the copy (a candidate patch), so the user's tree is never written.
    Coverage is measured for the Python files under `source_paths`, tests excluded.
    `timeout_after_timeout`: once a test has timed out, later tests get at most this many seconds,
    or 20 times the slowest passing test if that is more (a bug that loops would otherwise cost
    every test the full timeout).
    """
    root = Path(project_root).resolve()
    check_paths_exist([root, *test_paths, *source_paths])
    sources = list_source_files(source_paths, root, exclude=test_paths)
    tests = [_relative_to_root(path, root) for path in test_paths]
    started = time.monotonic()
    deadline = started + total_timeout
    progress = _Progress()
    crashed = timed_out = False
    with tempfile.TemporaryDirectory(prefix="repair-run-") as tmp:
        work = Path(tmp).resolve()
        copy = copy_project(root, work / "project")
        for relative, content in (files or {}).items():
            target = copy / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        args = _pytest_args(tests, copy, work)
        for attempt in itertools.count(1):  # each restart settles at least one more test
            done = progress.results.values()
            slowest = max((r.duration for r in done if r.outcome == "passed"), default=0.0)
            limit = per_test_timeout
            if timeout_after_timeout is not None and any(r.outcome == "timeout" for r in done):
                limit = min(limit, max(timeout_after_timeout, SLOW_FACTOR * slowest))
            status, log = _run_child(
                work, attempt, copy, args, sources, select, progress, limit, deadline,
                timeout_after_timeout, slowest,
            )  # fmt: skip
            if status == "finished":
                if progress.exit_code in (2, 3, 4) and not progress.collected:
                    progress.collection_errors.setdefault(
                        "pytest", f"exited with code {progress.exit_code}: {one_line(log)}"
                    )
                break
            if status == "timeout":
                timed_out = True
                if progress.running is not None:
                    progress.give_up_on_running("timeout", "stopped by the overall timeout")
                break
            crashed = True
            if progress.running is None:  # died outside any test: nothing to skip past
                progress.collection_errors.setdefault(
                    "pytest", f"{status} outside any test: {one_line(log)}"
                )
                break
            outcome = "timeout" if status.startswith("killed") else "error"
            progress.give_up_on_running(outcome, status)
            if set(progress.collected) <= set(progress.results):
                break
    if not (progress.collected or progress.collection_errors or timed_out or crashed):
        raise NoTestsFound(f"no tests found under {', '.join(str(p) for p in test_paths)}")

    def in_user_tree(message: str) -> str:  # name the user's files, not the copy's
        return message.replace(str(copy), str(root))

    return SuiteRun(
        results=[
            replace(result, message=in_user_tree(result.message))
            for result in progress.results.values()
        ],
        line_coverage=_line_coverage(progress, set(sources)),
        collection_errors=[
            f"{nodeid}: {in_user_tree(one_line(message))}"
            for nodeid, message in progress.collection_errors.items()
        ],
        wall_time=time.monotonic() - started,
        crashed=crashed,
        timed_out=timed_out,
    )


def one_line(message: str) -> str:
    """The gist of a pytest error report: its last `E` line, with the file a SyntaxError names."""
    errors = [match[1].strip() for match in _ERROR_LINE.finditer(message)]
    if not errors:
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        return lines[-1] if lines else ""
    summary = errors[-1]
    for error in errors:
        if location := _FILE_LOCATION.search(error):
            return f"{summary} ({location['path']}, line {location['line']})"
    return summary


def _relative_to_root(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        raise BadInput(f"{path}: not inside the project root {root}") from None


def own_config_arguments(copy: Path, work: Path) -> list[str]:
    """`-c <empty pytest.ini>` when the copy has no pytest configuration of its own: without it
    pytest would look for one above the temporary directory."""
    if any((copy / name).exists() for name in PYTEST_CONFIG_FILES):
        return []
    empty_config = work / "pytest.ini"
    empty_config.write_text("[pytest]\n", encoding="utf-8")
    return ["-c", str(empty_config)]


def _pytest_args(tests: list[str], copy: Path, work: Path) -> list[str]:
    args = [*tests, "--rootdir", str(copy), "-p", "no:cacheprovider"]
    args += ["--continue-on-collection-errors", "-q", "--color=no"]
    return args + own_config_arguments(copy, work)


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # for the tests' own subprocesses; the child gets -B
    env["COVERAGE_CORE"] = "ctrace"  # the sys.monitoring core drops dynamic contexts
    env.pop("COVERAGE_PROCESS_START", None)  # no second coverage started by coverage's .pth
    env.pop("PYTEST_ADDOPTS", None)  # e.g. -x or -n would change which tests run
    return env


def _run_child(
    work: Path,
    attempt: int,
    copy: Path,
    args: list[str],
    sources: list[str],
    select: Sequence[str] | None,
    progress: _Progress,
    per_test_timeout: float,
    deadline: float,
    timeout_after_timeout: float | None = None,
    slowest_pass: float = 0.0,
) -> tuple[str, str]:
    """Run one child until it exits or is killed; returns (status, tail of its output).

    status: "finished", "timeout" (overall), "killed after ..." (no progress on one test), or
    "interpreter crashed (...)" (it died before pytest returned).
    """
    results = work / f"results-{attempt}.jsonl"
    config = work / f"config-{attempt}.json"
    log = work / f"output-{attempt}.log"
    config.write_text(
        json.dumps(
            {
                "root": str(copy),
                "results": str(results),
                "include": [str(copy / path) for path in sources],
                "args": args,
                "select": list(select) if select is not None else None,
                "skip": sorted(progress.results),
                "per_test_timeout": per_test_timeout,
                "timeout_after_timeout": timeout_after_timeout,
                "slowest_pass": slowest_pass,
                "slow_factor": SLOW_FACTOR,
            }
        ),
        encoding="utf-8",
    )
    results.touch()
    with open(log, "wb") as output, open(results, encoding="utf-8") as stream:
        child = subprocess.Popen(
            [sys.executable, "-I", "-B", str(RUNNER), str(config)],
            cwd=copy,
            env=_child_environment(),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill takes its children too
        )
        try:
            status = _watch(child, stream, progress, per_test_timeout, deadline)
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        _read_events(stream, progress)
    tail = log.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL:].strip()
    return status, tail


def _watch(
    child: subprocess.Popen,
    stream,
    progress: _Progress,
    per_test_timeout: float,
    deadline: float,
) -> str:
    exited_pytest_at: float | None = None
    while True:
        try:
            code = child.wait(timeout=POLL_INTERVAL)
        except subprocess.TimeoutExpired:
            code = None
        _read_events(stream, progress)
        now = time.monotonic()
        if progress.exit_code is not None:
            if code is not None:
                return "finished"
            exited_pytest_at = exited_pytest_at or now
            if now - exited_pytest_at > EXIT_GRACE:
                return "finished"  # results are complete; something keeps the process alive
            continue
        if code is not None:
            return f"interpreter crashed ({_describe_exit(code)})"
        if now > deadline:
            return "timeout"
        if progress.running is not None and (
            now - progress.running_since > per_test_timeout + WATCHDOG_GRACE
        ):
            return f"killed after {per_test_timeout + WATCHDOG_GRACE:g} s without progress"


def _read_events(stream, progress: _Progress) -> None:
    while True:
        position = stream.tell()
        line = stream.readline()
        if not line.endswith("\n"):  # nothing new, or a line still being written
            stream.seek(position)
            return
        progress.record(json.loads(line))


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _line_coverage(progress: _Progress, sources: set[str]) -> dict[str, dict[int, frozenset[str]]]:
    return {
        path: {line: frozenset(nodeids) for line, nodeids in sorted(progress.lines[path].items())}
        for path in sorted(sources & set(progress.lines))
    }
