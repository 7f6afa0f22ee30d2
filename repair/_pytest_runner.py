"""Child process of `repair.testrun`: run pytest once under coverage, one context per test.

Run as a script, `python -I -B _pytest_runner.py CONFIG.json`, in the project copy. It imports
nothing from `repair` (`_child.py`, the child-process toolkit, is loaded by path), so a user's
module of the same name cannot shadow it. Every event is one JSON line appended and flushed to
the results file, so what happened before a crash or a kill survives it:

    {"event": "collected", "nodeids": [...], "errors": [{"nodeid": ..., "message": ...}]}
    {"event": "start", "nodeid": ...}
    {"event": "result", "nodeid": ..., "outcome": ..., "duration": ..., "message": ...,
     "lines": {path: [line, ...]}, "limit": seconds it was given,
     "stuck": "path:function:line" of the project's code a timeout landed in, or "",
     "frames": [[path, line, function], ...] of the failure's traceback in the measured
     source files, crash site first (empty when it raised in tests or libraries only)}
    {"event": "exit", "code": pytest's exit code}

It dies with the process that started it (`config["parent"]`), leaves through `os._exit`
whatever threads the tests left running, and a guard (`_child.guard_session`) kills whatever the
tests started once either of them is gone, so a run leaves nothing behind.

Paths are POSIX paths relative to the project copy's root. Lines run while importing (module
level, `def` lines) or between tests run in no test and are not reported.

Each test's lines are read from coverage's collector as the test ends (`TestLines`): the sets
its tracers fill, taken and emptied, so a test costs the lines it ran. Switching coverage's
dynamic context per test and querying its data per measured file cost ~3 ms a test on 40
modules (20,000 fast tests: pytest 11 s, under coverage 20 s, with those per-test steps 76 s;
`bench/coverage_bench.py`); that way stays as the fallback for a coverage whose collector does
not look as expected.
"""

import json
import os
import sys
import time

import coverage
import pytest


