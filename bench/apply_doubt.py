"""What `repair fix --apply` would write on the fixtures: fixed, exact, and said doubtful.

    python bench/apply_doubt.py [--timeout 60] [--only NAME ...] [--out FILE]

Each of the 16 fixtures is repaired with the bundled models and with `--no-model` (`repair fix
--json`, the console script of this checkout), one after the other. A fix is exact when it changes
the lines the fixture's `fix.patch` changes, to the same text (`bench/scoring.is_exact`). Since
`--apply` leaves a doubtful best patch unwritten (exit 5), the table says how many exact fixes it
holds back and how many non-exact ones it keeps out of the user's files. The real-bug splits'
figures come from `bench/realbugs.py run` (its `doubt` column); this covers the seeded fixtures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from scoring import is_exact  # noqa: E402

MODES = {"models": [], "no-model": ["--no-model"]}


def repair(fixture: Path, extra: list[str], timeout: float) -> dict:
    """`repair fix --json` on a fixture; its parsed result."""
    command = [str(Path(sys.executable).with_name("repair")), "fix", str(fixture)]
    command += ["--tests", str(fixture / "tests"), "--json", "--timeout", f"{timeout:g}", *extra]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return json.loads(done.stdout)


def row(name: str, mode: str, result: dict, patch: str) -> dict:
    fixed = result["status"] == "fixed"
    return {
        "fixture": name,
        "mode": mode,
        "fixed": fixed,
        "exact": is_exact(fixed, result["diff"], patch),
        "doubt": result["doubt"] if fixed else "",
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| mode | fixed | exact | exact, said doubtful (held back) | not exact, said doubtful |"
    ]
    lines.append("|---|---|---|---|---|")
    for mode in MODES:
        mine = [r for r in rows if r["mode"] == mode]
        fixed = [r for r in mine if r["fixed"]]
        exact = [r for r in fixed if r["exact"]]
        wrong = [r for r in fixed if not r["exact"]]
        held = sum(1 for r in exact if r["doubt"])
        kept_out = sum(1 for r in wrong if r["doubt"])
        lines.append(
            f"| {mode} | {len(fixed)} / {len(mine)} | {len(exact)} | {held} / {len(exact)} "
            f"| {kept_out} / {len(wrong)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    fixtures = sorted(p for p in (ROOT / "fixtures").iterdir() if (p / "fix.patch").is_file())
    rows = []
    for fixture in fixtures:
        if args.only and fixture.name not in args.only:
            continue
        patch = (fixture / "fix.patch").read_text()
        for mode, extra in MODES.items():
            rows.append(row(fixture.name, mode, repair(fixture, extra, args.timeout), patch))
            last = rows[-1]
            print(
                f"{fixture.name:40} {mode:9} fixed={last['fixed']!s:5} exact={last['exact']!s:5} "
                f"doubt={last['doubt']!r}",
                file=sys.stderr,
                flush=True,
            )
    report = "\n".join(
        [
            f"{r['fixture']:40} {r['mode']:9} fixed={r['fixed']!s:5} exact={r['exact']!s:5} "
            f"doubt={r['doubt']!r}"
            for r in rows
        ]  # fmt: skip
        + ["", table(rows)]
    )
    print(report)
    if args.out:
        args.out.write_text(report + "\n")


if __name__ == "__main__":
    main()
