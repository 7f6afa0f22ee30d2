"""Run the user's test suite once, in a subprocess on a copy of the project, with per-test coverage.

The child (`_pytest_runner.py`) runs pytest in the copy's root under coverage, takes each test's
lines from coverage as the test ends, and streams one JSON line per event. This parent watches
that stream: it enforces the overall timeout, kills a child that makes no progress on one test
(a hang in C code, or a loop that swallows the timeout), and starts a fresh child for the tests
not yet run, so one bad test never loses the rest of the suite. A child runs in its own process
group, which is killed once the child is done, with whatever the tests started and left there;
the child also dies with this process.

After a loop, later tests get less time (`timeout_after_timeout`); a test cut short by that is run
again with the full per-test timeout at the end, unless it was stuck in the same function as a
test that ran out its full time, so a slow test that passes is not called failing.

No tests collected, and no collection error, crash or timeout to explain it: `run_suite` raises
`NoTestsFound`. A suite that collects nothing but errors, or crashes outside any test, comes back
as a `SuiteRun` with `collection_errors` set; the caller decides whether that is fatal.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from repair import _child as child
from repair.errors import BadInput, NoTestsFound
from repair.project import check_paths_exist, copy_project, list_source_files
from repair.tempdirs import TemporaryFolder

OUTCOMES = ("passed", "failed", "error", "timeout", "skipped")
FAILING_OUTCOMES = frozenset({"failed", "error", "timeout"})
RUNNER = Path(__file__).with_name("_pytest_runner.py")
SLOW_FACTOR = 20.0  # after a timeout, a test may still take this many times the slowest pass
WATCHDOG_GRACE = 5.0  # seconds past the per-test timeout before a silent child is killed
EXIT_GRACE = 1.0  # seconds a child that has reported pytest's end may take to exit
POLL_INTERVAL = 0.02  # seconds between looks at the child's results stream
LOG_TAIL = 2000  # characters of the child's output kept in error messages
_ERROR_LINE = re.compile(r"^E\s+(.*)$", re.MULTILINE)
_FILE_LOCATION = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
PYTEST_CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
# Each test's lines read from coverage's collector (True), or through a dynamic context per test
# and queries of the coverage data: the runner's fallback, kept switchable to compare the two.
FAST_LINES = True


class Frame(NamedTuple):
    """One frame of a failing test's traceback that lies in the project's source files."""

    path: str  # relative to the project root, POSIX separators
    line: int  # 1-based: the line the frame was running when the exception passed through
    function: str


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: str  # one of OUTCOMES
    duration: float  # seconds, setup + call + teardown
    message: str  # the failure's one-line summary, or why it was skipped; "" when passed
    # A failing test's traceback frames in the measured source files, the crash site first
    # (empty: it passed, or raised in the tests or libraries only, or was killed).
    frames: tuple[Frame, ...] = ()


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
    limits: dict[str, float] = field(default_factory=dict)  # node id -> its per-test timeout
    stuck: dict[str, str] = field(default_factory=dict)  # timed-out node id -> where it was

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
            frames = tuple(Frame(*frame) for frame in event.get("frames", ()))
            self.results[nodeid] = TestResult(
                nodeid, event["outcome"], event["duration"], event["message"], frames
            )
            for path, lines in event["lines"].items():
                per_line = self.lines.setdefault(path, {})
                for line in lines:
                    per_line.setdefault(line, set()).add(nodeid)
            if "limit" in event:
                self.limits[nodeid] = event["limit"]
            if event.get("stuck"):
                self.stuck[nodeid] = event["stuck"]
            self.running = None
        elif kind == "exit":
            self.exit_code = event["code"]

    def give_up_on_running(self, outcome: str, message: str, limit: float) -> None:
        nodeid = self.running
        assert nodeid is not None
        duration = time.monotonic() - self.running_since
        self.results[nodeid] = TestResult(nodeid, outcome, duration, message)
        self.limits[nodeid] = limit
        self.running = None

    def in_user_tree(self, copy: str, root: str) -> None:
        """Name the user's files in messages, not the copy's."""
        self.results = {
            nodeid: replace(result, message=result.message.replace(copy, root))
            for nodeid, result in self.results.items()
        }
        self.collection_errors = {
            nodeid: message.replace(copy, root)
            for nodeid, message in self.collection_errors.items()
        }

    @classmethod
    def merged(cls, parts: Sequence[_Progress]) -> _Progress:
        """Several shards' progress as one (shard k ran every n-th test from the k-th): the
        tests back in collection order, lines joined, the collection errors every shard met
        once."""
        whole = cls()
        longest = max((len(part.collected) for part in parts), default=0)
        whole.collected = [
            part.collected[i] for i in range(longest) for part in parts if i < len(part.collected)
        ]
        results = {nodeid: result for part in parts for nodeid, result in part.results.items()}
        whole.results = {
            nodeid: results.pop(nodeid) for nodeid in whole.collected if nodeid in results
        }
        whole.results.update(results)  # none expected: every result's test was collected
        for part in parts:
            for nodeid, message in part.collection_errors.items():
                whole.collection_errors.setdefault(nodeid, message)
            whole.limits.update(part.limits)
            whole.stuck.update(part.stuck)
            for path, per_line in part.lines.items():
                into = whole.lines.setdefault(path, {})
                for line, nodeids in per_line.items():
                    into.setdefault(line, set()).update(nodeids)
        return whole

    def forget(self, nodeid: str) -> None:
        """Drop a test's result, to run it again (its coverage so far stays)."""
        self.results.pop(nodeid, None)
        self.limits.pop(nodeid, None)
        self.stuck.pop(nodeid, None)

    def cut_short(self, per_test_timeout: float) -> list[str]:
        """The tests that timed out under a limit shortened after a loop, except those stuck in
        the same function as a test that ran out its full time (presumed to loop there too)."""
        timeouts = [r.nodeid for r in self.results.values() if r.outcome == "timeout"]
        full = {n for n in timeouts if self.limits.get(n, per_test_timeout) >= per_test_timeout}
        loops = {self.stuck[n] for n in full if n in self.stuck}
        return [
            nodeid
            for nodeid in timeouts
            if nodeid not in full and (self.stuck.get(nodeid) or "?") not in loops
        ]


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
    shards: int = 1,
) -> SuiteRun:
    """Run the tests under `test_paths` once, on a temporary copy of `project_root`.

    `select` limits the run to those node ids; `files` maps paths relative to the root to
    contents written into the copy (a candidate patch), so the user's tree is never written.
    Coverage is measured for the Python files under `source_paths`, tests excluded.
    `timeout_after_timeout`: once a test has timed out, later tests get at most this many seconds,
    or 20 times the slowest passing test if that is more (a bug that loops would otherwise cost
    every test the full timeout); those cut short are run again with the full timeout at the end
    (see the module's docstring).
    `shards` > 1 (without `select`): that many children at once, each on its own copy, child k
    running every n-th test from the k-th (`repair.shards` says when it pays).
    """
    root = Path(project_root).resolve()
    check_paths_exist([root, *test_paths, *source_paths])
    sources = list_source_files(source_paths, root, exclude=test_paths)
    tests = [_relative_to_root(path, root) for path in test_paths]
    started = time.monotonic()
    count = max(1, shards) if select is None else 1
    stop = threading.Event()  # set: every shard's child is killed and its thread ends

    def one(index: int) -> tuple[_Progress, bool, bool]:
        shard = (index, count) if count > 1 else None
        progress = _Progress()
        with TemporaryFolder("repair-run-") as work:
            copy = copy_project(root, work / "project")
            for relative, content in (files or {}).items():
                target = copy / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            runs = _Runs(work, copy, _pytest_args(tests, copy, work), sources, progress, shard)
            runs.stop = stop
            runs.deadline = started + total_timeout
            crashed, timed_out = runs.settle(select, per_test_timeout, timeout_after_timeout)
            again = [] if timed_out else progress.cut_short(per_test_timeout)
            if again:
                for nodeid in again:
                    progress.forget(nodeid)
                crashed_again, timed_out = runs.settle(again, per_test_timeout, None)
                crashed = crashed or crashed_again
            progress.in_user_tree(str(copy), str(root))
        return progress, crashed, timed_out

    if count == 1:
        progress, crashed, timed_out = one(0)
    else:
        pool = ThreadPoolExecutor(count, thread_name_prefix="repair-shard")
        try:
            parts = [future.result() for future in [pool.submit(one, k) for k in range(count)]]
        except BaseException:  # Ctrl-C or a shard's error: the other shards' children go too
            stop.set()
            raise
        finally:
            pool.shutdown(wait=True)
        progress = _Progress.merged([part[0] for part in parts])
        crashed, timed_out = any(part[1] for part in parts), any(part[2] for part in parts)
    if not (progress.collected or progress.collection_errors or timed_out or crashed):
        raise NoTestsFound(f"no tests found under {', '.join(str(p) for p in test_paths)}")
    return SuiteRun(
        results=list(progress.results.values()),
        line_coverage=_line_coverage(progress, set(sources)),
        collection_errors=[
            f"{nodeid}: {one_line(message)}"
            for nodeid, message in progress.collection_errors.items()
        ],
        wall_time=time.monotonic() - started,
        crashed=crashed,
        timed_out=timed_out,
    )


