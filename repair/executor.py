"""Fast test execution: per-test outcomes and the source lines each test ran, in milliseconds.

Training runs a program's tests at every trajectory step and the repair loop validates candidate
edits, so a test run must cost a fork, not a fresh interpreter or a pytest session. A job is
`(source, tests)`: the module's source and small blocks of statements run in its namespace.

How a job runs. The calling process (or a warm worker) forks a child per job, so mutated code can
not damage the process that outlives it. The child compiles the source as "<program>", executes
it in a fresh module with a line tracer that only records frames of "<program>" (Tarantula needs
the lines each test ran), then runs every test in a shallow copy of the module namespace. Per-test
timeouts come from SIGALRM (infinite loops are common in mutated code); `sys.exit`/`os._exit` in
tested code raise instead of exiting; private memory and CPU time are capped; stdout/stderr go to
/dev/null (the timer, the caps and the quiet streams are `_child.py`'s, shared with the pytest
workers).
Results come back through a pipe, batched (each message wakes the parent); when a child dies or
hangs past the backstop deadline the parent kills it and runs the unreported tests again in a
child that reports each test as it ends, to find and mark the test that did it and go on past it.

Workers are fresh interpreters that load this file alone (stdlib only), not multiprocessing
"fork" children: forking a process that has torch loaded costs ~12 ms here against ~1.3 ms for a
lean one, and a worker forked from the trainer would pay that on every job. Unix only.

Tracing is `sys.settrace` (3.10+). Python 3.12's `sys.monitoring` could make it nearly free
(DISABLE each line after its first event); not used yet, as no 3.12 was at hand to test it.
"""

from __future__ import annotations

# Workers load this whole file, and every MB a worker maps makes each fork slower (~1 ms per
# 8 MB measured here), so what only the parent needs (hashlib ~4 MB, subprocess, socket) is
# imported where it is used.
import builtins
import dis
import gc
import os
import pickle
import random
import select
import signal
import struct
import sys
import time
import types
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

if __package__:  # imported as `repair.executor`
    from repair import _child as child
else:  # a worker loads this file by path, without the `repair` package (see _BOOTSTRAP)
    import importlib.util

    _spec = importlib.util.spec_from_file_location(
        "_repair_child", os.path.join(os.path.dirname(os.path.abspath(__file__)), "_child.py")
    )
    child = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = child
    _spec.loader.exec_module(child)

PROGRAM_FILENAME = "<program>"  # the tracer records only frames compiled from this name
TEST_FILENAME = "<test>"
MODULE_NAME = "__program__"  # not "__main__", so `if __name__ == "__main__":` blocks stay quiet
MEMORY_LIMIT_BYTES = child.MEMORY_LIMIT_BYTES  # private memory a child may add to what it inherits
BACKSTOP_GRACE_S = 0.5  # a child silent for timeout + this is killed (SIGALRM swallowed/blocked)
TIMER_REPEAT_S = child.TIMER_REPEAT_S  # SIGALRM re-fires: a bare `except:` can't swallow it once
FLUSH_INTERVAL_S = 0.02  # a child batches results this long: each message wakes the parent
PASSED, FAILED, ERROR, TIMEOUT = "passed", "failed", "error", "timeout"
MESSAGE_LIMIT = 300  # characters of a module error kept

_EMPTY: frozenset[int] = frozenset()
_HEADER = struct.Struct("<Q")  # length prefix of every pickled message between processes
_real_exit = os._exit  # tested code gets a raising stand-in; the child itself needs the real one
_TIMER = child.TestTimer(repeat=TIMER_REPEAT_S)  # in the child: armed while a test runs
_unreaped: list[int] = []  # finished children; reaped at the next job, off the critical path
_worker_fd: int | None = None  # in a worker: its socket to the parent, which children close


@dataclass(frozen=True)
class TestOutcome:
    passed: bool
    status: str  # "passed" | "failed" (AssertionError) | "error" (anything else) | "timeout"
    lines: frozenset[int]  # source lines this test executed; empty if it died mid-way

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class ExecutionResult:
    outcomes: tuple[TestOutcome, ...]  # one per test, in order
    module_error: str | None  # the module itself failed (syntax, NameError at import, timeout)
    module_lines: frozenset[int]  # lines run at import; with a module_error every test is "error"

    @property
    def all_passed(self) -> bool:
        return self.module_error is None and all(outcome.passed for outcome in self.outcomes)

    @property
    def failed_count(self) -> int:
        return sum(not outcome.passed for outcome in self.outcomes)


