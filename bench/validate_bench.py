"""Candidate validations per second on the fixtures (the issue's target: >= 50/s).

For each fixture, the model-free ranking of the initial state gives a realistic mix of candidates
(most fail at the first test, some run the whole suite, a few loop or crash); the bench validates
the first N of them the way the search does (failing tests first with their messages in the
unchanged program, stop once worse or unchanged, then only the tests that ran the edited
function; `--no-baseline` leaves the messages out, `--all-tests` runs every test after the
failing ones, as this bench did before it copied the search) and reports validations per second for each worker
count, with the machine's load, since a busy machine slows every number here.

`--looping` benches the programs of bench/looping instead, whose buggy versions loop (a binary
search whose fix is `while lo <= hi:` -> `while lo < hi:`, and three more): most of their
candidates still loop, and each test's short time limit (`repair.time_limits`, as `repair fix`
sets them from the first run) decides how soon such a candidate is dropped; `--no-short-limits`
gives every test the full per-test timeout instead (as before short limits). The validator's
timeouts are `repair fix`'s (`_validation_timeouts`), and the tests a candidate runs first are
the search's (`State.first_tests`: the failing ones, at most `looping_first` of those that time
out).

`--oss N` adds N bugs seeded in each default OSS project of the repair benchmark (inflection and
toolz: one module / a package, 455 / 180 tests, many parametrized), seeded and cached exactly as
`bench/repair_bench.py` does. Each row also gives the median tests run per candidate and the
median milliseconds of a candidate's steps in its worker (`Validation.stages`: start, setup,
refresh, collect, run, finish; ahead is what a child did before its request, off the clock).

    python bench/validate_bench.py                      # all fixtures, jobs 1, 2 and all cores
    python bench/validate_bench.py --jobs 2 --fixtures inventory_wrong_variable --candidates 200
    python bench/validate_bench.py --jobs 1 2 --fixtures --oss 2     # OSS bugs only
    python bench/validate_bench.py --jobs 2 --looping                # looping programs
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

from repair.fix import RepairConfig, _validation_timeouts, _with_tests
from repair.localize import line_scores, scores_by_file
from repair.policy import SearchPolicy
from repair.rank import FileView, import_signal, rank_candidates, suspicious_regions
from repair.source import apply_edits, parse, tokens
from repair.states import State
from repair.testrun import SuiteRun, run_suite
from repair.time_limits import limits_from_run
from repair.validate import Request, Validator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LOOPING = Path(__file__).resolve().parent / "looping"


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
    """The requests as the search sends them from the unchanged program (`repair.fix`): the
    failing tests' messages there, so a candidate stops once those tests fail exactly as
    before, and first the failing tests, at most `looping_first` of those that time out."""
    if not requests:
        return requests
    failing = requests[0].first
    baseline = validator.validate(Request({}, failing, rest=True, max_failures=None))
    failing = tuple(baseline.failed) or failing
    messages = {nodeid: baseline.messages.get(nodeid, "") for nodeid in failing}
    timed_out = frozenset(
        n for n, (outcome, _) in baseline.outcomes.items() if outcome == "timeout"
    )
    start = State({}, (), failing, messages, timed_out=timed_out)
    first = start.first_tests(SearchPolicy().looping_first)
    return [replace(request, baseline=messages, first=first) for request in requests]


_REQUESTS: dict[tuple[Project, int], tuple[list[Request], int]] = {}
_RUNS: dict[Project, SuiteRun] = {}  # each project's first run, as `repair fix` makes it


def _candidate_requests(project: Project, count: int) -> tuple[list[Request], int]:
    root = project.root
    tests = [root / path for path in project.tests]
    config = RepairConfig()
    run = run_suite(
        root, tests, [root / path for path in project.sources],
        per_test_timeout=config.test_timeout, timeout_after_timeout=1.0,
    )  # fmt: skip
    _RUNS[project] = run
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
    project: Project,
    jobs: int,
    count: int,
    baseline: bool,
    all_tests: bool = False,
    short_limits: bool = True,
    limit_settings: dict[str, float] | None = None,
) -> dict:
    requests, tests = candidate_requests(project, count)
    root = project.root
    config = RepairConfig()
    config.limits = replace(config.limits, **(limit_settings or {}))
    run = _RUNS[project]
    per_test, per_candidate = _validation_timeouts(run, config)
    limits = limits_from_run(run, config.limits, per_test) if short_limits else None
    with Validator(
        root, list(project.tests), jobs=jobs, per_test_timeout=per_test,
        candidate_timeout=per_candidate, limits=limits,
    ) as v:  # fmt: skip
        v.validate_many([requests[0]] * jobs)  # wait until every worker is warm
        if baseline:
            requests = with_baseline(requests, v)
        if all_tests:
            requests = [replace(request, only=None) for request in requests]
        cpu = _cpu_seconds(v)
        started = time.monotonic()
        results = v.validate_many(requests)
        seconds = time.monotonic() - started
        cpu = _cpu_seconds(v) - cpu
        modes = sorted({worker.mode for worker in v._workers})
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
    timeouts = sum(any(o == "timeout" for o, _ in r.outcomes.values()) for r in results)
    steps = sorted({step for result in results for step in result.stages})
    return {
        "fixture": project.name,
        "tests": tests,
        "jobs": jobs,
        "candidates": len(requests),
        "seconds": round(seconds, 3),
        "per_second": round(len(requests) / seconds, 1),
        # CPU time the validation took (this process, the workers, their children reaped so
        # far): what a busy machine inflates least (the wall clock also waits on pipes, forks)
        "cpu_ms_per_candidate": round(1000 * cpu / len(requests), 1),
        "statuses": statuses,
        "worker_mode": ",".join(modes),  # "session": suite collected once; "main": pytest.main
        "short_limits": short_limits,
        "with_timeout": timeouts,  # candidates with a test that timed out (looped)
        "passed": sum(result.all_passed for result in results),
        "tests_run_median": statistics.median(len(result.outcomes) for result in results),
        "step_ms_median": {
            step: round(1000 * statistics.median(r.stages.get(step, 0.0) for r in results), 2)
            for step in steps
        },
    }


def _cpu_seconds(validator: Validator) -> float:
    """CPU time of this process and of the validator's workers with their children reaped so
    far (Linux /proc: utime, stime, cutime, cstime)."""
    total = time.process_time()
    ticks = os.sysconf("SC_CLK_TCK")
    for worker in validator._workers:
        try:
            with open(f"/proc/{worker.process.pid}/stat", "rb") as file:
                data = file.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2 :].split()
        total += sum(int(value) for value in fields[11:15]) / ticks  # fields 14-17
    return total


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
    parser.add_argument("--looping", action="store_true", help="the programs of bench/looping")
    parser.add_argument(
        "--no-short-limits",
        action="store_true",
        help="every test gets the full per-test timeout (validation before short limits)",
    )
    parser.add_argument(
        "--limit",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="LimitPolicy knobs (floor, own_factor, slowest_factor)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    limit_settings = {k: float(v) for k, v in (item.split("=", 1) for item in args.limit)}
    cores = len(os.sched_getaffinity(0))
    jobs_list = args.jobs or sorted({1, 2, cores})
    names = args.fixtures
    if args.looping:
        projects = [Project(p.name, p) for p in sorted(LOOPING.iterdir()) if (p / "tests").is_dir()]
        projects = [p for p in projects if names is None or p.name in names]
    else:
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
                project, jobs, args.candidates, not args.no_baseline, args.all_tests,
                not args.no_short_limits, limit_settings,
            )  # fmt: skip
            row["load_average"] = round(os.getloadavg()[0], 2)
            rows.append(row)
            if not args.json:
                print(
                    f"{row['fixture']:<38} jobs={jobs:<3} {row['candidates']:>4} candidates "
                    f"{row['seconds']:>7.2f} s  {row['per_second']:>6.1f}/s  "
                    f"load {row['load_average']:.1f}  {row['worker_mode']}  {row['statuses']}  "
                    f"looped {row['with_timeout']}  passed {row['passed']}  "
                    f"cpu {row['cpu_ms_per_candidate']} ms/candidate  "
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
