"""Real-bug benchmark: `repair fix` on bugs fixed by the maintainers of public Python projects.

Each bug (`bench/realbugs/bugs.json`, made by `bench/realbugs_find.py`) is a fix commit that
changes one source file in one small hunk and adds or changes a test; its buggy program is the
fixed tree with the source fix reverted, and its listed tests fail there and pass on the fixed
tree. The repositories' git directories come from the fetch tool (`--git-root`, default
/work/.mirror); trees and venvs live in ~/.cache/repair-realbugs, never in this repository.
Bugs are split by repository into dev and test: decisions are taken on dev, the test split is
run once per change for its final table.

    python bench/realbugs.py --list [--split dev]
    python bench/realbugs.py materialize BUG_ID DIR [--fixed]
    python bench/realbugs.py venv BUG_ID                # prints the venv's python
    python bench/realbugs.py check [--split dev]        # buggy fails, fixed passes
    python bench/realbugs.py run --split dev [--timeout 60] [--only ID ...]

`run` repairs each bug with the bundled models and with `--no-model` (`repair fix SRC --tests
TEST_FILES`, run by the bug venv's python, with the same budget), and counts the test runs blind
search needs (every same-class replacement in file order, `bench/bugs.py`). Scoring and edit
shapes: `bench/realbugs_score.py`. Results: bench/results/realbugs_<split>.txt and .json once
every bug has run (bench/out/ until then).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bugs import blind_search  # noqa: E402 - bench/ is not a package
from realbugs_env import (  # noqa: E402
    CACHE,
    GIT_ROOT,
    ensure_venv,
    git,
    git_dir,
    materialize,
    run_outcomes,
)
from realbugs_report import render  # noqa: E402
from realbugs_score import NONE, SHAPES, outcome  # noqa: E402
from realbugs_suite import PASSING, suite_files  # noqa: E402

from repair.checkpoint import default_model_paths  # noqa: E402

HERE = Path(__file__).resolve().parent
BUGS = HERE / "realbugs" / "bugs.json"
RESULTS = HERE / "results"
PARTIAL = HERE / "out"  # a run's tables until its last bug has run
MODES = {"model": [], "no-model": ["--no-model"]}
SUITES = {
    "files": "the bug's test files",
    "whole": "the project's whole suite: every test file of the bug's test folders that passes "
    "on the fixed tree here (bench/realbugs_suite.py)",
}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_bugs(split: str | None = None, only: list[str] | None = None) -> list[dict]:
    bugs = json.loads(BUGS.read_text(encoding="utf-8"))
    return [
        bug
        for bug in bugs
        if (split is None or bug["split"] == split) and (not only or bug["id"] in only)
    ]


def find_bug(bug_id: str) -> dict:
    found = load_bugs(only=[bug_id])
    if not found:
        raise SystemExit(f"no bug {bug_id!r} in {BUGS}")
    return found[0]


# --- check ---------------------------------------------------------------------------------


def check_bug(bug: dict, python: Path, git_root: Path, workdir: Path) -> list[str]:
    """What is wrong with the bug (empty: its listed tests fail on the buggy tree and pass on the
    fixed one, and every test of its test files passes or skips on the fixed one)."""
    problems = []
    fixed = materialize(bug, workdir / "fixed", git_root, buggy=False)
    after = run_outcomes(python, fixed, bug["test_files"])
    not_passing = sorted(k for k, v in after.items() if v not in PASSING)
    if not after:
        problems.append("fixed: pytest did not run")
    if not_passing:
        problems.append(f"fixed: {len(not_passing)} tests do not pass, e.g. {not_passing[0]}")
    missing = [test for test in bug["tests"] if after.get(test) != "passed"]
    if missing:
        problems.append(f"fixed: listed tests not passing: {missing[:2]}")
    buggy = materialize(bug, workdir / "buggy", git_root, buggy=True)
    before = run_outcomes(python, buggy, bug["test_files"])
    passing = [test for test in bug["tests"] if before.get(test) != "failed"]
    if passing:
        problems.append(f"buggy: listed tests not failing: {passing[:2]}")
    return problems


def check(args: argparse.Namespace) -> int:
    bugs = load_bugs(args.split, args.only)
    bad = 0
    for bug in bugs:
        python = ensure_venv(bug, log=say)
        with tempfile.TemporaryDirectory(prefix="realbugs-check-") as tmp:
            problems = check_bug(bug, python, args.git_root, Path(tmp))
        bad += bool(problems)
        print(f"{bug['id']:<24} {'FAIL ' + '; '.join(problems) if problems else 'ok'}", flush=True)
    print(f"{len(bugs) - bad} of {len(bugs)} bugs check out")
    return 1 if bad else 0


# --- run -----------------------------------------------------------------------------------


def repair_snapshot(commit: str = "HEAD") -> tuple[Path, str]:
    """The committed `repair/` and `models/` of this checkout at `commit`, unpacked once into the
    cache: runs use it (through PYTHONPATH) so that edits in the working tree, anyone's, cannot
    change a run halfway. Returns the folder and the full commit id."""
    sha = subprocess.run(
        ["git", "-C", str(HERE.parent), "rev-parse", commit],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    folder = CACHE / "repair" / sha
    if not (folder / "repair" / "__init__.py").exists():
        archive = subprocess.run(
            ["git", "-C", str(HERE.parent), "archive", "--format=tar", sha, "repair", "models"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        staging = Path(tempfile.mkdtemp(prefix="snapshot-", dir=CACHE))
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(staging, filter="data")
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(folder)
    return folder, sha


def bug_files(bug: dict, git_root: Path) -> tuple[str, str]:
    """The bug's file before and after the human fix."""
    gitdir = git_dir(bug["repo"], git_root)
    return (
        git(gitdir, "show", f"{bug['buggy_commit']}:{bug['file']}").decode(),
        git(gitdir, "show", f"{bug['fixed_commit']}:{bug['file']}").decode(),
    )


