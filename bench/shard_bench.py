"""The first test run in one child or split over shards (`repair.shards`): wall time per suite.

For each suite, `repair.testrun.run_suite` (every test under per-test coverage, as `repair fix`
starts) runs with 1 and with `--shards` children, alternating, `--repeats` times each; the table
has the medians, the suite's Python bytes (what `ShardPolicy.min_test_bytes` reads) and whether
both ways gave the same outcomes, and the same lines per test. Suites: the real-bug dev split's projects (the first
bug of each repository, its buggy tree, the top folders of its test files as a user's `--tests`,
run by the bug venv's python) and the bundled fixtures. Never the test split.

    python bench/shard_bench.py [--shards 2] [--repeats 3] [--no-realbugs] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realbugs import load_bugs  # noqa: E402 - bench/ is not a package
from realbugs_env import GIT_ROOT, ensure_venv, materialize  # noqa: E402

from repair.shards import python_bytes  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
_ONE_RUN = """
import hashlib, json, sys, time
from pathlib import Path
from repair.testrun import run_suite
root, shards = Path(sys.argv[1]), int(sys.argv[2])
tests, src = [root / p for p in json.loads(sys.argv[3])], [root / p for p in json.loads(sys.argv[4])]
began = time.monotonic()
run = run_suite(root, tests, src, per_test_timeout=10.0, total_timeout=600.0, shards=shards)
seconds = time.monotonic() - began
def digest(value):
    return hashlib.sha256(json.dumps(value).encode()).hexdigest()[:12]
outcomes = digest(sorted((r.nodeid, r.outcome) for r in run.results))
lines = digest(sorted(
    (p, l, sorted(n)) for p, by_line in run.line_coverage.items() for l, n in by_line.items()
))
print(json.dumps({"seconds": seconds, "tests": len(run.results), "outcomes": outcomes,
                  "lines": lines}))
"""


def suites(
    with_realbugs: bool, with_fixtures: bool, work: Path
) -> list[tuple[str, Path, Path, list[str], list[str]]]:
    """(name, python, root, test paths, source paths) per suite."""
    found = []
    if with_realbugs:
        seen = set()
        for bug in load_bugs("dev"):
            if bug["repo"] in seen:
                continue
            seen.add(bug["repo"])
            python = ensure_venv(bug, log=lambda message: None)
            root = materialize(bug, work / bug["id"], GIT_ROOT)
            tops = sorted({Path(name).parts[0] for name in bug["test_files"]})
            found.append((bug["repo"], python, root, tops, [bug["src"]]))
    for fixture in sorted((REPO / "fixtures").iterdir()) if with_fixtures else ():
        if (fixture / "bug.json").is_file():  # the fixture's folder is its buggy project
            found.append((fixture.name, Path(sys.executable), fixture, ["tests"], ["."]))
    return found


def one_run(python: Path, root: Path, shards: int, tests: list[str], src: list[str]) -> dict:
    done = subprocess.run(
        [str(python), "-c", _ONE_RUN, str(root), str(shards), json.dumps(tests), json.dumps(src)],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _same(seen: dict[tuple[str, int], set[str]], key: str, shards: int) -> str:
    """ "yes" when every run gave the same; else whether one child alone varied already."""
    if len(seen[(key, 1)] | seen[(key, shards)]) == 1:
        return "yes"
    return "no (1 child varies too)" if len(seen[(key, 1)]) > 1 else "no"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-realbugs", action="store_true")
    parser.add_argument("--no-fixtures", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    lines = [
        f"$ python bench/shard_bench.py --shards {args.shards} --repeats {args.repeats}",
        f"cores {os.cpu_count()}, load {load:.2f} before",
        "",
        f"| suite | Python in tests (bytes) | tests | 1 child: median s | {args.shards} shards: "
        "median s | ratio | same outcomes | same lines per test |",
        "|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shard-bench-") as tmp:
        for name, python, root, tests, src in suites(
            not args.no_realbugs, not args.no_fixtures, Path(tmp)
        ):
            size = python_bytes([root / path for path in tests])
            times: dict[int, list[float]] = {1: [], args.shards: []}
            seen: dict[tuple[str, int], set[str]] = {}
            count = 0
            for _ in range(args.repeats):
                for shards in (1, args.shards):
                    result = one_run(python, root, shards, tests, src)
                    times[shards].append(result["seconds"])
                    for key in ("outcomes", "lines"):
                        seen.setdefault((key, shards), set()).add(result[key])
                    count = result["tests"]
            one, many = statistics.median(times[1]), statistics.median(times[args.shards])
            same = [_same(seen, key, args.shards) for key in ("outcomes", "lines")]
            lines.append(
                f"| {name} | {size:,} | {count} | {one:.2f} | {many:.2f} | {many / one:.2f} | "
                f"{same[0]} | {same[1]} |"
            )
            print(lines[-1], flush=True)
    lines += ["", f"load {os.getloadavg()[0]:.2f} after; {(time.monotonic() - began) / 60:.1f} min"]
    print(lines[-1])
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
