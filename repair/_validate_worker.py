"""Warm validation worker of `repair.validate`: one interpreter, one private project copy, a fork
per candidate.

Run as a script, `python -I -B _validate_worker.py CONFIG.json`, with the project copy as its
working directory. Like `_pytest_runner.py` it imports nothing from `repair`, so a user's module
of the same name cannot shadow it. Requests and answers are JSON objects, one per line, on stdin
and on the file descriptor that was stdout at startup (pytest's output goes to /dev/null).

Startup does the expensive part of pytest once: it collects the suite once (loading pytest's
plugins and the third-party modules the tests import, and rewriting the test files' asserts,
memoised by file content), drops the user's own modules from `sys.modules`, then builds the
pytest configuration and session (ini files, plugins, conftest files) and stops right before
collection. Per candidate it forks; the child writes the candidate's files into the copy, caps its
memory and CPU, and collects and runs the tests with the `Verdict` plugin, which runs the `first`
tests before the rest and stops as soon as the answer is known. The worker puts the copy's files
back after the child has gone, whatever became of it (timeout, crash, `os._exit`).

When a conftest imports the user's modules while pytest is configured, a prepared session would
hold the old code, so the worker falls back to a full `pytest.main` per candidate (slower, same
answers).

Bytecode: -B, `sys.dont_write_bytecode` and a copy without `__pycache__` mean every import
compiles the file as it is now; a stale `.pyc` of an earlier candidate can never be loaded.
"""

import gc
import json
import os
import re
import resource
import select
import signal
import sys
import time

import pytest

MESSAGE_LIMIT = 500  # characters of a failure message kept
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")  # object addresses differ from run to run
FAILING = ("failed", "error", "timeout")


class TestTimeout(BaseException):
    """Raised inside a test by SIGALRM; a BaseException, so `except Exception:` cannot eat it."""

    __test__ = False


class Verdict:
    """The pytest plugin: orders the tests, times each, reports it, and stops once the answer is
    known: when more than `max_failures` tests failed, or, with a `baseline`, right after the
    `first` tests when every one of them failed with exactly its baseline message (the candidate
    changed nothing those tests can see)."""

    def __init__(self):
        self.out = None
        self.request = None
        self.current = None
        self.reports = []
        self.excinfo = None
        self.timer_fired = False
        self.failures = 0
        self.first_left = 0
        self.first_unchanged = True

    def start(self, request, out):
        self.request, self.out = request, out

    def emit(self, **event):
        if self.out is not None:
            self.out.write(json.dumps(event) + "\n")
            self.out.flush()

    def on_alarm(self, signum, frame):
        if self.current is not None:
            self.timer_fired = True
            signal.setitimer(signal.ITIMER_REAL, 0.05)  # again, should a bare except eat it
            raise TestTimeout("timed out")

    def pytest_collectreport(self, report):
        if report.failed and self.request is not None:
            self.emit(event="collection_error", nodeid=report.nodeid, message=_text(report))

    def pytest_collection_modifyitems(self, session, config, items):
        if self.request is None:
            return
        by_id = {item.nodeid: item for item in items}
        first = [by_id[nodeid] for nodeid in self.request["first"] if nodeid in by_id]
        chosen = {id(item) for item in first}
        rest = [item for item in items if id(item) not in chosen]
        if not self.request["rest"]:
            if rest:
                config.hook.pytest_deselected(items=rest)
            rest = []
        items[:] = first + rest
        self.first_left = len(first)
        self.emit(event="collected", count=len(items))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        if call.excinfo is not None and self.excinfo is None and item.nodeid == self.current:
            self.excinfo = call.excinfo
        yield

    def pytest_runtest_logreport(self, report):
        if report.nodeid == self.current:
            self.reports.append(report)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if self.request is None:
            yield
            return
        self.current, self.reports, self.excinfo, self.timer_fired = item.nodeid, [], None, False
        signal.setitimer(signal.ITIMER_REAL, self.request["per_test_timeout"])
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.current = None
        outcome, message = self.outcome()
        self.emit(event="result", nodeid=item.nodeid, outcome=outcome, message=message)
        self.decide(item, outcome, message)

    def outcome(self):
        outcome = "passed"
        for report in self.reports:  # setup, call, teardown
            if report.failed and outcome not in ("failed", "error"):
                outcome = "failed" if report.when == "call" else "error"
            elif report.skipped and outcome == "passed":
                outcome = "skipped"
        if self.timer_fired:
            return "timeout", "timed out"
        if outcome in FAILING and self.excinfo is not None:
            text = self.excinfo.exconly(tryshort=True)
            return outcome, _ADDRESS.sub("0x?", text)[:MESSAGE_LIMIT]
        return outcome, ""

    def decide(self, item, outcome, message):
        request = self.request
        if outcome in FAILING:
            self.failures += 1
        baseline = request["baseline"]
        if self.first_left > 0:
            self.first_left -= 1
            if baseline is None or outcome not in FAILING or baseline.get(item.nodeid) != message:
                self.first_unchanged = False
            if self.first_left == 0 and baseline is not None and self.first_unchanged:
                item.session.shouldstop = "unchanged"
        limit = request["max_failures"]
        if limit is not None and self.failures > limit:
            item.session.shouldstop = "too many failures"


