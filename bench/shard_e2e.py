"""`repair fix` with its first run and baseline split over shards or not, end to end, paired.

For one project tree: `fix()` with `ShardPolicy(max_shards=1)` and with the default policy,
alternating, `--repeats` times each; per run, when the failing tests were known (the first run
over), when the search's first round began (the baseline and slow-test check over), the
candidates validated and the seconds. Run it with the python that runs the project's tests (a
real-bug venv: `python bench/realbugs.py venv BUG`) on a tree `bench/realbugs.py materialize`
wrote, dev bugs only.

    PYTHON bench/shard_e2e.py TREE SRC TESTS [--model] [--timeout 60] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from repair.fix import RepairConfig, fix
from repair.shards import ShardPolicy


def one(root: Path, src: str, tests: str, shards: int, args: argparse.Namespace) -> dict:
    began, marks = time.monotonic(), {}

    def say(message: str) -> None:
        for key, mark in (("tests fail", "first run over"), ("round 1", "search began")):
            if key in message and mark not in marks:
                marks[mark] = round(time.monotonic() - began, 1)

    policy = ShardPolicy(max_shards=1) if shards == 1 else ShardPolicy()
    config = RepairConfig(timeout=args.timeout, use_model=args.model, shards=policy)
    result = fix([root / src], [root / tests], config, progress=say)
    return {"split": shards != 1, **marks, "status": result.status,
            "candidates": result.candidates_tried, "seconds": round(time.monotonic() - began, 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("src")
    parser.add_argument("tests")
    parser.add_argument("--model", action="store_true", help="the bundled models (else none)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    for _ in range(args.repeats):
        for shards in (1, 0):
            print(json.dumps(one(args.tree, args.src, args.tests, shards, args)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
