"""Child process of `repair.testrun`: run pytest once under coverage, one context per test.

Run as a script, `python -I -B _pytest_runner.py CONFIG.json`, in the project copy. It imports
nothing from `repair`, so a user's module of the same name cannot shadow it. Every event is one
JSON line appended and flushed to the results file, so what happened before a crash or a kill
survives it:

    {"event": "collected", "nodeids": [...], "errors": [{"nodeid": ..., "message": ...}]}
    {"event": "start", "nodeid": ...}
    {"event": "result", "nodeid": ..., "outcome": ..., "duration": ..., "message": ...,
     "lines": {path: [line, ...]}}
    {"event": "exit", "code": pytest's exit code}

Paths are POSIX paths relative to the project copy's root. Lines run while importing (module
level, `def` lines) run in no test's context and are not reported.
"""

import json
import os
import signal
import sys
import time

import coverage
import pytest

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


class TestTimeout(BaseException):
    """Raised inside a test by SIGALRM. A BaseException, so `except Exception:` cannot eat it."""

    __test__ = False


class Recorder:
    """The in-process pytest plugin: contexts, outcomes and covered lines per test."""

    def __init__(self, cov, config, out):
        self.cov = cov
        self.out = out
        self.root = os.path.realpath(config["root"])
        self.select = set(config["select"]) if config["select"] is not None else None
        self.skip = set(config["skip"])
        self.per_test_timeout = config["per_test_timeout"]
        self.timeout_after_timeout = config.get("timeout_after_timeout")
        self.slowest_pass = config.get("slowest_pass", 0.0)  # seconds, of the tests run so far
        self.slow_factor = config.get("slow_factor", 20.0)
        self.collection_errors = []
        self.current = None  # nodeid of the running test
        self.reports = []
        self.timer_fired = False

    def emit(self, **event):
        self.out.write(json.dumps(event) + "\n")
        self.out.flush()

    def lines_in_context(self, context):
        data = self.cov.get_data()
        data.set_query_context(context)
        lines = {}
        for filename in data.measured_files():
            executed = data.lines(filename)
            if executed:
                path = os.path.relpath(os.path.realpath(filename), self.root)
                lines[path.replace(os.sep, "/")] = sorted(executed)
        return lines

    def on_alarm(self, signum, frame):
        if self.current is not None and not self.timer_fired:
            self.timer_fired = True
            raise TestTimeout(f"test exceeded the per-test timeout of {self.per_test_timeout} s")

    # -- collection --------------------------------------------------------------------------

    def pytest_collectreport(self, report):
        if report.failed:
            message = report.longreprtext[-MESSAGE_LIMIT:]
            self.collection_errors.append({"nodeid": report.nodeid, "message": message})

    def pytest_collection_modifyitems(self, session, config, items):
        keep = [
            item
            for item in items
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
        self.current, self.reports, self.timer_fired = item.nodeid, [], False
        self.emit(event="start", nodeid=item.nodeid)
        self.cov.switch_context(item.nodeid)
        signal.setitimer(signal.ITIMER_REAL, self.per_test_timeout)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.current = None
            self.cov.switch_context("")
        outcome, message = self.outcome()
        self.emit(
            event="result",
            nodeid=item.nodeid,
            outcome=outcome,
            duration=sum(report.duration for report in self.reports),
            message=message,
            lines=self.lines_in_context(item.nodeid),
        )

    def pytest_runtest_logreport(self, report):
        if report.nodeid == self.current:
            self.reports.append(report)

    def outcome(self):
        """One outcome per test: an error in setup or teardown is "error", not "failed"."""
        outcome, message = "passed", ""
        for report in self.reports:  # setup, call, teardown
            if report.failed and outcome not in ("failed", "error"):
                outcome = "failed" if report.when == "call" else "error"
                message = short_message(report)
            elif report.skipped and outcome == "passed":
                outcome, message = "skipped", short_message(report)
        if self.timer_fired:
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


def short_message(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message[:MESSAGE_LIMIT]
    if isinstance(report.longrepr, tuple):  # skips: (path, line, reason)
        return str(report.longrepr[-1])[:MESSAGE_LIMIT]
    text = report.longreprtext.strip()
    return text.splitlines()[-1][:MESSAGE_LIMIT] if text else ""


def main(config_path):
    with open(config_path, encoding="utf-8") as file:
        config = json.load(file)
    # As `python -m pytest` does: the project root is importable, so flat layouts work.
    sys.path.insert(0, os.getcwd())
    cov = coverage.Coverage(data_file=None, config_file=False, include=config["include"])
    cov.set_option("run:disable_warnings", COVERAGE_WARNINGS)
    with open(config["results"], "a", encoding="utf-8") as out:
        recorder = Recorder(cov, config, out)
        signal.signal(signal.SIGALRM, recorder.on_alarm)
        cov.start()
        started = time.monotonic()
        code = pytest.main(config["args"], plugins=[recorder])
        cov.stop()
        recorder.emit(event="exit", code=int(code), wall_time=time.monotonic() - started)
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter shutdown: a test's leftover non-daemon thread must not keep us alive.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1])