def _text(report):
    text = str(getattr(report, "longreprtext", "") or "").strip()
    lines = [line for line in text.splitlines() if line.startswith("E ")] or text.splitlines()
    return _ADDRESS.sub("0x?", lines[-1] if lines else "")[:MESSAGE_LIMIT]


def memoise_assertion_rewriting():
    """Test files never change between candidates: rewrite each once, keyed by its content."""
    try:
        from _pytest.assertion import rewrite
    except ImportError:
        return
    original = getattr(rewrite, "_rewrite_test", None)
    if original is None:
        return
    cache = {}

    def rewrite_once(fn, config):
        key = (str(fn), fn.read_bytes())
        if key not in cache:
            cache[key] = original(fn, config)
        return cache[key]

    rewrite._rewrite_test = rewrite_once


class Prepared:
    """pytest configured and a session started, up to (not including) collection."""

    def __init__(self, args, verdict):
        from _pytest.config import _prepareconfig
        from _pytest.main import Session

        os.environ["PYTEST_VERSION"] = pytest.__version__
        self.config = _prepareconfig(list(args), [verdict])
        self.session = Session.from_config(self.config)
        self.session.exitstatus = 0
        self.config._do_configure()
        self.config.hook.pytest_sessionstart(session=self.session)

    def run(self):
        from _pytest.main import _main

        try:
            _main(self.config, self.session)
        except (self.session.Interrupted, self.session.Failed):
            pass  # stopped on purpose, or by a collection error already reported


def user_modules(root, keep_conftest):
    names = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if path and os.path.realpath(path).startswith(root + os.sep):
            if keep_conftest and os.path.basename(path) == "conftest.py":
                continue
            names.append(name)
    return names


def imported_sources(root, sources):
    """Modules of the code under repair that are loaded now (`sources`: paths relative to the
    root; None: anything under the root but conftest files counts)."""
    if sources is None:
        return user_modules(root, keep_conftest=True)
    wanted = {os.path.join(root, path) for path in sources}
    return [
        name
        for name, module in list(sys.modules.items())
        if os.path.realpath(getattr(module, "__file__", None) or "") in wanted
    ]


def warm_up(args):
    """Collect once: pytest's lazy imports, the tests' third-party imports, rewritten asserts."""
    try:
        pytest.main([*args, "--collect-only"])
    except BaseException:  # noqa: BLE001 - a broken suite shows up in the first real run
        pass
    root = os.path.realpath(os.getcwd())
    for name in user_modules(root, keep_conftest=False):
        del sys.modules[name]


