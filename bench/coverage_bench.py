"""The first test run's cost: `repair.testrun.run_suite` (pytest under per-test coverage) against
plain pytest on the same tests, on synthetic suites (many fast tests over many modules, where a
per-test cost of the coverage bookkeeping shows) and on real bugs of the dev split.

    python bench/coverage_bench.py                              # synthetic suites
    python bench/coverage_bench.py --synthetic --realbugs sqlparse-1 more-itertools-1
    python bench/coverage_bench.py --realbugs all               # every dev bug (venvs first)

Synthetic: `--tests` tests (parametrized) spread over `--modules` source modules, each test
running one small function. Real bugs: the bug's buggy tree and venv (`bench/realbugs.py`), its
test files, its `src`; test-split bugs are refused. Each row: plain pytest's wall seconds, the
coverage run's each way (`--ways`: fast, each test's lines read from coverage's collector, as
`repair` runs; contexts, a dynamic context per test and coverage-data queries, as it ran before
and as its fallback does), their ratios, the tests with a result, and the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# fast: each test's lines read from coverage's collector (repair.testrun.FAST_LINES); contexts:
# a dynamic context per test and coverage-data queries per file per test (the runner before)
WAYS = ("fast", "contexts")

# run_suite in the python that runs the tests (a real bug's venv sees repair through a .pth)
RUN_SUITE = """
import json, sys, time
from pathlib import Path
import repair.testrun
from repair.testrun import run_suite
way, root, src, tests = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4:]
repair.testrun.FAST_LINES = way == "fast"
started = time.monotonic()
run = run_suite(root, [root / t for t in tests], [root / src], per_test_timeout=5.0,
                total_timeout=1800, timeout_after_timeout=1.0)
print(json.dumps({"seconds": time.monotonic() - started, "results": len(run.results),
                  "failed": len(run.failed), "timed_out": run.timed_out,
                  "covered_lines": sum(len(lines) for lines in run.line_coverage.values())}))
"""


def synthetic(folder: Path, tests: int, modules: int) -> Path:
    root = folder / f"synthetic-{tests}x{modules}"
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    for index in range(modules):
        (root / "pkg" / f"m{index}.py").write_text(
            f"def f(x):\n    if x % 3:\n        return x + {index}\n    return x\n"
        )
    (root / "tests" / "test_many.py").write_text(
        "import importlib\n\nimport pytest\n\n"
        f"MODULES = [importlib.import_module(f'pkg.m{{i}}') for i in range({modules})]\n\n\n"
        f"@pytest.mark.parametrize('n', range({tests}))\n"
        f"def test_one(n):\n    assert MODULES[n % {modules}].f(n) >= 0\n"
    )
    (root / "pytest.ini").write_text("[pytest]\n")
    return root


def plain_pytest(python: str, root: Path, tests: list[str]) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    started = time.monotonic()
    subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=root, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False,
    )  # fmt: skip
    return time.monotonic() - started


def coverage_run(python: str, root: Path, src: str, tests: list[str], way: str) -> dict:
    done = subprocess.run(
        [python, "-c", RUN_SUITE, way, str(root), src, *tests],
        cwd=root, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(name: str, python: str, root: Path, src: str, tests: list[str], ways: list[str]) -> dict:
    """Plain pytest, then the coverage run each way, back to back (a shared machine's load
    changes from minute to minute)."""
    plain = plain_pytest(python, root, tests)
    result = {"case": name, "plain_s": round(plain, 2)}
    for way in ways:
        covered = coverage_run(python, root, src, tests, way)
        result[way] = {
            "seconds": round(covered["seconds"], 2),
            "ratio": round(covered["seconds"] / plain, 2),
            "results": covered["results"],
            "failed": covered["failed"],
            "timed_out": covered["timed_out"],
            "covered_lines": covered["covered_lines"],
        }
    result["load"] = round(os.getloadavg()[0], 2)
    return result


def realbug_rows(ids: list[str], folder: Path, ways: list[str]) -> list[dict]:
    from realbugs import load_bugs
    from realbugs_env import ensure_venv, materialize

    bugs = load_bugs("dev")
    if ids != ["all"]:
        known = {bug["id"] for bug in bugs}
        refused = [bug_id for bug_id in ids if bug_id not in known]
        if refused:
            raise SystemExit(f"not dev-split bugs (refused): {', '.join(refused)}")
        bugs = [bug for bug in bugs if bug["id"] in ids]
    rows = []
    for bug in bugs:
        python = str(ensure_venv(bug, log=lambda message: print(message, file=sys.stderr)))
        tree = materialize(bug, folder / bug["id"], buggy=True)
        rows.append(row(bug["id"], python, tree, bug["src"], bug["test_files"], ways))
        print_row(rows[-1])
    return rows


def print_row(result: dict) -> None:
    parts = [f"{result['case']:<24} pytest {result['plain_s']:>7.2f} s"]
    for way in WAYS:
        if way in result:
            run = result[way]
            timed_out = ", TIMED OUT" if run["timed_out"] else ""
            parts.append(
                f"{way} {run['seconds']:>7.2f} s x{run['ratio']:<5} ({run['results']} results, "
                f"{run['failed']} failing, {run['covered_lines']} lines{timed_out})"
            )
    print("  ".join(parts) + f"  load {result['load']}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", action="store_true", help="with --realbugs: both")
    parser.add_argument("--tests", type=int, nargs="*", default=[2000, 20000])
    parser.add_argument("--modules", type=int, default=40)
    parser.add_argument("--realbugs", nargs="*", default=None, help="dev bug ids, or all")
    parser.add_argument("--ways", nargs="*", choices=WAYS, default=list(WAYS))
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    print(f"cores {len(os.sched_getaffinity(0))}, load {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="coverage-bench-") as scratch:
        if args.realbugs is None or args.synthetic:
            for count in args.tests:
                root = synthetic(Path(scratch), count, args.modules)
                rows.append(row(root.name, sys.executable, root, "pkg", ["tests"], args.ways))
                print_row(rows[-1])
        if args.realbugs:
            rows += realbug_rows(args.realbugs, Path(scratch), args.ways)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