def changed_python_files(before: Path, after: Path) -> dict[str, str]:
    """path -> text of the .py files that differ between two trees (or exist in `after` only)."""
    changed = {}
    for path in after.rglob("*.py"):
        relative = path.relative_to(after).as_posix()
        other = before / relative
        if not other.exists() or other.read_bytes() != path.read_bytes():
            changed[relative] = path.read_text(encoding="utf-8", errors="replace")
    return changed


def repair_row(
    bug: dict, mode: str, python: Path, buggy: Path, args, tests: list[str] | None = None
) -> dict:
    """`repair fix --apply` on a scratch copy of the buggy tree, run by the bug venv's python,
    with `tests` (default: the bug's test files) as `--tests`."""
    with tempfile.TemporaryDirectory(prefix="realbugs-repair-") as tmp:
        tree = Path(tmp) / "tree"
        shutil.copytree(buggy, tree, symlinks=True)
        command = [str(python), "-m", "repair", "fix", bug["src"], "--json", "--apply"]
        command += ["--timeout", str(args.timeout), *getattr(args, "modes", MODES)[mode]]
        for test_file in tests or bug["test_files"]:
            command += ["--tests", test_file]
        env = dict(os.environ)
        if args.snapshot:
            env["PYTHONPATH"] = str(args.snapshot)
        started = time.monotonic()
        try:
            done = subprocess.run(
                command, cwd=tree, capture_output=True, text=True, env=env,
                stdin=subprocess.DEVNULL, timeout=2 * args.timeout + 120,
            )  # fmt: skip
            result = json.loads(done.stdout) if done.stdout.strip().startswith("{") else None
            error = "" if result else (done.stderr.strip().splitlines() or ["no output"])[-1]
        except subprocess.TimeoutExpired:
            result, error = None, "killed: ran past twice the budget"
        seconds = time.monotonic() - started
        repaired = changed_python_files(buggy, tree)
    row = {"id": bug["id"], "mode": mode, "seconds": round(seconds, 1), "error": error}
    if result is None:
        return {**row, "outcome": NONE, "status": "error", "test_runs": 0, "candidates": 0}
    before, after = bug_files(bug, args.git_root)
    passed = result["status"] == "fixed" and result["verified"] and result["applied"]
    score = outcome(repaired, {bug["file"]: before}, {bug["file"]: after}, passed)
    return {
        **row,
        "outcome": score,
        "status": result["status"],
        "stop": result["stop_reason"],
        "test_runs": result["test_runs"],
        "candidates": result["candidates_tried"],
        # how the validations ended (collection error, worse, unchanged, timeout ...): where a
        # run's time went, without tracing it again
        "validation_outcomes": result.get("validation_outcomes", {}),
        "repair_seconds": result["seconds"],
        "diff": result["diff"],
        "doubt": result.get("doubt", ""),  # why repair fix itself called its patch doubtful
    }


