"""Two search policies on the repair benchmark's dev split, paired: each bug is repaired under
policy A and then policy B before the next bug, so both see the same machine load.

    python bench/repair_bench_ab.py --a real_operators=false,plausible_share=0 --b "" \\
        [--size two-token] [--timeout 30] [--limit N]

A and B are comma-separated `SearchPolicy` settings ("" is the default policy); the bugs are
`bench/repair_bench.py`'s dev split with its default seeding (never the test split). Reports per
policy: plausible and exact fixes, median candidates and test runs per fix, median seconds, and
the bugs whose outcome differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import repair_bench  # noqa: E402 - bench/ is not a package

from repair.policy import with_settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", default="", help="policy A: NAME=VALUE[,NAME=VALUE]")
    parser.add_argument("--b", default="", help="policy B")
    parser.add_argument("--size", choices=("single-token", "two-token", "all"), default="all")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per bug and policy")
    parser.add_argument("--limit", type=int, default=0, help="at most N bugs")
    parser.add_argument("--only", nargs="*", default=None, help="case names")
    parser.add_argument("--show", action="store_true", help="print each repair's patches")
    parser.add_argument("--model", type=Path, nargs="*", default=[])
    args = parser.parse_args(argv)
    seeding = argparse.Namespace(
        humaneval=29, seed=0, no_fixtures=False, fixture_seeds=1, no_oss=False,
        oss=",".join(p.name for p in repair_bench.OSS_PROJECTS if p.default), oss_bugs=6,
        cache=repair_bench.DEFAULT_CACHE, model=args.model, timeout=args.timeout,
        test_timeout=1.0, jobs=0,
    )  # fmt: skip
    policies = {}
    for name, text in (("A", args.a), ("B", args.b)):
        base = repair_bench.repair_config(seeding, use_model=True)
        policy = with_settings(base.policy, [item for item in text.split(",") if item])
        policies[name] = dataclasses.replace(base, policy=policy)
    load_before, started = os.getloadavg()[0], time.monotonic()
    rows: dict[str, list[dict]] = {"A": [], "B": []}
    differing = []
    with tempfile.TemporaryDirectory(prefix="repair-bench-ab-") as folder:
        cases = repair_bench.dev_cases(seeding, parser, Path(folder))
        if args.size != "all":
            cases = [case for case in cases if case.size == args.size]
        if args.only:
            cases = [case for case in cases if case.name in args.only]
        cases = cases[: args.limit] if args.limit else cases
        for case in cases:
            pair = {name: _run(case, config, args.show) for name, config in policies.items()}
            for name, row in pair.items():
                rows[name].append(row)
            outcome = {name: _outcome(row) for name, row in pair.items()}
            print(f"{case.name:<44} A: {outcome['A']:<10} {pair['A']['candidates']:>5}  "
                  f"B: {outcome['B']:<10} {pair['B']['candidates']:>5}", flush=True)  # fmt: skip
            if outcome["A"] != outcome["B"]:
                differing.append(f"{case.name}: A {outcome['A']}, B {outcome['B']}")
    print()
    print("| policy | settings | bugs | plausible | exact | median candidates / fix | "
          "median test runs / fix | median s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for name, text in (("A", args.a), ("B", args.b)):
        group = rows[name]
        fixed = [row for row in group if row["fixed"]]
        print(
            f"| {name} | {text or 'defaults'} | {len(group)} | {len(fixed)} | "
            f"{sum(row['exact'] for row in group)} | "
            f"{_median([row['candidates'] for row in fixed])} | "
            f"{_median([row['test_runs'] for row in fixed])} | "
            f"{_median([row['seconds'] for row in group])} |"
        )
    print("differing: " + ("; ".join(differing) or "none"))
    print(f"bugs: {args.size}; {args.timeout:g} s per bug and policy; load {load_before:.1f} "
          f"before, {os.getloadavg()[0]:.1f} after; {(time.monotonic() - started) / 60:.1f} min")  # fmt: skip
    return 0


def _run(case, config, show: bool) -> dict:
    if not show:
        return repair_bench.run_case(case, config)
    result = repair_bench.fix(case.sources, case.tests, config)
    for patch in result.patches:
        edits = ", ".join(f"{e.line} {e.kind}: {e.old!r} -> {e.new!r}" for e in patch.edits)
        print(
            f"  patch {patch.score:.3g} (p {patch.probability:.3g}, {patch.size} tokens): {edits}"
        )
    print(f"  doubt: {result.doubt or '-'}; {result.candidates_tried} candidates")
    return repair_bench.row_of(case.name, result, case.expected_patch, repair_bench.FIXED)


def _outcome(row: dict) -> str:
    return "exact" if row["exact"] else "plausible" if row["fixed"] else "none"


def _median(values: list) -> str:
    return f"{statistics.median(values):g}" if values else "-"


if __name__ == "__main__":
    sys.exit(main())