class _Cancelled(Exception):
    """A shard's thread told to stop (its child is killed on the way out)."""


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


class _Runs:
    """The children of one `run_suite`: each runs the tests not settled yet, in the same copy."""

    def __init__(
        self,
        work: Path,
        copy: Path,
        args: list[str],
        sources: list[str],
        progress: _Progress,
        shard: tuple[int, int] | None = None,
    ):
        self.work, self.copy, self.args, self.sources = work, copy, args, sources
        self.progress = progress
        self.shard = shard
        self.stop: threading.Event | None = None  # set by another thread: give up at once
        self.deadline = float("inf")
        self.attempts = itertools.count(1)

    def settle(
        self,
        select: Sequence[str] | None,
        per_test_timeout: float,
        timeout_after_timeout: float | None,
    ) -> tuple[bool, bool]:
        """Run children until every selected test has a result (each restart settles at least
        one more test); returns (crashed, timed out)."""
        progress = self.progress
        crashed = False
        while True:
            done = progress.results.values()
            slowest = max((r.duration for r in done if r.outcome == "passed"), default=0.0)
            limit = per_test_timeout
            if timeout_after_timeout is not None and any(r.outcome == "timeout" for r in done):
                limit = min(limit, max(timeout_after_timeout, SLOW_FACTOR * slowest))
            status, log = self.run_child(select, limit, timeout_after_timeout, slowest)
            if status == "finished":
                if progress.exit_code in (2, 3, 4) and not progress.collected:
                    progress.collection_errors.setdefault(
                        "pytest", f"exited with code {progress.exit_code}: {one_line(log)}"
                    )
                return crashed, False
            if status == "timeout":
                if progress.running is not None:
                    progress.give_up_on_running("timeout", "stopped by the overall timeout", limit)
                return crashed, True
            crashed = True
            if progress.running is None:  # died outside any test: nothing to skip past
                progress.collection_errors.setdefault(
                    "pytest", f"{status} outside any test: {one_line(log)}"
                )
                return crashed, False
            outcome = "timeout" if status.startswith("killed") else "error"
            progress.give_up_on_running(outcome, status, limit)
            wanted = set(progress.collected if select is None else select)
            if wanted <= set(progress.results):
                return crashed, False

    def run_child(
        self,
        select: Sequence[str] | None,
        per_test_timeout: float,
        timeout_after_timeout: float | None,
        slowest_pass: float,
    ) -> tuple[str, str]:
        """Run one child until it exits or is killed; returns (status, tail of its output).

        status: "finished", "timeout" (overall), "killed after ..." (no progress on one test), or
        "interpreter crashed (...)" (it died before pytest returned).
        """
        attempt = next(self.attempts)
        self.progress.exit_code = None  # this child's, when it comes
        results = self.work / f"results-{attempt}.jsonl"
        config = self.work / f"config-{attempt}.json"
        log = self.work / f"output-{attempt}.log"
        config.write_text(
            json.dumps(
                {
                    "root": str(self.copy),
                    "results": str(results),
                    "include": [str(self.copy / path) for path in self.sources],
                    "args": self.args,
                    "select": list(select) if select is not None else None,
                    "skip": sorted(self.progress.results),
                    "shard": list(self.shard) if self.shard is not None else None,
                    "per_test_timeout": per_test_timeout,
                    "timeout_after_timeout": timeout_after_timeout,
                    "slowest_pass": slowest_pass,
                    "slow_factor": SLOW_FACTOR,
                    "fast_lines": FAST_LINES,
                    "parent": os.getpid(),
                }
            ),
            encoding="utf-8",
        )
        results.touch()
        with open(log, "wb") as output, open(results, encoding="utf-8") as stream:
            process = subprocess.Popen(
                [sys.executable, "-I", "-B", str(RUNNER), str(config)],
                cwd=self.copy,
                # the sys.monitoring core of coverage records a line once per process, not
                # once per test
                env=child.child_environment(COVERAGE_CORE="ctrace"),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a kill takes its children too
            )
            try:
                status = _watch(
                    process, stream, self.progress, per_test_timeout, self.deadline, self.stop
                )
            finally:
                # Done, stuck or interrupted: the child goes, and whatever the tests left in its
                # group (a fork that sleeps, a pool's workers) goes with it.
                child.kill_group(process.pid)
                process.wait()
            _read_events(stream, self.progress)
        tail = log.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL:].strip()
        return status, tail


def _watch(
    process: subprocess.Popen,
    stream,
    progress: _Progress,
    per_test_timeout: float,
    deadline: float,
    stop: threading.Event | None = None,
) -> str:
    exited_pytest_at: float | None = None
    while True:
        if stop is not None and stop.is_set():
            raise _Cancelled("another shard of the run failed or was interrupted")
        try:
            code = process.wait(timeout=POLL_INTERVAL)
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
            return f"interpreter crashed ({child.describe_exit(code)})"
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


def _line_coverage(progress: _Progress, sources: set[str]) -> dict[str, dict[int, frozenset[str]]]:
    return {
        path: {line: frozenset(nodeids) for line, nodeids in sorted(progress.lines[path].items())}
        for path in sorted(sources & set(progress.lines))
    }
