"""The part of `bench/realbugs_rank.py` that runs in a bug's venv, in its buggy tree (the cwd):
the first test run and ranking as `repair fix` does them, then each candidate against the human
fix. Prints one JSON object."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from realbugs_score import is_human_fix

from repair.fix import MIN_TEST_TIMEOUT, RepairConfig, _check_inputs, _load_scorer, _ranked
from repair.policy import SearchPolicy, with_settings
from repair.rank import ENTRIES
from repair.search import State
from repair.source import apply_edits, common_ends
from repair.test_literals import failing_literals
from repair.testrun import run_suite


def changed_lines(buggy: str, fixed: str) -> tuple[int, int]:
    """The first and last line (1-based, in `buggy`) that the human fix changes."""
    old, new = buggy.splitlines(), fixed.splitlines()
    head, tail = common_ends(old, new)
    return head + 1, max(head + 1, len(old) - tail)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", required=True)
    parser.add_argument("--tests", action="append", required=True)
    parser.add_argument("--file", required=True, help="the fixed file, relative to the tree")
    parser.add_argument("--fixed", type=Path, required=True, help="its text after the human fix")
    parser.add_argument("--no-model", action="store_true")
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--set", action="append", default=[], help="a SearchPolicy knob")
    args = parser.parse_args()
    config = RepairConfig(
        use_model=not args.no_model,
        model_paths=tuple(Path(p) for p in args.model),
        policy=with_settings(SearchPolicy(), args.set),
    )
    src, tests = [Path(args.src)], [Path(t) for t in args.tests]
    started = time.monotonic()
    root, originals = _check_inputs(src, tests, config)
    scorer, _ = _load_scorer(config)
    run = run_suite(root, tests, src, per_test_timeout=config.test_timeout, total_timeout=120.0,
                    timeout_after_timeout=max(MIN_TEST_TIMEOUT, 1.0))  # fmt: skip
    ran = time.monotonic()
    state = State(files={}, edits=(), failing=tuple(run.failed), messages={})
    literals = failing_literals(root, run.failed)
    ranked = _ranked(state, run, originals, config, scorer, 0, literals=literals)
    seconds = {"test_run": round(ran - started, 1), "ranking": round(time.monotonic() - ran, 1)}
    fixed = args.fixed.read_text(encoding="utf-8")
    relative = Path(args.file).as_posix()
    low, high = changed_lines(originals[relative].decode("utf-8"), fixed)
    seen: set[tuple[str, bytes]] = set()
    found: dict = {}
    entries: list[int] = []  # positions of the tests' strings added to tables
    near = 0  # candidates on the human fix's lines: none, and its region was not ranked
    lines: dict[tuple[str, int], int] = {}  # (path, line) -> candidates on it so far
    for candidate in ranked:
        data = apply_edits(originals[candidate.path], [candidate.edit])
        key = (candidate.path, hashlib.sha1(data).digest())
        if key in seen:
            continue
        seen.add(key)
        if candidate.kind in ENTRIES:
            entries.append(len(seen))
        line_key = (candidate.path, candidate.line)
        if not found:
            lines[line_key] = lines.get(line_key, 0) + 1
        if candidate.path != relative or not low - 2 <= candidate.line <= high + 2:
            continue  # the human fix's own lines, give or take two: the file is tokenized once
        near += 1
        if found:
            continue
        if is_human_fix(data.decode("utf-8", errors="replace"), fixed):
            found = {
                "position": len(seen),
                "kind": str(candidate.kind),
                "score": float(f"{candidate.score:.3g}"),
                "deferred": candidate.deferred,
                # lines whose candidates came before it, and those on its own line
                "lines_before": len(lines) - 1,
                "on_its_line": lines[line_key],
            }
    first = ranked[0].describe() if ranked else ""
    result = {
        "seconds": seconds,
        "programs": len(seen),
        "near": near,
        "entries": entries[:20],
        "failing": len(run.failed),
        "first": first,
        "position": 0,
    }
    print(json.dumps({**result, **found}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