# A raw result crosses process boundaries as plain data: workers load this file under another
# module name, so our dataclasses would not unpickle in the parent.
#   (module_error, module_lines, ((status, lines), ...))
RawResult = tuple[str | None, frozenset[int], tuple[tuple[str, frozenset[int]], ...]]


def execute(source: str, tests: Sequence[str], *, timeout: float = 1.0) -> ExecutionResult:
    """Run one job by forking the calling process. For repeated runs use `Executor`: it caches
    results and forks from lean workers (forking a process with torch loaded costs ~10 ms)."""
    return _to_result(_run_job(source, tuple(tests), timeout))


def run_all(
    jobs: Sequence[tuple[str, Sequence[str]] | object],
    executor: Executor | None = None,
    *,
    workers: int = 2,
    timeout: float = 1.0,
) -> list[ExecutionResult]:
    """Run `jobs` on `executor`, or on a pool made (and closed) for this call."""
    if executor is not None:
        return executor.run_many(jobs)
    with Executor(workers=workers, timeout=timeout) as own:
        return own.run_many(jobs)


def cache_key(source: str, tests: Sequence[str]) -> bytes:
    import hashlib

    text = repr((source, tuple(tests)))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class Executor:
    """A pool of warm worker processes with a result cache keyed by (source, tests).

    Args:
        workers: worker processes (0 runs jobs by forking the calling process).
        cache_size: results kept (LRU); a repeated trajectory state costs a dict lookup.
        timeout: seconds per test (and for executing the module).
    """

    def __init__(self, workers: int = 1, cache_size: int = 100_000, timeout: float = 1.0):
        if not hasattr(os, "fork"):
            raise RuntimeError("repair.executor needs os.fork (Linux or macOS)")
        self.workers = workers
        self.timeout = timeout
        self.cache_size = cache_size
        self.hits = 0
        self.misses = 0
        self._cache: OrderedDict[bytes, ExecutionResult] = OrderedDict()
        import weakref

        self._workers: list[_Worker] = [_Worker.start() for _ in range(workers)]
        self._finalizer = weakref.finalize(self, _stop_workers, self._workers)

    def run(self, source: str, tests: Sequence[str]) -> ExecutionResult:
        return self.run_many([(source, tests)])[0]

    def run_many(self, jobs: Iterable[tuple[str, Sequence[str]] | object]) -> list[ExecutionResult]:
        """Run jobs (pairs, or objects with .source and .tests); results come back in order."""
        pairs = [_as_pair(job) for job in jobs]
        results: list[ExecutionResult | None] = [None] * len(pairs)
        todo: OrderedDict[bytes, list[int]] = OrderedDict()  # equal jobs in a batch run once
        for index, (source, tests) in enumerate(pairs):
            key = cache_key(source, tests)
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                results[index] = cached
            else:
                todo.setdefault(key, []).append(index)
        self.misses += len(todo)
        for key, raw in self._run_uncached([(key, *pairs[ids[0]]) for key, ids in todo.items()]):
            result = _to_result(raw)
            for index in todo[key]:
                results[index] = result
            self._remember(key, result)
        return results  # type: ignore[return-value]

    def cache_info(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "size": len(self._cache)}

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _remember(self, key: bytes, result: ExecutionResult) -> None:
        if self.cache_size <= 0 or result.module_error == _WORKER_DIED:
            return
        self._cache[key] = result
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _run_uncached(self, jobs: list[tuple[bytes, str, tuple[str, ...]]]):
        if self.workers and not self._workers:
            raise RuntimeError("the executor is closed")
        if not self._workers:
            for key, source, tests in jobs:
                yield key, _run_job(source, tests, self.timeout)
            return
        pending = list(reversed(jobs))
        attempts: dict[bytes, int] = {}
        busy: dict[int, tuple[_Worker, tuple[bytes, str, tuple[str, ...]]]] = {}  # by fd
        idle = list(self._workers)
        try:
            yield from self._dispatch(pending, idle, busy, attempts)
        finally:
            # Interrupted (Ctrl-C, an exception in the caller): a busy worker's late answer would
            # be read as the answer to the next job it gets, so replace it.
            for worker, _ in busy.values():
                self._workers[self._workers.index(worker)] = _Worker.start()
                worker.kill()

    def _dispatch(self, pending, idle, busy, attempts):
        while pending or busy:
            while idle and pending:
                worker, job = idle.pop(), pending.pop()
                try:
                    _write_message(worker.fd, (job[1], job[2], self.timeout))
                except OSError:  # died while idle; the read below notices and restarts it
                    pass
                busy[worker.fd] = (worker, job)
            poller = select.poll()
            for fd in busy:
                poller.register(fd, select.POLLIN)
            for fd, _ in poller.poll():
                worker, job = busy.pop(fd)
                try:
                    raw = _read_message(fd)
                except (EOFError, OSError):
                    # A worker only dies from outside (OOM killer, a signal): replace it, retry once.
                    fresh = _Worker.start()
                    self._workers[self._workers.index(worker)] = fresh
                    worker.kill()
                    idle.append(fresh)
                    attempts[job[0]] = attempts.get(job[0], 0) + 1
                    if attempts[job[0]] < 2:
                        pending.append(job)
                    else:
                        yield job[0], (_WORKER_DIED, _EMPTY, tuple((ERROR, _EMPTY) for _ in job[2]))
                    continue
                idle.append(worker)
                yield job[0], raw