def blind_row(bug: dict, python: Path, fixed_tree: Path, args) -> dict:
    """Blind search's test runs until the human fix (None: unreachable), and the seconds that many
    fresh pytest runs of the bug's test files would take at this machine's measured rate."""
    before, after = bug_files(bug, args.git_root)
    blind = blind_search({bug["file"]: before.encode()}, {bug["file"]: after.encode()})
    started = time.monotonic()
    run_outcomes(python, fixed_tree, bug["test_files"])
    per_run = time.monotonic() - started
    runs = blind.runs if blind else None
    return {
        "id": bug["id"],
        "mode": "blind",
        "test_runs": runs,
        "candidates": blind.candidates if blind else None,
        "seconds_per_run": round(per_run, 2),
        "estimated_seconds": round(runs * per_run, 1) if runs else None,
        "within_budget": bool(runs and runs * per_run <= args.timeout),
    }


def run(args: argparse.Namespace) -> int:
    bugs = load_bugs(args.split, args.only)
    args.modes = dict(MODES)
    for named in args.model:
        name, _, path = named.partition("=")
        if not path or not Path(path).is_file() or name in (*MODES, "blind"):
            raise SystemExit(f"--model {named}: expected NAME=PATH of a checkpoint, a new name")
        args.modes[name] = ["--model", str(Path(path).resolve())]
    args.snapshot = None
    if not args.live:
        args.snapshot, args.snapshot_commit = repair_snapshot()
    rows_file = args.rows or CACHE / f"rows-{args.split}.jsonl"
    done = {}
    if args.resume and rows_file.exists():
        for line in rows_file.read_text().splitlines():
            row = json.loads(line)
            done[(row["id"], row["mode"])] = row
    elif rows_file.exists():
        rows_file.unlink()
    rows_file.parent.mkdir(parents=True, exist_ok=True)
    started, load_before = time.monotonic(), os.getloadavg()[0]
    rows: list[dict] = []
    text, reused = "", 0
    for bug in bugs:
        python = ensure_venv(bug, log=say)
        with tempfile.TemporaryDirectory(prefix="realbugs-run-") as tmp:
            buggy = materialize(bug, Path(tmp) / "buggy", args.git_root, buggy=True)
            fixed = materialize(bug, Path(tmp) / "fixed", args.git_root, buggy=False)
            tests, suite = None, {}
            if args.suite == "whole" and any((bug["id"], m) not in done for m in args.modes):
                outcomes_of = functools.partial(run_outcomes, python, fixed, timeout=600)
                tests, left_out = suite_files(bug, outcomes_of)
                suite = {"suite_files": len(tests), "suite_left_out": left_out}
            for mode in (*args.modes, "blind"):
                if (bug["id"], mode) in done:
                    rows.append(done[(bug["id"], mode)])
                    reused += 1
                    continue
                if mode == "blind":
                    row = blind_row(bug, python, fixed, args)
                else:
                    row = {**repair_row(bug, mode, python, buggy, args, tests), **suite}
                rows.append(row)
                with rows_file.open("a") as stream:
                    stream.write(json.dumps(row) + "\n")
                say(f"{bug['id']:<24} {mode:<9} {row.get('outcome', '')!s:<10} "
                    f"test runs {row['test_runs']}  {row.get('seconds', '')} s")  # fmt: skip
        # Tables after every bug, so a stopped run leaves its figures so far.
        finished = bugs[: bugs.index(bug) + 1]
        info = run_info(args, load_before, time.monotonic() - started)
        info["bugs_run"] = f"{len(finished)} of {len(bugs)}"
        # Rows kept from an earlier (stopped or partial) run of the same command: their seconds
        # and load are that run's.
        info["rows_from_earlier_run"] = reused
        text = write_results(args, finished, rows, info, complete=len(finished) == len(bugs))
    print(text)
    return 0


def write_results(
    args: argparse.Namespace, bugs: list[dict], rows: list[dict], info: dict, complete: bool
) -> str:
    """The tables so far. Until every bug of the split has run they go to bench/out/ (ignored by
    git), so a stopped run never overwrites a finished run's figures in bench/results/."""
    text = render(bugs, rows, info)
    if not args.only:
        document = {"run": info, "bugs": [_bug_summary(b) for b in bugs], "rows": rows}
        name = "-".join([f"realbugs_{args.split}", *(m for m in args.modes if m not in MODES)])
        name += "_whole_suite" if args.suite == "whole" else ""
        folder = RESULTS if complete else PARTIAL
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
        (folder / f"{name}.json").write_text(
            json.dumps(document, indent=1) + "\n", encoding="utf-8"
        )
    return text


