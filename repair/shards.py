"""How many children the first test run is split over.

The first run measures every test under coverage, and on a project's whole suite it is most of
what a repair waits for before the search starts (attrs' 1,385 tests: 25 s of a 60 s budget on 2
cores). `repair.testrun.run_suite(shards=n)` runs n children at once, each on its own copy, child k
every n-th test from the k-th (so a suite's few long tests spread over the children: contiguous
slices left more-itertools' and pyrsistent's slow tests in one child), and merges what they
report. A child costs an interpreter, a collection and a copy of the project, which a small suite
does not win back, so the run is split only when the test files hold enough code to take seconds
(`bench/shard_bench.py` measured where that lies, on the real-bug dev split's suites and the
fixtures). `repair fix` splits its baseline run through the validation workers the same way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ShardPolicy:
    max_shards: int = 4  # children at most (each holds a copy of the project and a pytest)
    # Python in the test paths (bytes) from which the first run is split; below it, one child.
    # bench/results/shard_bench.txt, real-bug dev projects and fixtures: every project (58 to
    # 457 KB of tests) ran its first run in 0.63-0.90 of one child's time on 2 cores; the
    # fixtures (about 1 KB) lost up to 0.2 s
    min_test_bytes: int = 50_000


def available_cores() -> int:
    """The cores this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def shard_count(test_paths: Sequence[Path], jobs: int, policy: ShardPolicy) -> int:
    """The children for a first run of `test_paths` with `jobs` cores to spare: 1 below the
    policy's size, else `jobs` up to `max_shards`."""
    if jobs <= 1 or policy.max_shards <= 1:
        return 1
    if python_bytes(test_paths, stop_at=policy.min_test_bytes) < policy.min_test_bytes:
        return 1
    return min(jobs, policy.max_shards)


def python_bytes(test_paths: Sequence[Path], stop_at: int | None = None) -> int:
    """Bytes of the Python files under `test_paths` (hidden folders and caches skipped); counting
    ends once `stop_at` is reached."""
    total = 0
    for path in map(Path, test_paths):
        if path.is_file():
            total += _size(path) if path.suffix == ".py" else 0
            continue
        for folder, subfolders, names in os.walk(path):
            subfolders[:] = [name for name in subfolders if not _skipped(name)]
            for name in names:
                if name.endswith(".py"):
                    total += _size(Path(folder, name))
            if stop_at is not None and total >= stop_at:
                return total
    return total


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in {"__pycache__", "node_modules", "venv", "site-packages"}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
