"""Does `repair fix --timeout T` end by T (+ 2 s)? The whole command's wall time, from the start
of its process (interpreter, imports, the model's load, the first run under coverage, the search,
the final verification) to its exit, on the realbugs dev split and the looping programs.

    python bench/budget_wall.py --timeout 10 20                 # dev bugs + looping programs
    python bench/budget_wall.py --timeout 5 --only sqlparse-1 binary_search --modes model
    python bench/budget_wall.py --timeout 60 --suite whole --only attrs-3   # the whole suite

Each row: the bug, the mode (the bundled models, or --no-model), the budget, the wall seconds,
how far over the budget, the status and stop reason `repair fix` gave, and the machine's load.
A real bug runs in its venv (`bench/realbugs.py`) on a scratch copy of its buggy tree; test-split
bugs are refused.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
LOOPING = HERE / "looping"
MODES = {"model": [], "no-model": ["--no-model"]}
ALLOWED_OVER = 2.0  # seconds past the budget the issue allows


def cases(only: list[str] | None, folder: Path, suite: str = "files"):
    """(name, python, tree, src, test paths) of the dev bugs and the looping programs. With
    `suite` "whole", a bug's tests are its project's whole suite as `bench/realbugs.py run
    --suite whole` hands it (the files that pass on the fixed tree)."""
    from realbugs import load_bugs
    from realbugs_env import ensure_venv, materialize, run_outcomes
    from realbugs_suite import suite_files

    for bug in load_bugs("dev", only):
        python = str(ensure_venv(bug, log=lambda message: print(message, file=sys.stderr)))
        tree = materialize(bug, folder / bug["id"], buggy=True)
        tests = bug["test_files"]
        if suite == "whole":
            fixed = materialize(bug, folder / f"{bug['id']}-fixed", buggy=False)
            tests, _ = suite_files(bug, functools.partial(run_outcomes, python, fixed, timeout=600))
        yield bug["id"], python, tree, bug["src"], tests
    for root in sorted(p for p in LOOPING.iterdir() if (p / "tests").is_dir()):
        if not only or root.name in only:
            yield root.name, sys.executable, root, ".", ["tests"]


def wall(python: str, tree: Path, src: str, tests: list[str], mode: str, budget: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="budget-wall-") as tmp:
        copy = Path(tmp) / "tree"
        shutil.copytree(tree, copy, symlinks=True)
        command = [python, "-m", "repair", "fix", src, "--json", "--timeout", str(budget)]
        command += MODES[mode]
        for test in tests:
            command += ["--tests", test]
        started = time.monotonic()
        done = subprocess.run(
            command, cwd=copy, capture_output=True, text=True, stdin=subprocess.DEVNULL,
            timeout=3 * budget + 120,
        )  # fmt: skip
        seconds = time.monotonic() - started
    result = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    error = "" if result else (done.stderr.strip().splitlines() or ["no output"])[-1]
    return {
        "wall_s": round(seconds, 2),
        "over_s": round(seconds - budget, 2),
        "status": result.get("status", f"exit {done.returncode}"),
        "stop": result.get("stop_reason", error[:80]),
        "repair_s": result.get("seconds"),
        "candidates": result.get("candidates_tried"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, nargs="*", default=[10.0, 20.0])
    parser.add_argument("--only", nargs="*", default=None, help="dev bug ids / looping programs")
    parser.add_argument("--modes", nargs="*", choices=MODES, default=list(MODES))
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--suite", choices=("files", "whole"), default="files",
        help="a dev bug's --tests: its test files, or its project's whole suite",
    )  # fmt: skip
    args = parser.parse_args(argv)
    print(f"cores {len(os.sched_getaffinity(0))}, load {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="budget-wall-trees-") as scratch:
        for name, python, tree, src, tests in cases(args.only, Path(scratch), args.suite):
            for budget in args.timeout:
                for mode in args.modes:
                    row = {"case": name, "mode": mode, "budget_s": budget}
                    row.update(wall(python, tree, src, tests, mode, budget))
                    row["load"] = round(os.getloadavg()[0], 2)
                    rows.append(row)
                    flag = "  OVER" if row["over_s"] > ALLOWED_OVER else ""
                    print(
                        f"{name:<20} {mode:<9} budget {budget:>5g} s  wall {row['wall_s']:>6.2f} s"
                        f"  over {row['over_s']:>+6.2f} s  {row['status']:<14} {row['stop']:<40}"
                        f"  load {row['load']}{flag}",
                        flush=True,
                    )
    if rows:
        worst = max(rows, key=lambda row: row["over_s"])
        over = sum(row["over_s"] > ALLOWED_OVER for row in rows)
        print(
            f"\n{len(rows)} runs; {over} more than {ALLOWED_OVER:g} s over; worst "
            f"{worst['over_s']:+.2f} s ({worst['case']}, {worst['mode']}, {worst['budget_s']:g} s)"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
