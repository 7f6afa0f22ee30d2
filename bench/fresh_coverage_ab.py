"""A/B of `RepairConfig.fresh_coverage`: a partial fix's signals from its own coverage run, or from
the first run's coverage with the partial fix's outcomes, on two-token held-out HumanEval bugs
(seeded as `bench/repair_bench.py` seeds them).

    python bench/fresh_coverage_ab.py [--bugs 12] [--timeout 30] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repair_bench import humaneval_cases  # noqa: E402

from repair.fix import FIXED, RepairConfig, fix  # noqa: E402
from repair.policy import SearchPolicy  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bugs", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fresh-coverage-ab-") as folder:
        cases = [c for c in humaneval_cases(29, 0, Path(folder)) if c.size == "two-token"]
        cases = sorted(cases, key=lambda case: case.name)[: args.bugs]
        rows = {True: [], False: []}
        for fresh in (False, True):
            for case in cases:
                policy = SearchPolicy(fresh_coverage=fresh)
                config = RepairConfig(timeout=args.timeout, policy=policy, jobs=args.jobs)
                started = time.monotonic()
                result = fix(case.sources, case.tests, config)
                row = {
                    "case": case.name,
                    "fresh": fresh,
                    "fixed": result.status == FIXED,
                    "candidates": result.candidates_tried,
                    "test_runs": result.test_runs,
                    "seconds": round(time.monotonic() - started, 1),
                }
                rows[fresh].append(row)
                print(json.dumps(row), flush=True)
    print(f"\nsplit: held-out HumanEval, two-token bugs ({len(cases)}), timeout {args.timeout:g} s")
    for fresh, label in ((False, "first run's coverage"), (True, "fresh coverage")):
        fixed = [row for row in rows[fresh] if row["fixed"]]
        runs = statistics.median([row["test_runs"] for row in fixed]) if fixed else None
        seconds = statistics.median([row["seconds"] for row in fixed]) if fixed else None
        print(
            f"{label:22s} fixed {len(fixed)}/{len(rows[fresh])}, median test runs per fix {runs}, "
            f"median s per fix {seconds}"
        )


if __name__ == "__main__":
    main()