def run_child(config, request, write_fd, verdict, prepared):
    """In the forked child: write the files, limit resources, run pytest. Never returns."""
    os.setpgid(0, 0)  # its own group: a kill reaches whatever it starts
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the tool's to handle
    out = os.fdopen(write_fd, "w", encoding="utf-8")
    try:
        for relative, text in request["files"].items():
            with open(relative, "w", encoding="utf-8", newline="") as file:
                file.write(text)
        _quiet()
        _limit_memory(config["memory_limit"])
        cpu_seconds = int(request["timeout"]) + 2  # a backstop should the worker be gone
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        verdict.start(request, out)
        signal.signal(signal.SIGALRM, verdict.on_alarm)
        if prepared is not None:
            prepared.run()
        else:
            pytest.main(config["args"], plugins=[verdict])
        verdict.emit(event="done")
    except BaseException as error:  # noqa: BLE001 - report anything, then leave
        try:
            verdict.emit(event="died", message=repr(error)[:MESSAGE_LIMIT])
        except BaseException:  # noqa: BLE001
            pass
    os._exit(0)


def validate(config, request, originals, verdict, prepared):
    """Fork a child for one candidate; collect its events until it exits or its deadline."""
    for relative in request["files"]:
        if relative not in originals:
            with open(relative, "rb") as file:
                originals[relative] = file.read()
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        run_child(config, request, write_fd, verdict, prepared)
    os.close(write_fd)
    deadline = started + request["timeout"]
    events, buffer, status = [], b"", "finished"
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                status = "timeout"
                break
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            events += [json.loads(line) for line in lines if line]
    finally:
        os.close(read_fd)
        try:
            os.killpg(pid, signal.SIGKILL)  # also whatever the tests left running
        except (ProcessLookupError, PermissionError):
            pass
        _, wait_status = os.waitpid(pid, 0)
        for relative in request["files"]:
            with open(relative, "wb") as file:
                file.write(originals[relative])
    if status == "finished" and not any(event["event"] == "done" for event in events):
        status = "crashed"
        if os.WIFSIGNALED(wait_status):
            status = f"crashed (signal {os.WTERMSIG(wait_status)})"
    return {"events": events, "status": status, "seconds": time.monotonic() - started}


def _die_with_parent():
    """Linux: SIGKILL this child when its worker dies, so no candidate outlives the tool."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _limit_memory(extra_bytes):
    """Cap the address space at what the process holds now plus `extra_bytes` (0: no cap)."""
    if not extra_bytes:
        return
    try:
        with open("/proc/self/statm", encoding="ascii") as file:
            current = int(file.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return  # not Linux: the per-candidate timeout still bounds a runaway
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = current + extra_bytes
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _quiet():
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def main(config_path):
    with open(config_path, encoding="utf-8") as file:
        config = json.load(file)
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.getcwd())  # as `python -m pytest` does: flat layouts import
    # Our own copies of the protocol's pipes: pytest's capturing takes over fds 0-2 and sys.std*.
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # pytest's terminal output, now and in every child
    os.close(devnull)
    memoise_assertion_rewriting()
    warm_up(config["args"])
    verdict = Verdict()
    prepared = None
    try:
        prepared = Prepared(config["args"], verdict)
        root = os.path.realpath(os.getcwd())
        if imported_sources(root, config.get("sources")):  # a conftest imported the user's code
            prepared = None
            for name in user_modules(root, keep_conftest=False):
                del sys.modules[name]
    except BaseException:  # noqa: BLE001 - another pytest version, a broken conftest
        prepared = None
    gc.collect()
    gc.freeze()  # the children's collections skip everything loaded so far
    mode = "session" if prepared is not None else "main"
    protocol_out.write(json.dumps({"ready": True, "mode": mode}) + "\n")
    protocol_out.flush()
    originals = {}
    for line in protocol_in:
        if not line.strip():
            continue
        request = json.loads(line)
        answer = validate(config, request, originals, verdict, prepared)
        answer["id"] = request["id"]
        protocol_out.write(json.dumps(answer) + "\n")
        protocol_out.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1])
