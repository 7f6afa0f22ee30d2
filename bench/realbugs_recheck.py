"""Do the patches a run printed still pass when the project's whole suite judges them?

Reads a saved run (`bench/results/realbugs_<split>.json`, made with the bug's test files as
`--tests`), applies each printed patch (plausible or correct) to its bug's buggy tree, and runs
the whole suite of `bench/realbugs_suite.py` on it: the test files of the bug's test folders that
pass on the fixed tree here. This separates the oracle from the budget: a wrong patch the whole
suite rejects would not have been printed by a run handed the whole suite, however long it ran.

    python bench/realbugs_recheck.py bench/results/realbugs_dev_reserve.json \
        [--out bench/results/realbugs_dev_recheck.txt]
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realbugs import find_bug  # noqa: E402
from realbugs_env import GIT_ROOT, ensure_venv, materialize, run_outcomes  # noqa: E402
from realbugs_equivalent import judged_equivalent  # noqa: E402
from realbugs_suite import PASSING, suite_files  # noqa: E402


def printed_patches(rows: list[dict]) -> dict[str, list[dict]]:
    """bug id -> the rows of a saved run whose patch was printed (correct or plausible)."""
    printed: dict[str, list[dict]] = {}
    for row in rows:
        if row.get("outcome") in ("correct", "plausible") and row.get("diff"):
            printed.setdefault(row["id"], []).append(row)
    return printed


def apply_patch(tree: Path, diff: str) -> None:
    """A printed patch (`--- a/PATH` / `+++ b/PATH`) applied to a tree."""
    subprocess.run(
        ["patch", "-p1", "--quiet", "--batch"], input=diff.encode(), cwd=tree, check=True
    )


def recheck(bug: dict, diffs: dict[str, str], git_root: Path) -> dict[str, dict]:
    """mode -> {"passes": bool, "failing": [node ids]} for each printed patch of one bug."""
    python = ensure_venv(bug, log=lambda message: print(message, file=sys.stderr))
    verdicts = {}
    with tempfile.TemporaryDirectory(prefix="realbugs-recheck-") as tmp:
        fixed = materialize(bug, Path(tmp) / "fixed", git_root, buggy=False)
        kept, _ = suite_files(bug, functools.partial(run_outcomes, python, fixed, timeout=600))
        for mode, diff in diffs.items():
            tree = materialize(bug, Path(tmp) / mode, git_root, buggy=True)
            apply_patch(tree, diff)
            outcomes = run_outcomes(python, tree, kept, timeout=600)
            failing = sorted(node for node, result in outcomes.items() if result not in PASSING)
            verdicts[mode] = {"passes": bool(outcomes) and not failing, "failing": failing}
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path, help="a saved run (bench/results/realbugs_*.json)")
    parser.add_argument("--git-root", type=Path, default=GIT_ROOT)
    parser.add_argument("--out", type=Path, help="also write the table here")
    args = parser.parse_args(argv)
    printed = {
        bug_id: {row["mode"]: row for row in rows}
        for bug_id, rows in printed_patches(json.loads(args.json.read_text())["rows"]).items()
    }
    lines = [
        f"$ python bench/realbugs_recheck.py {args.json}",
        "",
        "| bug | mode | outcome | judged equivalent | the whole suite | failing there |",
        "|---|---|---|---|---|---|",
    ]
    counts: dict[tuple[str, bool], int] = {}
    for bug_id, by_mode in printed.items():
        bug = find_bug(bug_id)
        verdicts = recheck(bug, {m: r["diff"] for m, r in by_mode.items()}, args.git_root)
        for mode, row in by_mode.items():
            verdict = verdicts[mode]
            counts[(row["outcome"], verdict["passes"])] = (
                counts.get((row["outcome"], verdict["passes"]), 0) + 1
            )
            equivalent = "yes" if judged_equivalent(bug_id, row["diff"]) else ""
            failing = ", ".join(node.split("::")[-1] for node in verdict["failing"][:3])
            more = len(verdict["failing"]) - 3
            failing += f" (+{more})" if more > 0 else ""
            passes = "passes" if verdict["passes"] else f"fails {len(verdict['failing'])}"
            lines.append(
                f"| {bug_id} | {mode} | {row['outcome']} | {equivalent} | {passes} | {failing} |"
            )
            print(lines[-1], flush=True)
    lines += ["", "| printed as | passes the whole suite | fails it |", "|---|---|---|"]
    for outcome in ("correct", "plausible"):
        lines.append(
            f"| {outcome} | {counts.get((outcome, True), 0)} | {counts.get((outcome, False), 0)} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
