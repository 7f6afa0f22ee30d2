"""How long tests take while candidates are validated against what the first run said, on the
development split: the data that chose `repair.time_limits.LimitPolicy`.

For each bug (the realbugs dev split, `bench/realbugs.py`, and the fixtures of fixtures/), in the
bug's own python: the first run as `repair fix` makes it (under coverage), then `--reps`
validations with the full per-test limit (no short limits) of the unchanged program and of the
human fix, every test run. Then, for a grid of knobs, which tests a short limit would have cut:

- a test that passed in the first run and in a validation: cut when its validation time exceeds
  max(floor, own_factor x its first-run time);
- a test the bug fails that the human fix passes: cut when the fix's validation time exceeds
  max(floor, slowest_factor x the slowest passing test of the first run).

A cut is not a wrong answer (a cut test is a "timeout", run again in full when it alone keeps a
candidate from passing), but it costs that run again, or drops a candidate that stops early on
it; so the chosen knobs cut none here, with a margin.

    python bench/time_limits_fit.py                     # dev bugs + fixtures
    python bench/time_limits_fit.py --realbugs sqlparse-1 --no-fixtures
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
FIXTURES = HERE.parent / "fixtures"

# In the bug's python: the first run and the validations, as JSON.
MEASURE = """
import json, sys
from pathlib import Path
from repair.fix import RepairConfig, _validation_timeouts
from repair.testrun import run_suite
from repair.validate import Request, Validator
root, src, reps, fixed_path, fixed_file = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
tests = sys.argv[6:]
config = RepairConfig()
run = run_suite(root, [root / t for t in tests], [root / src], per_test_timeout=config.test_timeout,
                total_timeout=600, timeout_after_timeout=1.0)
per_test, per_candidate = _validation_timeouts(run, config)
fixed = {fixed_path: Path(fixed_file).read_bytes()}
found = {"first": {r.nodeid: [r.outcome, r.duration] for r in run.results},
         "unchanged": [], "fixed": [], "per_test": per_test}
with Validator(root, tests, jobs=1, per_test_timeout=per_test,
               candidate_timeout=max(60.0, per_candidate)) as validator:
    validator.validate(Request({}, (), rest=False))  # warm
    for _ in range(reps):
        for key, files in (("unchanged", {}), ("fixed", fixed)):
            result = validator.validate(Request(files, (), max_failures=None))
            found[key].append({n: [o, result.durations.get(n, 0.0)]
                               for n, (o, _) in result.outcomes.items()})
