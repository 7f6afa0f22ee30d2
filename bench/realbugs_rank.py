"""Where the human fix stands in `repair fix`'s first ranking, per real bug (dev split only).

    python bench/realbugs_rank.py [--only ID ...] [--no-model] [--model PATH] [--out FILE]

For each bug: the buggy tree is materialized, its test files run once under coverage (as
`repair fix` starts), and the first round's candidates ranked exactly as the search ranks them
(`repair.fix._ranked`, the default policy). Each candidate is applied to the buggy file; the
human fix's place is the position of the first candidate whose file has the human fix's code
tokens or AST (`realbugs_score.is_human_fix`), counted in distinct programs (the search validates
a program once). A fix no single candidate makes is `unreachable in one edit`: an operator is
missing, or the fix needs two edits. The order tells whether a bug the benchmark misses is lost
to the edit space or to the ranking, before any candidate is validated. Runs in each bug's venv
(`realbugs_env.ensure_venv`) with this checkout's `repair/` on PYTHONPATH.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

import realbugs  # noqa: E402 - bench/ is not a package
from realbugs_env import GIT_ROOT, ensure_venv, materialize  # noqa: E402

HERE = Path(__file__).resolve().parent
CHILD = HERE / "realbugs_rank_child.py"


def rank_bug(bug: dict, model: list[str], timeout: float) -> dict:
    python = ensure_venv(bug, log=realbugs.say)
    before, after = realbugs.bug_files(bug, GIT_ROOT)
    with tempfile.TemporaryDirectory(prefix="realbugs-rank-") as tmp:
        buggy = materialize(bug, Path(tmp) / "buggy", GIT_ROOT, buggy=True)
        fixed = Path(tmp) / "fixed.py"
        fixed.write_text(after, encoding="utf-8")
        command = [str(python), str(CHILD), "--src", bug["src"], "--file", bug["file"]]
        command += ["--fixed", str(fixed), *model]
        for test_file in bug["test_files"]:
            command += ["--tests", test_file]
        env = {**os.environ, "PYTHONPATH": f"{HERE.parent}{os.pathsep}{HERE}"}
        done = subprocess.run(
            command, cwd=buggy, capture_output=True, text=True, env=env, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    if not done.stdout.strip().startswith("{"):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"id": bug["id"], "error": tail}
    return {"id": bug["id"], **json.loads(done.stdout)}


def table(bugs: list[dict], rows: list[dict]) -> str:
    by_id = {row["id"]: row for row in rows}
    lines = [
        "| bug | shape (tokens) | candidates | human fix at | its kind | its score | first-ranked "
        "| lines before it, on its line | entries from the tests (first positions) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for bug in bugs:
        row = by_id[bug["id"]]
        if "error" in row:
            lines.append(f"| {bug['id']} | {bug['shape']} ({bug['tokens']}) | error: "
                         f"{row['error'][:80]} | | | | | |")  # fmt: skip
            continue
        at = row["position"]
        place = f"{at}" if at else "unreachable in one edit"
        if not at and not row.get("near"):
            place = "not ranked: no candidate on its lines"
        if row.get("deferred"):
            place += " (deferred)"
        lines.append(
            f"| {bug['id']} | {bug['shape']} ({bug['tokens']}) | {row['programs']} | {place} | "
            f"{row.get('kind', '')} | {row.get('score', '')} | {row['first'][:60]} | "
            f"{row.get('lines_before', '')}, {row.get('on_its_line', '')} | "
            f"{len(row.get('entries', []))}: {row.get('entries', [])[:5]} |"
        )
    reached = [row for row in rows if row.get("position")]
    within = [row for row in reached if row["position"] <= 1000]
    lines.append("")
    lines.append(
        f"reachable in one edit: {len(reached)} of {len(rows)}; ranked within the first 1000 "
        f"distinct programs: {len(within)}; positions {sorted(r['position'] for r in reached)}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="bug ids (default: all dev)")
    parser.add_argument("--no-model", action="store_true", help="the model-free prior's order")
    parser.add_argument("--model", action="append", default=[], help="checkpoint (repeatable)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per bug at most")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    parser.add_argument(
        "--set", action="append", default=[], help="NAME=VALUE, a SearchPolicy knob"
    )
    args = parser.parse_args(argv)
    bugs = realbugs.load_bugs("dev", args.only)
    model = ["--no-model"] if args.no_model else [f"--model={path}" for path in args.model]
    model += [f"--set={assignment}" for assignment in args.set]
    started, rows = time.monotonic(), []
    for bug in bugs:
        try:
            row = rank_bug(bug, model, args.timeout)
        except subprocess.TimeoutExpired:
            row = {"id": bug["id"], "error": f"ran past {args.timeout:g} s"}
        rows.append(row)
        realbugs.say(f"{bug['id']:<20} {row.get('position', row.get('error'))}")
    mode = "--no-model" if args.no_model else (" + ".join(args.model) or "bundled models")
    text = "\n".join([
        f"$ python bench/realbugs_rank.py {' '.join(sys.argv[1:] if argv is None else argv)}",
        f"(dev split; {mode}; {(time.monotonic() - started) / 60:.1f} min)",
        "",
        table(bugs, rows),
    ])  # fmt: skip
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