_WORKER_DIED = "executor worker died"

# Loads this file by path, not `import repair.executor`: a worker must not import the `repair`
# package (and through it torch), or forking it per job gets slow again.
_BOOTSTRAP = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('_repair_executor_worker', sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "sys.modules[spec.name] = module\n"
    "spec.loader.exec_module(module)\n"
    "module._worker_main(int(sys.argv[2]))\n"
)
# Imported once per worker so children don't pay for them: what HumanEval's programs import
# (typing in 21 of them, ~6 ms each time otherwise), and little else, to keep workers small.
_PRELOADED_MODULES = (
    "bisect collections copy functools heapq itertools math operator re string typing"
).split()


class _Worker:
    def __init__(self, process, sock):
        self.process = process  # subprocess.Popen
        self.sock = sock  # our end of a socketpair; messages via _write_message/_read_message
        self.fd = sock.fileno()

    @classmethod
    def start(cls) -> _Worker:
        import socket
        import subprocess

        ours, theirs = socket.socketpair()
        # A fixed hash seed keeps set/dict-of-str iteration order, hence outcomes, reproducible.
        env = child.child_environment(PYTHONHASHSEED="0")
        process = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, os.path.abspath(__file__), str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        theirs.close()
        _write_message(ours.fileno(), list(sys.path))  # tested code imports what we could
        return cls(process, ours)

    def kill(self) -> None:
        self.sock.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def _stop_workers(workers: list[_Worker]) -> None:
    import subprocess

    for worker in workers:
        try:
            _write_message(worker.fd, None)
        except OSError:
            pass
        worker.sock.close()
    for worker in workers:
        try:
            worker.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
    workers.clear()


def _worker_main(fd: int) -> None:
    global _worker_fd
    _worker_fd = fd
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _TIMER.install()  # once here, not in every child
    try:
        sys.path[:] = _read_message(fd)
    except (EOFError, OSError):
        return
    for name in _PRELOADED_MODULES:
        try:
            __import__(name)
        except ImportError:
            pass
    gc.freeze()  # keep preloaded objects out of collections, so children don't copy their pages
    while True:
        try:
            job = _read_message(fd)
        except (EOFError, OSError):
            return
        if job is None:
            return
        source, tests, timeout = job
        try:
            raw = _run_job(source, tests, timeout)
        except Exception as error:  # a bug here must not hang the parent
            raw = (f"executor failure: {error!r}", _EMPTY, tuple((ERROR, _EMPTY) for _ in tests))
        try:
            _write_message(fd, raw)
        except OSError:
            return


def _frame(message: object) -> bytes:
    payload = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(payload)) + payload


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_message(fd: int, message: object) -> None:
    _write_all(fd, _frame(message))


def _read_message(fd: int):
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    return pickle.loads(_read_exact(fd, size))


