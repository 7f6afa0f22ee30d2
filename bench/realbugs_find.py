"""Finding real bugs in a repository's history (how `bench/realbugs/bugs.json` was made).

    python bench/realbugs_find.py OWNER/NAME --split dev [--since 2019-01-01] [--keep 6]

A candidate is a commit (one parent) that changes one non-test `.py` file in one hunk of at most
3 lines on each side and at most `--max-tokens` tree-sitter tokens, and also changes a test file.
Newest first, each candidate is materialized (`realbugs_env.materialize`) and its changed test
files are run in the repository's venv on the fixed and on the buggy tree. It becomes a bug when
every test of those files passes (or skips) on the fixed tree and some test that ran there fails
on the buggy one in its call (not at collection: a test importing a name the fix adds is a new
feature, not a bug a test-driven tool could repair). Found bugs are merged into bugs.json
(`--write`) or printed. The requirements of each repository (`REPOSITORIES`) are installed
unpinned once, frozen, and the pins recorded with every bug.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from realbugs_env import (  # noqa: E402 - bench/ is not a package
    CACHE,
    GIT_ROOT,
    ensure_venv,
    freeze,
    git,
    git_dir,
    make_venv,
    materialize,
    run_outcomes,
)
from realbugs_score import edit_shape  # noqa: E402

BUGS = Path(__file__).resolve().parent / "realbugs" / "bugs.json"


@dataclass(frozen=True)
class Repository:
    license: str  # as read from the repository's LICENSE file
    requirements: tuple[str, ...]  # unpinned; frozen into each bug's pins
    pythonpath: str = "."  # where the package lives in the tree ("src" for src layouts)


REPOSITORIES = {
    "python-attrs/attrs": Repository(
        "MIT", ("pytest", "hypothesis", "pympler", "cloudpickle"), "src"
    ),
    "marshmallow-code/marshmallow": Repository(
        "MIT", ("pytest", "simplejson", "packaging", "pytz", "python-dateutil"), "src"
    ),
    "python-jsonschema/jsonschema": Repository(
        "MIT",
        ("pytest", "attrs", "jsonschema-specifications", "referencing", "rpds-py", "jsonpath-ng"),
    ),  # fmt: skip
    "arrow-py/arrow": Repository(
        "Apache-2.0",
        ("pytest", "pytest-mock", "python-dateutil", "tzdata", "pytz", "simplejson", "dateparser"),
    ),  # fmt: skip
    "Suor/funcy": Repository("BSD-3-Clause", ("pytest", "whatever")),
    "pallets/jinja": Repository("BSD-3-Clause", ("pytest", "MarkupSafe", "trio"), "src"),
    "python-hyper/h11": Repository("MIT", ("pytest",)),
    "pypa/packaging": Repository(
        "Apache-2.0 OR BSD-2-Clause", ("pytest", "hypothesis", "pretend", "tomli_w"), "src"
    ),
    # pyparsing/pyparsing was tried: its unit tests take minutes per run.
    # sdispater/tomlkit was tried: its tests need git submodules (toml-test) an archive lacks.
    "Python-Markdown/markdown": Repository("BSD-3-Clause", ("pytest", "pyyaml")),
    "executablebooks/markdown-it-py": Repository(
        "MIT", ("pytest", "pytest-regressions", "mdurl", "linkify-it-py", "mdit-py-plugins")
    ),
    "andialbrecht/sqlparse": Repository("BSD-3-Clause", ("pytest",)),
    "PyCQA/pycodestyle": Repository("MIT", ("pytest",)),
    "jpadilla/pyjwt": Repository("MIT", ("pytest", "cryptography")),
    "hynek/structlog": Repository(
        "MIT OR Apache-2.0", ("pytest", "pytest-asyncio", "simplejson", "time-machine"), "src"
    ),
    "more-itertools/more-itertools": Repository("MIT", ("pytest",)),
    "pallets/click": Repository("BSD-3-Clause", ("pytest",), "src"),
    "pallets/werkzeug": Repository("BSD-3-Clause", ("pytest", "markupsafe"), "src"),
    "pallets/flask": Repository(
        "BSD-3-Clause", ("pytest", "werkzeug", "jinja2", "itsdangerous", "click", "blinker"), "src"
    ),  # fmt: skip
    "PyCQA/pyflakes": Repository("MIT", ("pytest",)),
    "SethMMorton/natsort": Repository("MIT", ("pytest", "hypothesis", "pytest-mock")),
    "jd/tenacity": Repository("Apache-2.0", ("pytest", "typeguard")),
    "martinblech/xmltodict": Repository("MIT", ("pytest",)),
    "konradhalas/dacite": Repository("MIT", ("pytest",)),
    "alecthomas/voluptuous": Repository("BSD-3-Clause", ("pytest",)),
    "lepture/mistune": Repository("BSD-3-Clause", ("pytest",), "src"),
    "spulec/freezegun": Repository("Apache-2.0", ("pytest", "python-dateutil")),
    "python-validators/validators": Repository("MIT", ("pytest",), "src"),
    "tobgu/pyrsistent": Repository("MIT", ("pytest", "hypothesis")),
    "jmespath/jmespath.py": Repository("MIT", ("pytest",)),
    "pallets/itsdangerous": Repository("BSD-3-Clause", ("pytest", "freezegun"), "src"),
}
TEST_DIRS = ("tests/", "test/", "testing/")
NOT_SOURCE = ("docs/", "doc/", "examples/", "benchmarks/", "bench/", "scripts/", "tasks/")


def is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (
        path.startswith(TEST_DIRS)
        or "/tests/" in path
        or "/test/" in path
        or name.startswith("test_")
        or name.endswith("_test.py")
    )


def candidates(gitdir: Path, since: str) -> list[dict]:
    """Fix-shaped commits, newest first: (commit, parent, file, test files, lines)."""
    log = git(gitdir, "log", "--no-merges", f"--since={since}", "--format=@%H %P", "--numstat")
    found = []
    for block in log.decode(errors="replace").split("@")[1:]:
        lines = block.strip().splitlines()
        ids = lines[0].split()
        if len(ids) != 2:
            continue
        rows = [line.split("\t") for line in lines[1:] if line.count("\t") == 2]
        python = [row for row in rows if row[2].endswith(".py") and "=>" not in row[2]]
        tests = [r[2] for r in python if is_test_path(r[2]) and not r[2].endswith("conftest.py")]
        sources = [
            r for r in python
            if not is_test_path(r[2]) and not r[2].startswith(NOT_SOURCE)
            and r[2].rsplit("/", 1)[-1] not in ("setup.py", "noxfile.py", "conftest.py")
        ]  # fmt: skip
        if len(sources) != 1 or not tests or sources[0][0] == "-":
            continue
        added, deleted = int(sources[0][0]), int(sources[0][1])
        if max(added, deleted) > 3 or added + deleted == 0:
            continue
        path = sources[0][2]
        diff = git(gitdir, "diff", "-U0", ids[1], ids[0], "--", path).decode(errors="replace")
        if sum(line.startswith("@@") for line in diff.splitlines()) != 1:
            continue
        found.append({"fixed_commit": ids[0], "buggy_commit": ids[1], "file": path,
                      "test_files": sorted(tests)})  # fmt: skip
    return found


def pinned_requirements(repo: str, spec: Repository, cache: Path = CACHE) -> list[str]:
    """The spec's requirements installed once into a scratch venv, then frozen (cached)."""
    pins = cache / "pins" / f"{repo.replace('/', '+')}.json"
    if pins.exists():
        return json.loads(pins.read_text())
    with tempfile.TemporaryDirectory(prefix="realbugs-pins-") as tmp:
        python = make_venv(Path(tmp) / "venv", spec.requirements, spec.pythonpath)
        found = freeze(python)
    pins.parent.mkdir(parents=True, exist_ok=True)
    pins.write_text(json.dumps(found))
    return found


