"""Candidate validation in milliseconds: warm pytest workers, a fork per candidate.

`Validator` keeps `jobs` worker processes (`_validate_worker.py`), each with a private copy of the
project, pytest configured and the suite collected once. Validating a candidate sends its changed
files to a worker's child, forked ahead of the request; the child writes them into the copy,
runs again only the modules the change reaches (test modules keep their collected tests and see
the candidate's code through refreshed bindings), runs the given tests first through pytest's own
run-test loop and stops as soon as the answer is known (too many failures, or the first tests
failing exactly as before); the worker puts the copy back. A candidate's cost is the modules its
change reaches plus the tests it runs, not the size of the suite. A candidate that loops, eats
memory, calls `sys.exit` / `os._exit` or kills its interpreter costs at most its timeout; the
worker and the tool go on (a test that kills its interpreter is reported as an error, and the
tests after it still run). With short `limits` (CPU time, from what tests take when they pass,
`repair.time_limits`) a test that loops is cut in milliseconds; a cut test is a "timeout", not a
failure, and runs again with the full per-test timeout when it alone keeps a candidate from
passing. With a `deadline`, no validation runs past it. Workers and their children die with
this process, and take whatever the tests started with them.

This is for ranking and filtering candidates quickly; the patch a user sees is verified once more
by a fresh full pytest run under the user's configuration (`repair.patch`).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from repair import _child as child
from repair.project import copy_project
from repair.tempdirs import TemporaryFolder
from repair.testrun import FAILING_OUTCOMES, own_config_arguments
from repair.time_limits import TestLimits

WORKER = Path(__file__).with_name("_validate_worker.py")
MEMORY_LIMIT_BYTES = 1 << 30  # private memory a candidate may add to what its worker holds
STARTUP_TIMEOUT = 120.0  # seconds a worker may take to import pytest and collect the suite
ANSWER_GRACE = 5.0  # seconds past a candidate's timeout before its worker is replaced
DEADLINE_GRACE = 0.5  # ... but never more than this past the validator's deadline


@dataclass(frozen=True)
class Request:
    """One candidate to validate: the files it changes and how to run the tests."""

    files: Mapping[str, bytes]  # path relative to the project root -> the candidate's full contents
    first: tuple[str, ...]  # node ids run first, in this order (the tests that fail now)
    rest: bool = True  # then the rest of the suite
    # ... only these of the rest (None: all of it): the tests that ran the code a candidate changes
    only: frozenset[str] | None = None
    max_failures: int | None = 0  # stop once more tests than this fail (None: run everything)
    baseline: Mapping[str, str] | None = None  # failing test -> message: stop if all unchanged


@dataclass(frozen=True)
class Validation:
    outcomes: dict[str, tuple[str, str]]  # node id -> (outcome, message), for the tests that ran
    collected: int  # tests pytest would have run (after ordering and selection)
    collection_errors: list[str] = field(default_factory=list)
    status: str = "finished"  # "finished", "timeout", "crashed ...", "worker lost"
    seconds: float = 0.0
    # Seconds per step in the worker: start (request to the child's first step), setup, refresh
    # (modules run again), collect, run (or main: a fresh pytest), finish (last step to answer);
    # ahead: what the child did before its request came (not part of `seconds`).
    stages: dict[str, float] = field(default_factory=dict)
    # tests whose answer is a timeout at their short limit (not run again: another test failed,
    # or the run stopped early), and seconds per test run
    cut: frozenset[str] = frozenset()
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[str]:
        return [
            nodeid for nodeid, (outcome, _) in self.outcomes.items() if outcome in FAILING_OUTCOMES
        ]

    @property
    def complete(self) -> bool:
        """Every collected test ran to an outcome (pytest was not stopped early)."""
        return self.status == "finished" and len(self.outcomes) == self.collected

    @property
    def all_passed(self) -> bool:
        return self.complete and not self.failed and not self.collection_errors

    @property
    def messages(self) -> dict[str, str]:
        return {nodeid: message for nodeid, (_, message) in self.outcomes.items()}


def merged(parts: Sequence[Validation]) -> Validation:
    """Validations of one state by several workers, each a share of its tests, as one: outcomes
    in part order, counts added, the first status that is not "finished" (else "finished")."""
    outcomes: dict[str, tuple[str, str]] = {}
    errors: list[str] = []
    for part in parts:
        outcomes.update(part.outcomes)
        errors += [error for error in part.collection_errors if error not in errors]
    statuses = [part.status for part in parts if part.status != "finished"]
    return Validation(
        outcomes,
        sum(part.collected for part in parts),
        collection_errors=errors,
        status=statuses[0] if statuses else "finished",
        seconds=max((part.seconds for part in parts), default=0.0),
        cut=frozenset().union(*(part.cut for part in parts)),
        durations={nodeid: s for part in parts for nodeid, s in part.durations.items()},
    )


def pytest_arguments(tests: Sequence[str], copy: Path, config_dir: Path) -> list[str]:
    """pytest's arguments in a copy: the user's configuration if it has one, else an empty one
    (pytest would otherwise look for one above the temporary directory)."""
    args = [*tests, "--rootdir", str(copy), "-p", "no:cacheprovider", "-q", "--color=no"]
    # Messages come from the exception itself; a long traceback would only cost time.
    args += ["--tb=line", f"--basetemp={config_dir / 'basetemp'}"]
    return args + own_config_arguments(copy, config_dir)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class _Worker:
    """One warm worker process and its private copy of the project."""

    def __init__(self, root: Path, tests: Sequence[str], memory_limit: int, populate: bool):
        self.tmp = TemporaryFolder("repair-validate-")
        try:
            work = self.tmp.path
            copy = copy_project(root, work / "project")
        except BaseException:
            self.tmp.cleanup()
            raise
        config = work / "worker.json"
        settings = {
            "args": pytest_arguments(tests, copy, work),
            "memory_limit": memory_limit,
            "populate": populate,
            "parent": os.getpid(),
        }
        config.write_text(json.dumps(settings), encoding="utf-8")
        self.log = open(work / "worker.log", "wb")  # noqa: SIM115 - lives as long as the worker
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-B", str(WORKER), str(config)],
            cwd=copy,
            env=child.child_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            start_new_session=True,  # Ctrl-C in the terminal is ours to handle, not the worker's
        )
        self.ready = False
        self.limits_sent = -1  # the version of the validator's short limits this worker has
        self.mode = ""  # "session" (suite collected once) or "main" (pytest.main per candidate)
        self.reason = ""  # why a worker runs pytest.main per candidate
        self.started = time.monotonic()
        self.deadline = self.started + STARTUP_TIMEOUT

    def fileno(self) -> int:
        return self.process.stdout.fileno()  # type: ignore[union-attr]

    def send(self, message: dict, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        self.write(message)

    def write(self, message: dict) -> None:
        self.process.stdin.write((json.dumps(message) + "\n").encode())  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]

    def receive(self) -> dict | None:
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        return json.loads(line) if line else None

    def kill(self) -> None:
        child.kill_group(self.process.pid)  # with whatever the suite's import left running
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        self.log.close()
        self.tmp.cleanup()


def _kill_all(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.kill()
    workers.clear()


class Validator:
    """A pool of warm validation workers over copies of the project at `root`.

    Args:
        root: the project root (copied once per worker; the user's tree is never written).
        tests: test paths relative to `root`, as pytest takes them.
        jobs: worker processes, each validating one candidate at a time.
        per_test_timeout: seconds one test may run in a candidate (the full limit).
        candidate_timeout: seconds one candidate may take in all.
        limits: each test's short limit (`repair.time_limits`; None: the full limit for every
            test); settable, each worker gets the new ones before its next candidate.
        memory_limit: bytes of private memory a candidate may add (0: no cap).
        sources: the files candidates change, relative to `root` (None: any non-test file);
            kept for callers: a worker works out what each change reaches by itself.
        deadline: `time.monotonic()` past which no candidate runs (None: no limit); settable.
    """

    def __init__(
        self,
        root: Path,
        tests: Sequence[str],
        *,
        jobs: int = 1,
        per_test_timeout: float = 2.0,
        candidate_timeout: float = 20.0,
        memory_limit: int = MEMORY_LIMIT_BYTES,
        sources: Sequence[str] | None = None,
        deadline: float | None = None,
        limits: TestLimits | None = None,
    ):
        self.root = Path(root).resolve()
        self.deadline = deadline
        self._limits, self._limits_version = limits, 0
        self.tests = list(tests)
        self.per_test_timeout = per_test_timeout
        self.candidate_timeout = candidate_timeout
        self.memory_limit = memory_limit
        self.sources = list(sources) if sources is not None else None
        self.jobs = max(1, jobs)
        self.validations = 0  # candidates validated so far
        self._workers: list[_Worker] = []
        self._finalizer = weakref.finalize(self, _kill_all, self._workers)
        try:
            self._workers.extend(self._start() for _ in range(self.jobs))
        except BaseException:
            self.close()
            raise

    @property
    def limits(self) -> TestLimits | None:
        return self._limits

    @limits.setter
    def limits(self, value: TestLimits | None) -> None:
        self._limits, self._limits_version = value, self._limits_version + 1

    def _start(self) -> _Worker:
        # A worker's next child copies the pages children write ahead of its request (see the
        # worker's `_populate`): cheaper than faulting them in one by one, but only worth it on
        # a core the running candidates leave idle.
        return _Worker(self.root, self.tests, self.memory_limit, self.jobs < _cores())

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> Validator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def validate(self, request: Request) -> Validation:
        return self.validate_many([request])[0]

    def validate_many(self, requests: Sequence[Request]) -> list[Validation]:
        """Validate candidates in parallel, one per worker at a time; results in request order.
        Past the `deadline` a candidate is not started ("timeout")."""
        results: list[Validation | None] = [None] * len(requests)
        pending = list(reversed(range(len(requests))))
        busy: dict[_Worker, int] = {}
        self._fill()
        idle = list(self._workers)
        try:
            while pending or busy:
                while idle and pending:
                    worker, index = idle.pop(0), pending.pop()
                    remaining = self._remaining()
                    if remaining > 0 and self._wait_ready(worker):
                        timeout = min(self.candidate_timeout, remaining)
                        message = _message(index, requests[index], self.per_test_timeout, timeout)
                        if worker.limits_sent != self._limits_version:
                            limits = self._limits.to_json() if self._limits else None
                            worker.write({"limits": limits})
                            worker.limits_sent = self._limits_version
                        worker.send(message, self._answer_timeout(remaining))
                        busy[worker] = index
                    elif self._remaining() <= 0:  # the deadline came (while it started)
                        results[index] = Validation({}, 0, status="timeout")
                        idle.append(worker)
                    else:
                        results[index] = Validation({}, 0, status="worker lost")
                        idle += self._replace(worker)
                if not busy:
                    if not idle:  # every worker lost past the deadline
                        for index in pending:
                            results[index] = Validation({}, 0, status="timeout")
                        pending.clear()
                    continue
                timeout = max(0.0, min(worker.deadline for worker in busy) - time.monotonic())
                ready, _, _ = select.select(list(busy), [], [], timeout)
                now = time.monotonic()
                for worker in list(busy):
                    if worker in ready:
                        answer = worker.receive()
                        index = busy.pop(worker)
                        if answer is None:  # the worker itself died
                            results[index] = Validation({}, 0, status="worker lost")
                            idle += self._replace(worker)
                        else:
                            results[index] = _validation(answer)
                            idle.append(worker)
                    elif now > worker.deadline:  # the worker stopped answering
                        index = busy.pop(worker)
                        results[index] = Validation({}, 0, status="timeout")
                        idle += self._replace(worker)
        finally:
            # Interrupted: a busy worker's late answer would be read as the next one's, so it
            # goes (a fresh one starts when the pool is used again).
            for worker in busy:
                self._discard(worker)
        self.validations += len(requests)
        return results  # type: ignore[return-value]

    def _remaining(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def _answer_timeout(self, remaining: float) -> float:
        return min(self.candidate_timeout + ANSWER_GRACE, remaining + DEADLINE_GRACE)

    def _wait_ready(self, worker: _Worker) -> bool:
        if worker.ready:
            return True
        if worker not in self._workers:
            return False
        remaining = min(worker.deadline - time.monotonic(), self._remaining())
        ready, _, _ = select.select([worker], [], [], max(0.0, remaining))
        if not ready:
            return False
        answer = worker.receive()
        worker.ready = bool(answer and answer.get("ready"))
        worker.mode = answer.get("mode", "") if answer else ""
        worker.reason = answer.get("reason", "") if answer else ""
        return worker.ready

    def _fill(self) -> None:
        while len(self._workers) < self.jobs and self._remaining() > 0:
            self._workers.append(self._start())

    def _discard(self, worker: _Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        worker.kill()

    def _replace(self, worker: _Worker) -> list[_Worker]:
        """The worker killed, and a fresh one in its place (none past the deadline)."""
        self._discard(worker)
        if self._remaining() <= 0:
            return []
        fresh = self._start()
        self._workers.append(fresh)
        return [fresh]


def _message(index: int, request: Request, per_test_timeout: float, timeout: float) -> dict:
    """A request as the worker reads it (JSON)."""
    return {
        "id": index,
        "files": {path: data.decode("utf-8") for path, data in request.files.items()},
        "first": list(request.first),
        "rest": request.rest,
        "only": sorted(request.only) if request.only is not None else None,
        "max_failures": request.max_failures,
        "baseline": dict(request.baseline) if request.baseline is not None else None,
        "per_test_timeout": per_test_timeout,
        "timeout": timeout,
    }


def _validation(answer: dict) -> Validation:
    """A worker's answer as a `Validation`."""
    outcomes: dict[str, tuple[str, str]] = {}
    errors: list[str] = []
    collected = 0
    stages: dict[str, float] = {}
    cut: set[str] = set()
    durations: dict[str, float] = {}
    for event in answer["events"]:
        kind = event["event"]
        if kind == "done":
            stages = event.get("stages", {})
        elif kind == "result":  # a test run again (its short limit cut it) has a later result
            nodeid = event["nodeid"]
            outcomes[nodeid] = (event["outcome"], event["message"])
            (cut.add if event.get("cut") else cut.discard)(nodeid)
            if "seconds" in event:
                durations[nodeid] = event["seconds"]
        elif kind == "collected":
            collected = event["count"]
        elif kind == "collection_error":
            errors.append(f"{event['nodeid']}: {event['message']}")
    status, seconds = answer["status"], answer["seconds"]
    return Validation(
        outcomes, collected, errors, status, seconds, stages, frozenset(cut), durations
    )
