from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from repair.executor import ExecutionResult, Executor, TestOutcome, execute

SOURCE = """\
import os, sys

def sign(x):
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0

def spin():
    while True:
        pass
"""
# Line numbers in SOURCE: 1 import, 3 def sign, 4 `if x > 0`, 5 `return 1`, 6 `if x < 0`,
# 7 `return -1`, 8 `return 0`, 10 def spin, 11 `while True`, 12 `pass`.


@pytest.fixture(scope="module")
def executor():
    with Executor(workers=2, timeout=0.3) as pool:
        yield pool


def statuses(result: ExecutionResult) -> list[str]:
    return [outcome.status for outcome in result.outcomes]


def test_outcomes_and_lines_per_test() -> None:
    result = execute(SOURCE, ["assert sign(5) == 1", "assert sign(-5) == 1", "sign(None)"])
    assert result.module_error is None
    assert result.module_lines == {1, 3, 10}
    passing, failing, erroring = result.outcomes
    assert passing == TestOutcome(passed=True, status="passed", lines=frozenset({4, 5}))
    assert failing == TestOutcome(passed=False, status="failed", lines=frozenset({4, 6, 7}))
    assert erroring.status == "error" and erroring.lines == {4}  # TypeError on the comparison
    assert not result.all_passed and result.failed_count == 2


def test_lines_stay_exact_when_calls_of_fully_seen_functions_go_untraced() -> None:
    source = (
        "def parity(n):\n"  # 1
        "    if n % 2:\n"  # 2
        "        return 'odd'\n"  # 3
        "    return 'even'\n"  # 4
        "def same(x): return x\n"  # 5: body on the def line
        "def count(xs):\n"  # 6
        "    return [parity(same(x)) for x in xs]\n"  # 7
    )
    result = execute(source, ["count([2, 4, 6, 8, 3, 5])", "count([2] * 50)", "same(1)"])
    assert [outcome.lines for outcome in result.outcomes] == [{2, 3, 4, 5, 7}, {2, 4, 5, 7}, {5}]


def test_infinite_loop_times_out_and_later_tests_still_run(executor: Executor) -> None:
    started = time.monotonic()
    result = executor.run(SOURCE, ["spin()", "assert sign(0) == 0"])
    assert time.monotonic() - started < 3
    assert statuses(result) == ["timeout", "passed"]
    assert result.outcomes[0].lines == {11, 12}
    assert result.outcomes[1].lines == {4, 6, 8}


def test_a_loop_that_swallows_the_alarm_is_killed(executor: Executor) -> None:
    swallowing = "while True:\n    try:\n        spin()\n    except BaseException:\n        pass\n"
    started = time.monotonic()
    result = executor.run(SOURCE, [swallowing, "assert sign(1) == 1"])
    assert time.monotonic() - started < 5
    assert statuses(result) == ["timeout", "passed"]


@pytest.mark.parametrize(
    "exiting",
    [
        "os._exit(1)",
        "sys.exit()",
        "exit(3)",
        "os.abort()",
        "import signal; os.kill(os.getpid(), signal.SIGKILL)",
        "x = bytearray(4 * 1024**3)",  # over the memory cap: MemoryError, not OOM
        "def f(): return f()\nf()",
    ],
)
def test_code_that_exits_or_crashes_does_not_take_the_executor_down(
    executor: Executor, exiting: str
) -> None:
    tests = ["assert sign(2) == 1", exiting, "assert sign(-2) == -1"]
    for result in (executor.run(SOURCE, tests), execute(SOURCE, tests, timeout=0.3)):
        assert statuses(result) == ["passed", "error", "passed"]
    assert executor.run(SOURCE, ["assert sign(0) == 0"]).all_passed


def test_module_errors_are_reported_not_raised(executor: Executor) -> None:
    broken = executor.run("x = 1\ny = undefined_name\n", ["assert x == 1"])
    assert broken.module_error == "NameError: name 'undefined_name' is not defined"
    assert broken.module_lines == {1, 2}
    assert statuses(broken) == ["error"]
    unparsable = executor.run("def f(:\n", ["pass", "pass"])
    assert unparsable.module_error.startswith("SyntaxError")
    assert statuses(unparsable) == ["error", "error"]
    looping = executor.run("while True:\n    pass\n", ["pass"])
    assert looping.module_error == "timeout while executing the module"


def test_tested_code_output_is_suppressed(capfd: pytest.CaptureFixture[str]) -> None:
    noisy = "import sys, os\nprint('out')\nsys.stderr.write('err')\nos.write(1, b'fd')\n"
    assert execute(noisy, ["print('test')"]).all_passed
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_tests_run_in_copies_of_the_module_namespace(executor: Executor) -> None:
    result = executor.run("x = 1\n", ["x = 2\nassert x == 2", "assert x == 1", "syntax error("])
    assert statuses(result) == ["passed", "passed", "error"]


def test_unseeded_randomness_gives_the_same_verdict_every_run(executor: Executor) -> None:
    tests = [f"import random\nassert random.random() < 0.5  # {i}" for i in range(6)]
    first = execute("", tests)
    assert statuses(first) == statuses(execute("", tests))
    assert statuses(first) == statuses(Executor(workers=0).run("", tests))


def test_cache_hit_returns_the_same_result() -> None:
    with Executor(workers=1) as pool:
        first = pool.run(SOURCE, ["assert sign(3) == 1"])
        again = pool.run(SOURCE, ("assert sign(3) == 1",))
        assert again is first
        assert pool.cache_info() == {"hits": 1, "misses": 1, "size": 1}
        assert pool.run(SOURCE + "\n", ["assert sign(3) == 1"]) is not first


@dataclass(frozen=True)
class Job:
    source: str
    tests: tuple[str, ...]


def test_run_many_preserves_order(executor: Executor) -> None:
    jobs: list = []
    for i in range(12):
        source = f"N = {i}\n" + ("while N == 5:\n    pass\n" if i == 5 else "")
        tests = (f"assert N == {i}", "assert N % 2 == 0")
        jobs.append(Job(source, tests) if i % 3 else (source, tests))
    jobs.append(jobs[0])  # a duplicate in the batch runs once
    results = executor.run_many(jobs)
    assert len(results) == 13 and results[12] is results[0]
    for i, result in enumerate(results[:12]):
        if i == 5:
            assert result.module_error == "timeout while executing the module"
        else:
            assert statuses(result) == ["passed", "passed" if i % 2 == 0 else "failed"]


def test_a_worker_killed_from_outside_is_replaced() -> None:
    with Executor(workers=1) as pool:
        pool.run("", ["pass"])
        pool._workers[0].process.kill()
        pool._workers[0].process.wait()
        assert pool.run(SOURCE, ["assert sign(1) == 1"]).all_passed
    with pytest.raises(RuntimeError, match="closed"):
        pool.run(SOURCE, ["assert sign(1) == 2"])


def test_a_corrupted_program_compiles_without_syntax_warnings():
    """Corruption writes `x is 1`: compiling it must not print a SyntaxWarning per program
    (hundreds of lines in `repair train`'s output)."""
    import warnings

    from repair.executor import _compile_source

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, error = _compile_source("def f(x):\n    return x is 1  # unique to this test\n")
    assert code is not None and error is None
    assert not [w for w in caught if issubclass(w.category, SyntaxWarning)]
