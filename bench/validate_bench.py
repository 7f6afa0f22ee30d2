"""Candidate validations per second on the fixtures (the issue's target: >= 50/s).

For each fixture, the model-free ranking of the initial state gives a realistic mix of candidates
(most fail at the first test, some run the whole suite, a few loop or crash); the bench validates
the first N of them the way the search does (failing tests first with their messages in the
unchanged program, stop once worse or unchanged, then only the tests that ran the edited
function; `--no-baseline` leaves the messages out, `--all-tests` runs every test after the
failing ones, as this bench did before it copied the search) and reports validations per second for each worker
count, with the machine's load, since a busy machine slows every number here.

`--oss N` adds N bugs seeded in each default OSS project of the repair benchmark (inflection and
toolz: one module / a package, 455 / 180 tests, many parametrized), seeded and cached exactly as
`bench/repair_bench.py` does. Each row also gives the median tests run per candidate and the
median milliseconds of a candidate's steps in its worker (`Validation.stages`: start, setup,
refresh, collect, run, finish; ahead is what a child did before its request, off the clock).

    python bench/validate_bench.py                      # all fixtures, jobs 1, 2 and all cores
    python bench/validate_bench.py --jobs 2 --fixtures inventory_wrong_variable --candidates 200
    python bench/validate_bench.py --jobs 1 2 --fixtures --oss 2     # OSS bugs only
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from repair.fix import _with_tests
from repair.localize import line_scores, scores_by_file
from repair.policy import SearchPolicy
from repair.rank import FileView, import_signal, rank_candidates, suspicious_regions
from repair.source import apply_edits, parse, tokens
from repair.testrun import run_suite
from repair.validate import Request, Validator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass(frozen=True)
class Project:
    name: str
    root: Path
    tests: tuple[str, ...] = ("tests",)  # relative to root
    sources: tuple[str, ...] = (".",)


def fixture(name: str) -> Project:
    return Project(name, FIXTURES / name)


def oss_projects(count: int, folder: Path) -> list[Project]:
    """`count` seeded bugs in each default OSS project, as the repair benchmark seeds them."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from repair_bench import DEFAULT_CACHE, OSS_PROJECTS, oss_cases

    projects = [project for project in OSS_PROJECTS if project.default]
    cases = oss_cases(projects, count, 0, folder, DEFAULT_CACHE)
    return [
        Project(
            case.name,
            case.root,
            tuple(str(path.relative_to(case.root)) for path in case.tests),
            tuple(str(path.relative_to(case.root)) for path in case.sources),
        )
        for case in cases
    ]


def candidate_requests(project: Project, count: int) -> tuple[list[Request], int]:
    """The first `count` candidates of the model-free ranking, as the search sends them but for
    the baseline messages (`with_baseline` adds them), and how many tests the suite has."""
    key = (project, count)
    if key not in _REQUESTS:
        _REQUESTS[key] = _candidate_requests(project, count)
    return _REQUESTS[key]


def with_baseline(requests: list[Request], validator: Validator) -> list[Request]:
    """The requests with the failing tests' messages in the unchanged program (as `repair.fix`
    takes them), so a candidate stops once those tests fail exactly as before."""
    if not requests:
        return requests
    failing = requests[0].first
    baseline = validator.validate(Request({}, failing, rest=True, max_failures=None))
    messages = {nodeid: baseline.messages.get(nodeid, "") for nodeid in failing}
    return [replace(request, baseline=messages) for request in requests]


_REQUESTS: dict[tuple[Project, int], tuple[list[Request], int]] = {}


def _candidate_requests(project: Project, count: int) -> tuple[list[Request], int]:
    root = project.root
    tests = [root / path for path in project.tests]
    run = run_suite(root, tests, [root / path for path in project.sources], per_test_timeout=1.0)
    scores = scores_by_file(line_scores(run))
    views = {}
    for path in scores:
        source = (root / path).read_bytes()
        tree = parse(source)
        views[path] = FileView(source, tree, tokens(source, tree))
    policy = SearchPolicy(max_options=10)  # the candidates this benchmark has always timed
    regions, signals = suspicious_regions(
        views, scores, import_signal=import_signal("tarantula", 1, 1), policy=policy
    )
    ranked = rank_candidates(
        views, regions, signals, scorer=None, iteration=0, seed=0, policy=policy
    )
    ranked = _with_tests(ranked, run, views)  # as the search: only the tests an edit can change
    failing = tuple(run.failed)
    requests = []
    for candidate in ranked[:count]:
        changed = apply_edits(views[candidate.path].source, [candidate.edit])
        requests.append(
            Request(
                {candidate.path: changed},
                failing,
                only=candidate.tests,
                max_failures=len(failing),
            )
        )
    return requests, len(run.results)


