"""Time of one ranking step of `repair fix` (regions, graphs, model, candidate edits) on a project,
with one (repair's default, `ModelScorer.threads`) and with two PyTorch intra-op threads,
interleaved in one process.

    python bench/rank_speed.py PROJECT SRC TESTS [--runs 6] [--models SPEC ...] [--set NAME=VALUE]

`--models`: the scorers to time, each at both thread counts; a SPEC is a checkpoint, A.pt+B.pt for
the average of two (as `repair fix --model A.pt --model B.pt`), or "" for the bundled default;
"none" for the model-free baseline. `--set`: a field of the search policy (`repair.policy`), e.g.
`--set max_options=none`.

For instance on a bug the repair benchmark seeds in toolz (`bench/repair_bench.py` unpacks it):
    python bench/rank_speed.py /tmp/cases/toolz-03-literal toolz toolz/tests
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from rank_dev import model_spec_paths, policy_from  # bench/: --model specs, --set

from repair.fix import RepairConfig, _load_scorer, _ranked
from repair.project import list_source_files
from repair.search import State
from repair.testrun import run_suite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("src")
    parser.add_argument("tests")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--models", nargs="*", default=[""], help="scorers to time (see above)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    root = args.project.resolve()
    sources, tests = [root / args.src], [root / args.tests]
    config = RepairConfig(policy=policy_from(args.set))
    scorers = {
        spec or "bundled": _load_scorer(
            RepairConfig(model_paths=model_spec_paths(spec), use_model=spec != "none")
        )
        for spec in args.models
    }
    run = run_suite(root, tests, sources, per_test_timeout=5.0)
    originals = {
        p: (root / p).read_bytes() for p in list_source_files(sources, root, exclude=tests)
    }
    state = State(files={}, edits=(), failing=tuple(run.failed), messages={})
    timings: dict[tuple[str, int], list[float]] = {}
    for label, (scorer, _) in scorers.items():
        ranked = _ranked(state, run, originals, config, scorer, 0)  # warm-up
        timings.update({(label, 1): [], (label, 2): []})
    load = os.getloadavg()[0]
    for _ in range(args.runs):
        for label, threads in timings:
            scorer = scorers[label][0]
            if scorer is not None:
                scorer.threads = threads  # the scorer sets it where it runs
            started = time.perf_counter()
            _ranked(state, run, originals, config, scorer, 0)
            timings[(label, threads)].append(time.perf_counter() - started)
    changed = config.policy.changes() or "defaults"
    print(f"{root.name}: {len(run.results)} tests, {len(ranked)} candidates; policy {changed}")
    first = statistics.median(next(iter(timings.values())))
    for (label, threads), values in timings.items():
        median = statistics.median(values)
        print(
            f"  {label} ({scorers[label][1]}), {threads} thread(s): median {median:.3f} s "
            f"(min {min(values):.3f}, max {max(values):.3f}, {len(values)} runs; "
            f"{median / first:.2f}x the first row)"
        )
    print(f"  load average before: {load:.2f}, cores {os.cpu_count()}")


if __name__ == "__main__":
    main()
