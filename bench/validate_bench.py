"""Candidate validations per second on the fixtures (the issue's target: >= 50/s).

For each fixture, the model-free ranking of the initial state gives a realistic mix of candidates
(most fail at the first test, some run the whole suite, a few loop or crash); the bench validates
the first N of them the way the search does (failing tests first, stop once worse or unchanged)
and reports validations per second for each worker count, with the machine's load, since a busy
machine slows every number here.

    python bench/validate_bench.py                      # all fixtures, jobs 1, 2 and all cores
    python bench/validate_bench.py --jobs 2 --fixtures inventory_wrong_variable --candidates 200
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from repair.localize import line_scores, scores_by_file
from repair.rank import FileView, import_signal, rank_candidates, suspicious_regions
from repair.source import apply_edits, parse, tokens
from repair.testrun import run_suite
from repair.validate import Request, Validator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def candidate_requests(root: Path, count: int) -> tuple[list[Request], int]:
    run = run_suite(root, [root / "tests"], [root], per_test_timeout=1.0)
    scores = scores_by_file(line_scores(run))
    views = {}
    for path in scores:
        source = (root / path).read_bytes()
        tree = parse(source)
        views[path] = FileView(source, tree, tokens(source, tree))
    regions, signals = suspicious_regions(
        views, scores, import_signal=import_signal("tarantula", 1, 1), top=5
    )
    ranked = rank_candidates(
        views, regions, signals, scorer=None, iteration=0, max_options=10, seed=0
    )
    failing = tuple(run.failed)
    requests = []
    for candidate in ranked[:count]:
        changed = apply_edits(views[candidate.path].source, [candidate.edit])
        requests.append(Request({candidate.path: changed}, failing, max_failures=len(failing)))
    return requests, len(run.results)


def bench_fixture(root: Path, jobs: int, count: int) -> dict:
    requests, tests = candidate_requests(root, count)
    with Validator(root, ["tests"], jobs=jobs, per_test_timeout=0.5, candidate_timeout=5.0) as v:
        v.validate_many([requests[0]] * jobs)  # wait until every worker is warm
        started = time.monotonic()
        results = v.validate_many(requests)
        seconds = time.monotonic() - started
        modes = sorted({worker.mode for worker in v._workers})
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
    return {
        "fixture": root.name,
        "tests": tests,
        "jobs": jobs,
        "candidates": len(requests),
        "seconds": round(seconds, 3),
        "per_second": round(len(requests) / seconds, 1),
        "statuses": statuses,
        "worker_mode": ",".join(modes),  # "session": prepared pytest session; "main": pytest.main
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", nargs="*", default=None)
    parser.add_argument("--jobs", type=int, nargs="*", default=None)
    parser.add_argument("--candidates", type=int, default=150)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0))
    jobs_list = args.jobs or sorted({1, 2, cores})
    names = args.fixtures or sorted(p.name for p in FIXTURES.iterdir() if (p / "bug.json").exists())
    rows = []
    for jobs in jobs_list:
        for name in names:
            row = bench_fixture(FIXTURES / name, jobs, args.candidates)
            row["load_average"] = round(os.getloadavg()[0], 2)
            rows.append(row)
            if not args.json:
                print(
                    f"{row['fixture']:<38} jobs={jobs:<3} {row['candidates']:>4} candidates "
                    f"{row['seconds']:>7.2f} s  {row['per_second']:>6.1f}/s  "
                    f"load {row['load_average']:.1f}  {row['worker_mode']}  {row['statuses']}",
                    flush=True,
                )
    summary = {}
    for jobs in jobs_list:
        subset = [row for row in rows if row["jobs"] == jobs]
        total = sum(row["candidates"] for row in subset)
        seconds = sum(row["seconds"] for row in subset)
        summary[jobs] = round(total / seconds, 1)
    if args.json:
        print(json.dumps({"cores": cores, "rows": rows, "per_second_by_jobs": summary}, indent=2))
    else:
        print(f"cores {cores}; validations per second by jobs (all fixtures): {summary}")


if __name__ == "__main__":
    main()
