"""Real-bug dev split under search-policy variants: `repair fix` (bundled models) on chosen bugs
with `--set NAME=VALUE` settings, as `bench/realbugs.py run --live` repairs them, one mode only.

    python bench/realbugs_variant.py --only click-1 attrs-2 --variant "" \\
        --variant "real_operators=true" [--timeout 60] [--no-model]

Each variant is a comma-separated list of `SearchPolicy` settings ("" is the default policy). The
dev split only: the test split is for `bench/realbugs.py run --split test`'s final table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import realbugs  # noqa: E402 - bench/ is not a package
from realbugs_env import GIT_ROOT, ensure_venv, materialize  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="bug ids (default: all dev)")
    parser.add_argument("--variant", action="append", default=[], help="NAME=VALUE[,NAME=VALUE]")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per bug and variant")
    parser.add_argument("--no-model", action="store_true", help="the model-free baseline")
    parser.add_argument("--rows", type=Path, help="append each row (with its diff) to this file")
    args = parser.parse_args(argv)
    variants = args.variant or [""]
    bugs = realbugs.load_bugs("dev", args.only)
    run_args = argparse.Namespace(timeout=args.timeout, snapshot=None, git_root=GIT_ROOT)
    load_before, started = os.getloadavg()[0], time.monotonic()
    table: dict[tuple[str, str], dict] = {}
    for bug in bugs:
        python = ensure_venv(bug, log=realbugs.say)
        with tempfile.TemporaryDirectory(prefix="realbugs-variant-") as tmp:
            buggy = materialize(bug, Path(tmp) / "buggy", GIT_ROOT, buggy=True)
            for variant in variants:
                settings = [f"--set={item}" for item in variant.split(",") if item]
                mode = f"variant:{variant}"
                realbugs.MODES[mode] = settings + (["--no-model"] if args.no_model else [])
                row = realbugs.repair_row(bug, mode, python, buggy, run_args)
                table[(bug["id"], variant)] = row
                if args.rows:
                    with args.rows.open("a") as stream:
                        stream.write(json.dumps({**row, "variant": variant}) + "\n")
                realbugs.say(
                    f"{bug['id']:<20} [{variant or 'default'}] {row['outcome']:<10} "
                    f"candidates {row['candidates']:<5} test runs {row['test_runs']:<5} "
                    f"{row['seconds']} s"
                )
    print()
    print(f"| bug | shape | {' | '.join(v or 'default' for v in variants)} |")
    print(f"|---|---|{'---|' * len(variants)}")
    for bug in bugs:
        cells = []
        for variant in variants:
            row = table[(bug["id"], variant)]
            cells.append(f"{row['outcome']} ({row['candidates']} cand., {row['seconds']} s)")
        print(f"| {bug['id']} | {bug['shape']} ({bug['tokens']}) | {' | '.join(cells)} |")
    for variant in variants:
        rows = [table[(bug["id"], variant)] for bug in bugs]
        correct = sum(row["outcome"] == "correct" for row in rows)
        plausible = sum(row["outcome"] == "plausible" for row in rows)
        print(f"[{variant or 'default'}] correct {correct}, plausible (wrong) {plausible}, "
              f"of {len(rows)}")  # fmt: skip
    model = "--no-model" if args.no_model else "bundled models"
    print(f"{model}; {args.timeout:g} s per bug and variant; load {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after; {(time.monotonic() - started) / 60:.1f} min")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