def _read_exact(fd: int, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _as_pair(job: tuple[str, Sequence[str]] | object) -> tuple[str, tuple[str, ...]]:
    if isinstance(job, tuple):
        source, tests = job
    else:
        source, tests = job.source, job.tests  # type: ignore[attr-defined]
    return source, tuple(tests)


def _to_result(raw: RawResult) -> ExecutionResult:
    module_error, module_lines, outcomes = raw
    return ExecutionResult(
        outcomes=tuple(TestOutcome(status == PASSED, status, lines) for status, lines in outcomes),
        module_error=module_error,
        module_lines=module_lines,
    )


# --- the parent side of one job: fork, read the stream, restart after a crash or a hang ---------


@lru_cache(maxsize=256)
def _compile_source(source: str) -> tuple[types.CodeType | None, str | None]:
    try:
        with warnings.catch_warnings():  # a corrupted program's `x is 1` is no news to anyone
            warnings.simplefilter("ignore", SyntaxWarning)
            return compile(source, PROGRAM_FILENAME, "exec", dont_inherit=True), None
    except (SyntaxError, ValueError) as error:
        return None, child.describe_exception(error, MESSAGE_LIMIT)


@lru_cache(maxsize=8192)  # tests repeat across every state of a trajectory
def _compile_test(test: str) -> types.CodeType | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            return compile(test, TEST_FILENAME, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None


@lru_cache(maxsize=1)
def _devnull_streams():
    """Opened once per process, inherited by every child: opening them in a child costs ~0.5 ms."""
    return open(os.devnull), open(os.devnull, "w")


def _reap_finished() -> None:
    for pid in list(_unreaped):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped by someone else's wait()
            done = pid
        if done:
            _unreaped.remove(pid)


def _run_job(source: str, tests: tuple[str, ...], timeout: float) -> RawResult:
    _reap_finished()
    count = len(tests)
    module_code, compile_error = _compile_source(source)
    if module_code is None:
        return compile_error, _EMPTY, tuple((ERROR, _EMPTY) for _ in tests)
    test_codes = [_compile_test(test) for test in tests]
    streams = _devnull_streams()
    memory_limit = child.memory_cap(MEMORY_LIMIT_BYTES)  # None without /proc (macOS)
    outcomes: list[tuple[str, frozenset[int]]] = [(ERROR, _EMPTY)] * count
    module_error: str | None = None
    module_lines: frozenset[int] | None = None
    start = 0
    streaming = False  # after a crash or hang: one message per test, to know which test did it
    while True:
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings():  # 3.12+ warns about forking a threaded process
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            try:
                os.close(read_fd)
                if _worker_fd is not None:  # or an orphaned child would keep it open
                    os.close(_worker_fd)
                # CPU cap: a child orphaned by a killed worker, in a loop that swallows SIGALRM,
                # still ends.
                cpu_limit = int(timeout * (count - start + 1)) + 5
                _isolate(streams, memory_limit, cpu_limit)
                outbox = _Outbox(write_fd, 0.0 if streaming else FLUSH_INTERVAL_S)
                _child_main(outbox, module_code, test_codes, start, timeout)
            finally:
                _real_exit(0)
        os.close(write_fd)
        reader = _MessageReader(read_fd)
        running = start  # index of the test the child is on
        in_module = True
        failure: str | None = None  # how the child ended early: ERROR (died) or TIMEOUT (hung)
        try:
            while in_module or running < count:
                message = reader.next(time.monotonic() + timeout + BACKSTOP_GRACE_S)
                if message is None:
                    failure = ERROR
                    break
                if message[0] == "module":
                    in_module = False
                    if module_lines is None:  # a restarted child re-runs the module: keep the first
                        module_error, module_lines = message[1], message[2]
                    if message[1] is not None:
                        break
                else:
                    _, index, status, lines = message
                    outcomes[index] = (status, lines)
                    running = index + 1
        except TimeoutError:
            failure = TIMEOUT
        finally:
            os.close(read_fd)
            try:
                os.kill(pid, signal.SIGKILL)  # done or stuck: either way it must go now
            except ProcessLookupError:
                pass
            _unreaped.append(pid)
        if failure is not None and not streaming:
            # Results the child had not flushed are lost: run the rest again, streaming.
            streaming = True
            start = running
            continue
        if in_module:
            if module_lines is None:
                module_lines = _EMPTY
                module_error = (
                    "timeout while executing the module"
                    if failure == TIMEOUT
                    else "the process died while executing the module"
                )
            break
        if module_error is not None or failure is None or running >= count:
            break
        outcomes[running] = (failure, _EMPTY)
        start = running + 1
        if start >= count:
            break
    if module_error is not None:
        outcomes = [(ERROR, _EMPTY)] * count
    return module_error, module_lines or _EMPTY, tuple(outcomes)


class _MessageReader:
    """Length-prefixed pickles from a child's pipe, with a deadline per message."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = bytearray()
        self.eof = False
        self.poller = select.poll()
        self.poller.register(fd, select.POLLIN)

    def next(self, deadline: float):
        while True:
            if len(self.buffer) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(self.buffer)
                end = _HEADER.size + size
                if len(self.buffer) >= end:
                    payload = bytes(self.buffer[_HEADER.size : end])
                    del self.buffer[:end]
                    try:
                        return pickle.loads(payload)
                    except Exception:
                        return None  # garbled: treat as a crash
            if self.eof:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.poller.poll(remaining * 1000):
                raise TimeoutError
            chunk = os.read(self.fd, 1 << 16)
            if chunk:
                self.buffer += chunk
            else:
                self.eof = True


# --- the child: everything below runs only in a forked process ----------------------------------


def _refuse_exit(*args: object) -> None:
    raise SystemExit(*args[:1])


def _child_main(
    outbox: _Outbox,
    module_code: types.CodeType,
    test_codes: list[types.CodeType | None],
    start: int,
    timeout: float,
) -> None:
    seen: set[int] = set()
    seen_add = seen.add
    saturated: set[types.CodeType] = set()  # this test has seen every line they can run

    def local_trace(frame, event, arg):
        if event == "line":
            seen_add(frame.f_lineno)
        return local_trace

    def global_trace(frame, event, arg):
        # Returning None leaves a frame untraced: library code, and calls of a function whose
        # every line this test has already recorded (a helper called in a loop costs ~10x traced).
        code = frame.f_code
        if code.co_filename != PROGRAM_FILENAME or code in saturated:
            return None
        if _lines_to_see(code) <= seen:
            saturated.add(code)
            return None
        return local_trace

    module = types.ModuleType(MODULE_NAME)
    module.__dict__["__builtins__"] = builtins
    sys.modules[MODULE_NAME] = module  # dataclasses, pickle and typing look modules up here
    status, error = _run_guarded(module_code, module.__dict__, timeout, global_trace)
    if status != PASSED:
        text = (
            "timeout while executing the module"
            if status == TIMEOUT
            else child.describe_exception(error, MESSAGE_LIMIT)
        )
        outbox.put(("module", text, frozenset(seen)))
        outbox.flush()
        return
    outbox.put(("module", None, frozenset(seen)))
    for index in range(start, len(test_codes)):
        code = test_codes[index]
        seen.clear()
        saturated.clear()
        if code is None:
            status = ERROR
        else:
            status, _ = _run_guarded(code, dict(module.__dict__), timeout, global_trace)
        outbox.put(("test", index, status, frozenset(seen)))
    outbox.flush()


def _run_guarded(code, namespace: dict, timeout: float, trace) -> tuple[str, BaseException | None]:
    try:
        random.seed(0)  # tests that draw unseeded random inputs give the same verdict every run
        sys.settrace(trace)  # again every time: an exception inside a tracer unsets it
        _TIMER.start(timeout)
        try:
            exec(code, namespace)
            return PASSED, None
        except AssertionError as error:
            return FAILED, error
        except child.TestTimeout:
            return TIMEOUT, None
        except BaseException as error:  # SystemExit, MemoryError, RecursionError, ...
            return ERROR, error
        finally:
            _TIMER.stop()
            sys.settrace(None)
    except child.TestTimeout:  # the alarm landed in an except clause above, before the disarm
        return TIMEOUT, None


def _isolate(streams, memory_limit: int | None, cpu_seconds: int) -> None:
    stdin, stdout = streams
    child.quiet_streams(stdout.fileno())  # C-level writes too
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stdout
    child.limit_resources(memory=memory_limit, cpu_seconds=cpu_seconds, core=False)
    os._exit = _refuse_exit  # type: ignore[assignment]
    os.abort = _refuse_exit  # type: ignore[assignment]
    _TIMER.install()
    sys.setrecursionlimit(1000)


# Instructions a function runs on its `def` line before any line event can fire (3.11+).
_PROLOGUE = frozenset({"RESUME", "MAKE_CELL", "COPY_FREE_VARS"})


@lru_cache(maxsize=4096)
def _lines_to_see(code: types.CodeType) -> frozenset[int]:
    """Every line a frame of `code` can report. Conservative: a line listed but never reported
    only means the frame keeps being traced."""
    lines = {line for _, _, line in code.co_lines() if line is not None}
    first_line_ops = {
        instruction.opname
        for instruction in dis.get_instructions(code)
        if getattr(getattr(instruction, "positions", None), "lineno", None) == code.co_firstlineno
    }
    if first_line_ops and first_line_ops <= _PROLOGUE:
        lines.discard(code.co_firstlineno)
    return frozenset(lines)


class _Outbox:
    """Messages to the parent, written together once `interval` has passed since the last write.
    The gap between writes stays under interval + one test's timeout, inside the backstop."""

    def __init__(self, fd: int, interval: float):
        self.fd = fd
        self.interval = interval
        self.frames: list[bytes] = []
        self.last_flush = time.monotonic()

    def put(self, message: tuple) -> None:
        self.frames.append(_frame(message))
        if time.monotonic() - self.last_flush >= self.interval:
            self.flush()

    def flush(self) -> None:
        _write_all(self.fd, b"".join(self.frames))
        self.frames.clear()
        self.last_flush = time.monotonic()
