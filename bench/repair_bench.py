"""Repair benchmark, skeleton: `repair fix` on every fixture, with the model and without it.

Per fixture and mode: fixed (all tests pass, verified), exact (the changed lines are those of the
fixture's `fix.patch`), candidates validated, test runs, seconds. The model-free baseline runs in
the same command, so the model's contribution is a ratio measured side by side. The full
benchmark of the issue (seeded BugLab-class bugs in held-out HumanEval programs and in real
projects) extends `cases()`.

    python bench/repair_bench.py                       # bundled model vs baseline
    python bench/repair_bench.py --model runs/exp4/best.pt --jobs 2 --json
    python bench/repair_bench.py --humaneval 29 --no-fixtures   # seeded bugs, held-out HumanEval

`--humaneval N` adds seeded bugs in the first N held-out HumanEval programs (never trained on):
one single-token and one two-token bug each, same-class replacements as BugLab's classes, each
checked to make a test fail, written out as small pytest projects in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from repair.fix import FIXED, RepairConfig, fix

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass(frozen=True)
class Case:
    name: str
    root: Path
    sources: list[Path]
    tests: list[Path]
    expected_patch: str  # the reference fix as a unified diff


def cases() -> list[Case]:
    found = []
    for root in sorted(FIXTURES.iterdir()):
        if (root / "bug.json").exists():
            patch = (root / "fix.patch").read_text(encoding="utf-8")
            found.append(Case(root.name, root, [root], [root / "tests"], patch))
    return found


def humaneval_cases(count: int, seed: int, folder: Path) -> list[Case]:
    """Seeded single- and two-token bugs in held-out HumanEval programs, as pytest projects."""
    import difflib
    import random

    from repair.executor import Executor
    from repair.source import Edit, apply_edits, candidates, repair_targets, tokens
    from training.data import held_out_programs

    found = []
    with Executor(workers=1) as executor:
        for program in held_out_programs()[:count]:
            clean = program.source.encode()
            token_list = tokens(clean)
            pool = [t for t in repair_targets(token_list) if candidates(t, token_list, False)]
            for size in (1, 2):
                for attempt in range(8):
                    rng = random.Random(f"{seed}:{program.name}:{size}:{attempt}")
                    chosen = rng.sample(pool, min(size, len(pool)))
                    edits = [
                        Edit(t.start, t.end, t.text, rng.choice(candidates(t, token_list, False)))
                        for t in chosen
                    ]
                    buggy = apply_edits(clean, edits)
                    if executor.run(buggy.decode(), program.tests).failed_count:
                        break
                else:
                    continue
                classes = "+".join(sorted(t.token_class.value for t in chosen))
                name = f"{program.name.replace('/', '_')}-{size}tok-{classes}"
                root = folder / name
                (root / "tests").mkdir(parents=True)
                (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
                (root / "solution.py").write_bytes(buggy)
                lines = [
                    "import solution",
                    "",
                    "",
                    "def _run(code):",
                    '    exec(compile(code, "<test>", "exec"), dict(vars(solution)))',
                    "",
                ]
                for index, test in enumerate(program.tests):
                    lines += ["", f"def test_{index}():", f"    _run({test!r})", ""]
                (root / "tests" / "test_solution.py").write_text("\n".join(lines))
                patch = "".join(
                    difflib.unified_diff(
                        buggy.decode().splitlines(keepends=True),
                        program.source.splitlines(keepends=True),
                        "a/solution.py",
                        "b/solution.py",
                    )
                )
                found.append(Case(name, root, [root / "solution.py"], [root / "tests"], patch))
    return found


def changed_lines(diff: str) -> list[str]:
    return sorted(
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def run_case(case: Case, config: RepairConfig) -> dict:
    result = fix(case.sources, case.tests, config)
    fixed = result.status == FIXED
    return {
        "case": case.name,
        "fixed": fixed,
        "exact": fixed and changed_lines(result.diff) == changed_lines(case.expected_patch),
        "candidates": result.candidates_tried,
        "test_runs": result.test_runs,
        "seconds": round(result.seconds, 2),
        "rounds": result.rounds,
    }


def summarise(rows: list[dict]) -> dict:
    seconds = sorted(row["seconds"] for row in rows)
    fixed = [row for row in rows if row["fixed"]]
    return {
        "cases": len(rows),
        "fixed": len(fixed),
        "exact": sum(row["exact"] for row in rows),
        "median_seconds": statistics.median(seconds) if seconds else 0.0,
        "p90_seconds": seconds[int(0.9 * (len(seconds) - 1))] if seconds else 0.0,
        "median_test_runs_per_fix": (
            statistics.median(row["test_runs"] for row in fixed) if fixed else None
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="default: the bundled model")
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--test-timeout", type=float, default=1.0)
    parser.add_argument("--only", nargs="*", default=None, help="case names")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--humaneval", type=int, default=0, help="held-out programs to seed")
    parser.add_argument("--no-fixtures", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="repair-bench-"))
    all_cases = [] if args.no_fixtures else cases()
    if args.humaneval:
        all_cases += humaneval_cases(args.humaneval, args.seed, folder)
    modes = {"model": True, "baseline": False}
    results: dict[str, list[dict]] = {mode: [] for mode in modes}
    for case in all_cases:
        if args.only and case.name not in args.only:
            continue
        for mode, use_model in modes.items():
            config = RepairConfig(
                use_model=use_model,
                model_path=args.model,
                timeout=args.timeout,
                test_timeout=args.test_timeout,
            )
            if args.jobs:
                config.jobs = args.jobs
            row = run_case(case, config)
            results[mode].append(row)
            if not args.json:
                print(
                    f"{mode:<9} {row['case']:<38} fixed={row['fixed']!s:<5} "
                    f"exact={row['exact']!s:<5} candidates={row['candidates']:<4} "
                    f"test_runs={row['test_runs']:<4} {row['seconds']:>6.1f} s",
                    flush=True,
                )
    summary = {mode: summarise(rows) for mode, rows in results.items()}
    for mode, rows in results.items():
        for size in ("1tok", "2tok"):
            subset = [row for row in rows if f"-{size}-" in row["case"]]
            if subset:
                summary[f"{mode} humaneval {size}"] = summarise(subset)
    if args.json:
        json.dump({"results": results, "summary": summary}, sys.stdout, indent=2)
        print()
    else:
        for mode, numbers in summary.items():
            print(f"{mode}: {numbers}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