def src_argument(path: str, pythonpath: str) -> str:
    """What to hand `repair fix`: the top-level package folder holding `path` (or the module)."""
    if pythonpath == "." or not path.startswith(pythonpath + "/"):
        return path.split("/", 1)[0]  # a flat layout (older commits of a src-layout project)
    return f"{pythonpath}/{path[len(pythonpath) + 1 :].split('/', 1)[0]}"


def verify(bug: dict, workdir: Path, git_root: Path) -> dict | None:
    """The bug with its failing tests filled in, or None when it is no usable bug."""
    python = ensure_venv(bug, log=lambda m: print(m, file=sys.stderr))
    fixed = materialize(bug, workdir / "fixed", git_root, buggy=False)
    present = [path for path in bug["test_files"] if (fixed / path).is_file()]
    if not present:
        return None
    started = time.monotonic()
    after = run_outcomes(python, fixed, present, timeout=240)
    seconds = time.monotonic() - started
    if not after or any(v not in ("passed", "skipped") for v in after.values()):
        bad = sorted(k for k, v in after.items() if v not in ("passed", "skipped"))[:3]
        print(f"  fixed tree does not pass: {bad or 'no run'}", file=sys.stderr)
        return None
    buggy = materialize(bug, workdir / "buggy", git_root, buggy=True)
    before = run_outcomes(python, buggy, present, timeout=240)
    if any(v == "collection error" for v in before.values()):
        print("  buggy tree: collection error", file=sys.stderr)
        return None
    failing = sorted(k for k, v in before.items() if v == "failed" and after.get(k) == "passed")
    if not failing:
        print("  no test fails on the buggy tree", file=sys.stderr)
        return None
    return {**bug, "test_files": present, "tests": failing, "fixed_seconds": round(seconds, 1)}