def shape_summary(bugs: list[dict]) -> str:
    """Bugs per split and shape of the human fix, and how many blind search could reach."""
    lines = []
    for split in ("dev", "test"):
        group = [bug for bug in bugs if bug["split"] == split]
        repos = len({bug["repo"] for bug in group})
        counts = ", ".join(f"{shape} {sum(b['shape'] == shape for b in group)}" for shape in SHAPES)
        lines.append(f"{split}: {len(group)} bugs from {repos} repositories; {counts}")
    return "\n".join(lines)


def _bug_summary(bug: dict) -> dict:
    keys = ("id", "repo", "fixed_commit", "file", "shape", "tokens", "detail", "tests")
    return {key: bug[key] for key in keys}


def run_info(args: argparse.Namespace, load_before: float, seconds: float) -> dict:
    def here(*command: str) -> str:
        done = subprocess.run(["git", "-C", str(HERE.parent), *command], capture_output=True)
        return done.stdout.decode().strip()

    if args.snapshot:
        commit = f"{args.snapshot_commit[:7]} (committed repair/ only; models as named below)"
    else:
        commit = here("rev-parse", "--short", "HEAD") + " (the working tree, --live)"
        if here("status", "--porcelain", "--", "repair", "models"):
            commit += " + uncommitted changes in repair/ or models/"
    return {
        "split": args.split,
        "repair_commit": commit,
        "models": "bundled (repair fix defaults): "
        + ", ".join(
            f"{path} sha256 {hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
            for path in default_model_paths()
        ),
        "extra_models": {
            name: f"{flags[1]} sha256 {hashlib.sha256(Path(flags[1]).read_bytes()).hexdigest()[:12]}"
            for name, flags in args.modes.items()
            if name not in MODES
        },
        "tests": SUITES[args.suite],
        "timeout_s": args.timeout,
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "wall_minutes": round(seconds / 60, 1),
    }


# --- command line --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the bugs and stop")
    parser.add_argument("--git-root", type=Path, default=GIT_ROOT)
    commands = parser.add_subparsers(dest="command")
    one = commands.add_parser("materialize", help="write a bug's buggy (or fixed) tree")
    one.add_argument("bug_id")
    one.add_argument("dir", type=Path)
    one.add_argument("--fixed", action="store_true", help="the fixed tree instead")
    venv = commands.add_parser("venv", help="make a bug's venv; print its python")
    venv.add_argument("bug_id")
    for name in ("check", "run"):
        sub = commands.add_parser(name)
        sub.add_argument(
            "--split", choices=("dev", "test"), default=None if name == "check" else "dev"
        )
        sub.add_argument("--only", nargs="*", default=None, help="bug ids")
    report = commands.add_parser("report", help="print a saved run's tables again (stdout)")
    report.add_argument("json", type=Path, help="a run's bench/results/realbugs_*.json")
    run_parser = commands.choices["run"]
    run_parser.add_argument("--timeout", type=float, default=60.0, help="seconds per bug and mode")
    run_parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="one more mode: repair fix --model PATH (repeatable); results go to "
        "realbugs_SPLIT-NAME.txt/.json",
    )
    run_parser.add_argument(
        "--suite",
        choices=tuple(SUITES),
        default="files",
        help="--tests for repair fix: the bug's test files (default), or the project's whole "
        "suite as a user would hand it (results go to realbugs_SPLIT_whole_suite.txt/.json)",
    )
    run_parser.add_argument("--rows", type=Path, help="rows file (default: in the cache)")
    run_parser.add_argument("--resume", action="store_true", help="keep the rows file's rows")
    run_parser.add_argument(
        "--live",
        action="store_true",
        help="repair as the working tree has it (default: the committed HEAD, unpacked apart)",
    )
    args = parser.parse_args(argv)
    if args.list:
        for bug in load_bugs():
            print(f"{bug['id']:<24} {bug['split']:<5} {bug['shape']:<8} {bug['tokens']:>2} "
                  f"{len(bug['tests']):>3} tests  {bug['repo']}@{bug['fixed_commit'][:10]} "
                  f"{bug['file']}")  # fmt: skip
        print(shape_summary(load_bugs()))
        return 0
    if args.command == "materialize":
        bug = find_bug(args.bug_id)
        materialize(bug, args.dir, args.git_root, buggy=not args.fixed)
        print(args.dir)
        return 0
    if args.command == "venv":
        print(ensure_venv(find_bug(args.bug_id), log=say))
        return 0
    if args.command == "check":
        return check(args)
    if args.command == "run":
        return run(args)
    if args.command == "report":
        document = json.loads(args.json.read_text())
        bugs = [{**find_bug(b["id"]), **b} for b in document["bugs"]]
        print(render(bugs, document["rows"], document["run"]))
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
