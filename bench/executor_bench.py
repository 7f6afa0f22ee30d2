"""How fast `repair.executor` runs HumanEval, against a fresh `python -c` per program.

    .venv/bin/python bench/executor_bench.py [--baseline-sample 20]

Prints median/p90 ms per program (all its tests, uncached, per-test line tracing on) for the
executor; the same for the baseline on a sample (plain execution, no tracing: a fresh interpreter
is what a naive trajectory step would cost), with the ratio on that sample; then programs/s with
1 and 2 workers, and the cost of a cached state.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time

from repair.executor import Executor
from training.programs import Program, humaneval_programs

# Runs one program's tests like the executor does, minus isolation and tracing.
BASELINE = """
import sys, json
source, tests = json.loads(sys.stdin.read())
namespace = {"__name__": "__program__"}
exec(compile(source, "<program>", "exec"), namespace)
outcomes = []
for test in tests:
    try:
        exec(compile(test, "<test>", "exec"), dict(namespace))
        outcomes.append("passed")
    except AssertionError:
        outcomes.append("failed")
    except BaseException:
        outcomes.append("error")
print(json.dumps(outcomes))
"""


def percentiles(times_ms: list[float]) -> str:
    ordered = sorted(times_ms)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {statistics.median(ordered):7.2f} ms   p90 {p90:7.2f} ms"


def time_executor(programs: list[Program]) -> dict[str, float]:
    with Executor(workers=1, cache_size=0) as executor:
        executor.run("", ["pass"])  # worker start-up is not per program
        times = {}
        for program in programs:
            started = time.perf_counter()
            result = executor.run(program.source, program.tests)
            times[program.name] = (time.perf_counter() - started) * 1000
            assert result.all_passed, program.name
    return times


def time_baseline(programs: list[Program]) -> dict[str, float]:
    import json

    times = {}
    for program in programs:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", BASELINE],
            input=json.dumps([program.source, list(program.tests)]),
            capture_output=True,
            text=True,
            check=True,
        )
        times[program.name] = (time.perf_counter() - started) * 1000
    return times


def cpu_ms_per_program(programs: list[Program]) -> float:
    """CPU time (this process and its forked children), which a busy machine inflates far less
    than wall time. workers=0 forks from here, so os.times() sees the children."""
    executor = Executor(workers=0, cache_size=0)
    executor.run("", ["pass"])
    before = os.times()
    executor.run_many(programs)
    executor.run("", ["pass  # reaps the last child"])
    after = os.times()
    fields = ("user", "system", "children_user", "children_system")
    spent = sum(getattr(after, name) - getattr(before, name) for name in fields)
    return spent / len(programs) * 1000


def throughput(programs: list[Program], workers: int) -> float:
    with Executor(workers=workers, cache_size=0) as executor:
        executor.run_many([("", [f"pass  # {i}"]) for i in range(workers)])  # warm
        started = time.perf_counter()
        executor.run_many(programs)
        return len(programs) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-sample", type=int, default=20)
    args = parser.parse_args(argv)

    programs = humaneval_programs()
    tests = sum(len(p.tests) for p in programs)
    print(f"HumanEval: {len(programs)} programs, {tests} tests, Python {sys.version.split()[0]}")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    executor_ms = time_executor(programs)
    print(f"executor, 1 worker, uncached    {percentiles(list(executor_ms.values()))}")
    slowest = sorted(executor_ms.items(), key=lambda item: -item[1])[:3]
    print("  slowest: " + ", ".join(f"{name} {ms:.0f} ms" for name, ms in slowest))

    sample = random.Random(0).sample(programs, min(args.baseline_sample, len(programs)))
    baseline_ms = time_baseline(sample)
    sample_executor_ms = [executor_ms[p.name] for p in sample]
    print(f"baseline python -c, {len(sample)} sample  {percentiles(list(baseline_ms.values()))}")
    print(f"executor on the same sample     {percentiles(sample_executor_ms)}")
    ratio = statistics.median(baseline_ms.values()) / statistics.median(sample_executor_ms)
    print(f"ratio of medians (baseline / executor): {ratio:.1f}x")

    slow_names = {name for name, _ in slowest}
    typical = [p for p in programs if p.name not in slow_names]
    print(
        f"CPU per program, forking from this bench process (workers=0; mean, without the 3 slowest): "
        f"{cpu_ms_per_program(typical):.2f} ms"
    )
    for workers in (1, 2):
        every, without_slowest = throughput(programs, workers), throughput(typical, workers)
        print(
            f"throughput, {workers} worker(s), uncached: {every:7.1f} programs/s "
            f"({without_slowest:.1f} without the 3 slowest)"
        )

    with Executor(workers=1) as executor:
        executor.run_many(programs)
        started = time.perf_counter()
        executor.run_many(programs)
        cached_us = (time.perf_counter() - started) / len(programs) * 1e6
    print(f"cached state: {cached_us:.1f} us per program")
    return 0


if __name__ == "__main__":
    sys.exit(main())