def describe(bug: dict, gitdir: Path) -> dict:
    """Patch, message, date and shape of a candidate, from git alone."""
    before = git(gitdir, "show", f"{bug['buggy_commit']}:{bug['file']}").decode()
    after = git(gitdir, "show", f"{bug['fixed_commit']}:{bug['file']}").decode()
    patch = git(gitdir, "diff", bug["buggy_commit"], bug["fixed_commit"], "--", bug["file"])
    message, date = git(gitdir, "show", "-s", "--format=%s%x00%cs", bug["fixed_commit"]).decode(
    ).strip().split("\x00")  # fmt: skip
    return {**bug, "patch": patch.decode(), "message": message, "date": date,
            **edit_shape(before, after)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo")
    parser.add_argument("--split", required=True, choices=("dev", "test"))
    parser.add_argument("--since", default="2019-01-01")
    parser.add_argument("--keep", type=int, default=6, help="bugs kept at most")
    parser.add_argument("--tries", type=int, default=25, help="candidates run at most")
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--git-root", type=Path, default=GIT_ROOT)
    parser.add_argument("--write", action="store_true", help="merge into bench/realbugs/bugs.json")
    args = parser.parse_args(argv)
    spec = REPOSITORIES[args.repo]
    gitdir = git_dir(args.repo, args.git_root)
    known = json.loads(BUGS.read_text()) if BUGS.exists() else []
    done = {b["fixed_commit"] for b in known}
    requirements = pinned_requirements(args.repo, spec)
    kept: list[dict] = []
    tried = 0
    for found in candidates(gitdir, args.since):
        if len(kept) >= args.keep or tried >= args.tries:
            break
        bug = {"id": "", "repo": args.repo, **found, "src": src_argument(found["file"],
               spec.pythonpath), "pythonpath": spec.pythonpath, "split": args.split,
               "license": spec.license, "requirements": requirements}  # fmt: skip
        if bug["fixed_commit"] in done:
            continue
        bug = describe(bug, gitdir)
        if bug["tokens"] > args.max_tokens or not bug["detail"]:
            continue
        tried += 1
        print(f"{args.repo} {bug['fixed_commit'][:10]} {bug['file']} {bug['shape']} "
              f"{bug['tokens']}: {bug['message'][:60]}", file=sys.stderr)  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="realbugs-find-") as tmp:
            try:
                verified = verify(bug, Path(tmp), args.git_root)
            except subprocess.CalledProcessError as error:
                print(f"  {error}", file=sys.stderr)
                verified = None
        if verified:
            print(f"  kept: {len(verified['tests'])} failing tests", file=sys.stderr)
            kept.append(verified)
    name = args.repo.split("/")[1]
    for number, bug in enumerate(kept, start=sum(b["repo"] == args.repo for b in known) + 1):
        bug["id"] = f"{name}-{number}"
    if args.write:
        BUGS.parent.mkdir(parents=True, exist_ok=True)
        BUGS.write_text(json.dumps(known + kept, indent=1) + "\n")
    else:
        print(json.dumps(kept, indent=1))
    print(f"{args.repo}: {len(kept)} bugs from {tried} candidates tried", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