def _load_toolkit():
    """`_child.py` beside this file, loaded by path: this script cannot import `repair`."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_child.py")
    spec = importlib.util.spec_from_file_location("_repair_child", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


child = _load_toolkit()

# Coverage warnings would reach pytest's warning capture, and `filterwarnings = error` in the
# user's configuration turns them into errors inside our hooks.
COVERAGE_WARNINGS = [
    "already-imported",
    "couldnt-parse",
    "dynamic-conflict",
    "include-ignored",
    "module-not-imported",
    "module-not-measured",
    "module-not-python",
    "no-ctracer",
    "no-data-collected",
    "no-source",
    "no-sysmon",
    "no-sysmon-context",
    "trace-changed",
]
MESSAGE_LIMIT = 2000  # characters of a failure message kept
FRAME_LIMIT = 20  # traceback frames kept per test, innermost first (deep recursion repeats)


class TestLines:
    """The lines each test runs. Fast way: between tests, the sets coverage's tracers add line
    numbers to (`Coverage._collector.data`, file name -> set, shared by every thread's tracer)
    are emptied in place (a tracer keeps the set of the file it is in, so no key is dropped),
    and at a test's end what they hold is its lines. Fallback, for a coverage whose collector
    is not as expected: a dynamic context per test, its lines queried from the coverage data."""

    def __init__(self, cov, root):
        self.cov = cov
        self.root = root
        self.relative = {}  # file name as measured -> POSIX path relative to the root
        collector = getattr(cov, "_collector", None)
        data = getattr(collector, "data", None)
        self.live = data if isinstance(data, dict) and not getattr(collector, "branch", 0) else None

    def begin(self, nodeid):
        if self.live is None:
            self.cov.switch_context(nodeid)
            return
        for executed in self.live.copy().values():
            executed.clear()  # run between tests: no test's

    def end(self, nodeid):
        if self.live is None:
            self.cov.switch_context("")
            return self._queried(nodeid)
        lines = {}
        for filename, executed in self.live.copy().items():
            if executed:
                numbers = executed.copy()
                executed.clear()
                lines[self._path(filename)] = sorted(numbers)
        return lines

    def _path(self, filename):
        path = self.relative.get(filename)
        if path is None:
            path = os.path.relpath(os.path.realpath(filename), self.root).replace(os.sep, "/")
            self.relative[filename] = path
        return path

    def _queried(self, context):
        data = self.cov.get_data()
        data.set_query_context(context)
        lines = {}
        for filename in data.measured_files():
            executed = data.lines(filename)
            if executed:
                lines[self._path(filename)] = sorted(executed)
        return lines


class Recorder:
    """The in-process pytest plugin: contexts, outcomes and covered lines per test."""

    def __init__(self, lines, config, out):
        self.lines = lines  # TestLines
        self.out = out
        self.root = os.path.realpath(config["root"])
        self.sources = {os.path.realpath(path) for path in config["include"]}
        self.frames = []  # the current test's failure frames in the sources, crash site first
        self.select = set(config["select"]) if config["select"] is not None else None
        self.skip = set(config["skip"])
        self.shard = config.get("shard")  # [index, count]: every count-th test from the index-th
        self.per_test_timeout = config["per_test_timeout"]
        self.timeout_after_timeout = config.get("timeout_after_timeout")
        self.slowest_pass = config.get("slowest_pass", 0.0)  # seconds, of the tests run so far
        self.slow_factor = config.get("slow_factor", 20.0)
        self.collection_errors = []
        self.current = None  # nodeid of the running test
        self.reports = []
        self.timer = child.TestTimer(repeat=None)  # fires once per test

    def emit(self, **event):
        self.out.write(json.dumps(event) + "\n")
        self.out.flush()

    def source_frames(self, traceback):
        """`[path, line, function]` of the traceback's frames in the measured source files,
        innermost (the crash site) first; a line repeated by recursion is kept once."""
        frames = []
        while traceback is not None:
            code = traceback.tb_frame.f_code
            path = os.path.realpath(code.co_filename)
            if path in self.sources:
                relative = os.path.relpath(path, self.root).replace(os.sep, "/")
                frames.append([relative, traceback.tb_lineno, code.co_name])
            traceback = traceback.tb_next
        kept, seen = [], set()
        for frame in reversed(frames):
            if (frame[0], frame[1]) not in seen:
                seen.add((frame[0], frame[1]))
                kept.append(frame)
        return kept[:FRAME_LIMIT]

    def stuck_at(self):
        """Where a timed-out test was: `path:function:line` of the innermost frame of the
        project's code when the alarm came (the parent compares loops by it), else ""."""
        frame = self.timer.frame
        while frame is not None:
            path = os.path.realpath(frame.f_code.co_filename)
            if path.startswith(self.root + os.sep):
                relative = os.path.relpath(path, self.root).replace(os.sep, "/")
                return f"{relative}:{frame.f_code.co_name}:{frame.f_code.co_firstlineno}"
            frame = frame.f_back
        return ""

    # -- collection --------------------------------------------------------------------------

    def pytest_collectreport(self, report):
        if report.failed:
            message = report.longreprtext[-MESSAGE_LIMIT:]
            self.collection_errors.append({"nodeid": report.nodeid, "message": message})

    def pytest_collection_modifyitems(self, session, config, items):
        mine = items
        if self.shard is not None:  # every count-th test from the index-th: long tests spread
            index, count = self.shard
            mine = items[index::count]
        keep = [
            item
            for item in mine
            if item.nodeid not in self.skip and (self.select is None or item.nodeid in self.select)
        ]
        if len(keep) < len(items):
            kept = {id(item) for item in keep}
            config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept])
            items[:] = keep

    def pytest_collection_finish(self, session):
        nodeids = [item.nodeid for item in session.items]
        self.emit(event="collected", nodeids=nodeids, errors=self.collection_errors)

    # -- one test ----------------------------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.current, self.reports, self.frames = item.nodeid, [], []
        self.emit(event="start", nodeid=item.nodeid)
        self.lines.begin(item.nodeid)
        limit = self.per_test_timeout
        self.timer.message = f"test exceeded the per-test timeout of {limit} s"
        self.timer.start(limit)
        try:
            yield
        finally:
            self.timer.stop()
            self.current = None
            lines = self.lines.end(item.nodeid)
        stuck = self.stuck_at() if self.timer.fired else ""
        self.timer.frame = None
        outcome, message = self.outcome()
        self.emit(
            event="result",
            nodeid=item.nodeid,
            outcome=outcome,
            duration=sum(report.duration for report in self.reports),
            message=message,
            lines=lines,
            limit=limit,
            stuck=stuck,
            frames=self.frames if outcome in ("failed", "error", "timeout") else [],
        )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        yield
        # The first failing phase's traceback (setup's, else the call's): where it raised. Read
        # after the other hooks: pytest's unittest support sets a TestCase's `call.excinfo` there.
        if call.excinfo is not None and not self.frames and item.nodeid == self.current:
            self.frames = self.source_frames(call.excinfo.tb)

    def pytest_runtest_logreport(self, report):
        if report.nodeid == self.current:
            self.reports.append(report)

    def outcome(self):
        """One outcome per test: an error in setup or teardown is "error", not "failed"."""
        outcome, deciding = child.test_outcome(self.reports)  # setup, call, teardown
        message = child.report_message(deciding, MESSAGE_LIMIT) if deciding is not None else ""
        if self.timer.fired:
            outcome = "timeout"
            message = f"timed out after {self.per_test_timeout} s"
            if self.timeout_after_timeout is not None:  # a loop: later tests get less time
                self.per_test_timeout = min(
                    self.per_test_timeout,
                    max(self.timeout_after_timeout, self.slow_factor * self.slowest_pass),
                )
        elif outcome == "passed":
            self.slowest_pass = max(
                self.slowest_pass, sum(report.duration for report in self.reports)
            )
        return outcome, message


def main(config_path):
    with open(config_path, encoding="utf-8") as file:
        config = json.load(file)
    if not child.die_with_parent(config.get("parent")):
        os._exit(0)  # the run that started us is gone already
    if config.get("parent"):  # our session goes with us, or with the run, whatever kills either
        child.guard_session((config["parent"],))
    try:
        run(config)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        # Skip interpreter shutdown, whatever happened: a test's leftover non-daemon thread must
        # not keep us alive.
        os._exit(0)


def run(config):
    # As `python -m pytest` does: the project root is importable, so flat layouts work.
    sys.path.insert(0, os.getcwd())
    cov = coverage.Coverage(data_file=None, config_file=False, include=config["include"])
    cov.set_option("run:disable_warnings", COVERAGE_WARNINGS)
    with open(config["results"], "a", encoding="utf-8") as out:
        cov.start()
        lines = TestLines(cov, os.path.realpath(config["root"]))
        if not config.get("fast_lines", True):
            lines.live = None  # the fallback's way (tests compare the two)
        recorder = Recorder(lines, config, out)
        recorder.timer.install()
        started = time.monotonic()
        try:
            code = pytest.main(config["args"], plugins=[recorder])
        except Exception:  # noqa: BLE001 - raised after the tests, their results stand
            # e.g. pytest_unconfigure turning an unraisable exception (a file a test left open,
            # closed by the last garbage collection) into an error under `filterwarnings = error`
            code = pytest.ExitCode.INTERNAL_ERROR
        cov.stop()
        recorder.emit(event="exit", code=int(code), wall_time=time.monotonic() - started)


if __name__ == "__main__":
    main(sys.argv[1])