def bench_fixture(
    project: Project, jobs: int, count: int, baseline: bool, all_tests: bool = False
) -> dict:
    requests, tests = candidate_requests(project, count)
    root = project.root
    with Validator(
        root, list(project.tests), jobs=jobs, per_test_timeout=0.5, candidate_timeout=5.0
    ) as v:
        v.validate_many([requests[0]] * jobs)  # wait until every worker is warm
        if baseline:
            requests = with_baseline(requests, v)
        if all_tests:
            requests = [replace(request, only=None) for request in requests]
        started = time.monotonic()
        results = v.validate_many(requests)
        seconds = time.monotonic() - started
        modes = sorted({worker.mode for worker in v._workers})
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
    steps = sorted({step for result in results for step in result.stages})
    return {
        "fixture": project.name,
        "tests": tests,
        "jobs": jobs,
        "candidates": len(requests),
        "seconds": round(seconds, 3),
        "per_second": round(len(requests) / seconds, 1),
        "statuses": statuses,
        "worker_mode": ",".join(modes),  # "session": suite collected once; "main": pytest.main
        "tests_run_median": statistics.median(len(result.outcomes) for result in results),
        "step_ms_median": {
            step: round(1000 * statistics.median(r.stages.get(step, 0.0) for r in results), 2)
            for step in steps
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", nargs="*", default=None, help="names (none: no fixtures)")
    parser.add_argument("--oss", type=int, default=0, help="seeded bugs per OSS project")
    parser.add_argument("--jobs", type=int, nargs="*", default=None)
    parser.add_argument("--candidates", type=int, default=150)
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="send no baseline messages (the bench before the search's early stop was copied)",
    )
    parser.add_argument(
        "--all-tests",
        action="store_true",
        help="run every test after the failing ones (the search before it ran only the tests "
        "that ran the edited function)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0))
    jobs_list = args.jobs or sorted({1, 2, cores})
    names = args.fixtures
    if names is None:
        names = sorted(p.name for p in FIXTURES.iterdir() if (p / "bug.json").exists())
    projects = [fixture(name) for name in names]
    scratch = tempfile.TemporaryDirectory(prefix="validate-bench-")
    if args.oss:
        projects += oss_projects(args.oss, Path(scratch.name))
    rows = []
    for jobs in jobs_list:
        for project in projects:
            row = bench_fixture(
                project, jobs, args.candidates, not args.no_baseline, args.all_tests
            )
            row["load_average"] = round(os.getloadavg()[0], 2)
            rows.append(row)
            if not args.json:
                print(
                    f"{row['fixture']:<38} jobs={jobs:<3} {row['candidates']:>4} candidates "
                    f"{row['seconds']:>7.2f} s  {row['per_second']:>6.1f}/s  "
                    f"load {row['load_average']:.1f}  {row['worker_mode']}  {row['statuses']}  "
                    f"tests/candidate {row['tests_run_median']}  ms: {row['step_ms_median']}",
                    flush=True,
                )
    summary, medians = {}, {}
    for jobs in jobs_list:
        subset = [row for row in rows if row["jobs"] == jobs]
        total = sum(row["candidates"] for row in subset)
        seconds = sum(row["seconds"] for row in subset)
        summary[jobs] = round(total / seconds, 1)
        medians[jobs] = statistics.median(row["per_second"] for row in subset)
    if args.json:
        print(
            json.dumps(
                {
                    "cores": cores,
                    "rows": rows,
                    "per_second_by_jobs": summary,
                    "median_per_second_by_jobs": medians,
                },
                indent=2,
            )
        )
    else:
        print(f"cores {cores}; validations per second by jobs (all rows): {summary}")
        print(f"median of the rows' validations per second by jobs: {medians}")


if __name__ == "__main__":
    main()