print(json.dumps(found))
"""

OWN_FACTORS = (2.0, 3.0, 5.0, 10.0)
SLOWEST_FACTORS = (3.0, 5.0, 10.0, 20.0)
FLOORS = (0.01, 0.02, 0.03, 0.05, 0.1)


def measure(python: str, root: Path, src: str, tests: list[str], fixed: dict, reps: int) -> dict:
    ((path, data),) = fixed.items()
    with tempfile.NamedTemporaryFile(suffix=".py") as file:
        file.write(data)
        file.flush()
        done = subprocess.run(
            [python, "-c", MEASURE, str(root), src, str(reps), path, file.name, *tests],
            cwd=root, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True,
        )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def realbug_cases(ids: list[str] | None, folder: Path):
    from realbugs import bug_files, load_bugs
    from realbugs_env import GIT_ROOT, ensure_venv, materialize

    for bug in load_bugs("dev", ids):
        python = str(ensure_venv(bug, log=lambda message: print(message, file=sys.stderr)))
        tree = materialize(bug, folder / bug["id"], buggy=True)
        _, after = bug_files(bug, GIT_ROOT)
        yield bug["id"], python, tree, bug["src"], bug["test_files"], {bug["file"]: after.encode()}


def fixture_cases():
    for root in sorted(p for p in FIXTURES.iterdir() if (p / "bug.json").exists()):
        bug = json.loads((root / "bug.json").read_text())
        paths = {edit["path"] for edit in bug["edits"]}
        if len(paths) != 1:
            continue  # one changed file per case here
        (path,) = paths
        text = (root / path).read_text()
        for edit in bug["edits"]:
            text = text.replace(edit["buggy"], edit["fixed"], 1)
        yield root.name, sys.executable, root, ".", ["tests"], {path: text.encode()}


def analyse(name: str, found: dict) -> dict:
    first = found["first"]
    passing = {n: d for n, (o, d) in first.items() if o == "passed"}
    slowest = max(passing.values(), default=0.0)
    # per test: the longest validation time over the repetitions (unchanged program)
    own_worst: dict[str, float] = {}
    for rep in found["unchanged"]:
        for nodeid, (outcome, seconds) in rep.items():
            if outcome == "passed" and nodeid in passing:
                own_worst[nodeid] = max(own_worst.get(nodeid, 0.0), seconds)
    fixed_worst: dict[str, float] = {}
    failing = {n for n, (o, _) in first.items() if o != "passed" and o != "skipped"}
    for rep in found["fixed"]:
        for nodeid, (outcome, seconds) in rep.items():
            if outcome == "passed" and nodeid in failing:
                fixed_worst[nodeid] = max(fixed_worst.get(nodeid, 0.0), seconds)
    own_cuts = {
        f"{k:g}/{floor:g}": sum(v > max(floor, k * passing[n]) for n, v in own_worst.items())
        for k in OWN_FACTORS
        for floor in FLOORS
    }
    slowest_cuts = {
        f"{m:g}/{floor:g}": sum(v > max(floor, m * slowest) for v in fixed_worst.values())
        for m in SLOWEST_FACTORS
        for floor in FLOORS
    }
    ratios = [v / passing[n] for n, v in own_worst.items() if passing[n] > 0]
    return {
        "case": name,
        "tests": len(first),
        "passing": len(passing),
        "slowest_pass_s": round(slowest, 4),
        "own_ratio_max": round(max(ratios, default=0.0), 2),
        "own_worst_s": round(max(own_worst.values(), default=0.0), 4),
        "fixed_failing_s": {n.split("::")[-1]: round(v, 4) for n, v in fixed_worst.items()},
        "fixed_over_slowest": round(max(fixed_worst.values(), default=0.0) / slowest, 2)
        if slowest
        else None,
        "own_cuts": own_cuts,
        "slowest_cuts": slowest_cuts,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realbugs", nargs="*", default=None, help="dev bug ids (default all)")
    parser.add_argument("--no-realbugs", action="store_true")
    parser.add_argument("--no-fixtures", action="store_true")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    print(f"cores {len(os.sched_getaffinity(0))}, load {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="limits-fit-") as scratch:
        cases = []
        if not args.no_realbugs:
            cases.append(realbug_cases(args.realbugs, Path(scratch)))
        if not args.no_fixtures:
            cases.append(fixture_cases())
        for group in cases:
            for name, python, root, src, tests, fixed in group:
                found = measure(python, root, src, tests, fixed, args.reps)
                row = analyse(name, found)
                row["load"] = round(os.getloadavg()[0], 2)
                rows.append(row)
                print(
                    f"{name:<34} {row['tests']:>4} tests  slowest pass {row['slowest_pass_s']:.4f}"
                    f" s  own ratio max {row['own_ratio_max']:<6} fixed failing / slowest "
                    f"{row['fixed_over_slowest']}  {row['fixed_failing_s']}  load {row['load']}",
                    flush=True,
                )
    header = "".join(f"{f'floor {floor:g}':>12}" for floor in FLOORS)
    print("\npassing tests cut in a validation, summed over the cases (rows: own_factor):")
    print(f"{'':>10}{header}")
    for k in OWN_FACTORS:
        cuts = [sum(row["own_cuts"][f"{k:g}/{floor:g}"] for row in rows) for floor in FLOORS]
        print(f"{k:>10g}" + "".join(f"{cut:>12}" for cut in cuts))
    print("failing tests the human fix passes, cut (rows: slowest_factor):")
    print(f"{'':>10}{header}")
    for m in SLOWEST_FACTORS:
        cuts = [sum(row["slowest_cuts"][f"{m:g}/{floor:g}"] for row in rows) for floor in FLOORS]
        print(f"{m:>10g}" + "".join(f"{cut:>12}" for cut in cuts))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
