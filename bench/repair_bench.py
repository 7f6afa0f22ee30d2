"""Repair benchmark: `repair fix` with the model and without it, on bugs the model never saw.

Two bug sets (`--split`), each bug repaired twice in the same command: with the bundled models
and with the model-free baseline.

- `--split dev` (the default): the bugs seeded with `--seed` (0) as the options below say. They
  steered decisions (`bench/README.md` lists which), so they are a development split now:
  - held-out HumanEval: one single-token (or argument swap) and one two-token bug seeded in each
    of the 29 held-out programs (`training.data.held_out_programs`, never trained on), written
    out as small pytest projects;
  - fixtures: the 16 fixtures' real bugs (`fixtures/*/bug.json`), plus `--fixture-seeds N` (1)
    single-token bugs seeded in each fixture's fixed version;
  - OSS: real pure-Python projects with their own pytest suites (inflection and toolz by
    default), fetched as source distributions at run time (`pip download --no-binary :all:`,
    pinned versions, unpacked under `--cache`, never in the repository), `--oss-bugs N` (6) bugs
    each, seeded in lines their tests run (per-test coverage from `repair.testrun`).
- `--split test`: the frozen test split (`bench/frozen_split.py`, `bench/heldout/test_bugs.json`):
  new seeds in the same programs and fixtures, and two projects no split used before; run once
  for a change's final table, never to choose anything.

Seeded bugs are BugLab's classes (wrong variable, binary / comparison / boolean operator,
literal, augmented assignment, swapped call arguments), drawn with fixed seeds (`bench/bugs.py`),
each checked to fail at least one test before it is used. Reported (`bench/scoring.py`) per
split, per class and overall: plausible fixes (all tests pass, verified by a fresh pytest run),
exact fixes (the original code restored), median and 90th-percentile seconds per bug, median
candidates and test runs per fix, the model/baseline ratios, and the test runs blind search needs
(every same-class replacement in file order; `bench/bugs.py` says how a two-token bug is counted).
Every result names its split, its commit and the settings that made it (`RepairConfig`, its
search policy by field and key).

The default run (102 bugs, 30 s per bug and mode) takes about 20-50 minutes on 2 cores:

    python bench/repair_bench.py                          # the dev split, bundled model vs baseline
    python bench/repair_bench.py --model runs/exp4/best.pt --jobs 2 --json
    python bench/repair_bench.py --humaneval 12 --no-fixtures --no-oss   # a quick look
    python bench/repair_bench.py --oss inflection,toolz,tabulate,six --oss-bugs 10 --limit 4
    python bench/repair_bench.py --list                   # the bugs and blind-search counts only
    python bench/repair_bench.py --split test             # the frozen test split: final tables only
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bugs import (  # noqa: E402 - bench/ is not a package
    SWAP,
    Blind,
    Fails,
    Identity,
    Seeded,
    blind_search,
    bug_class_of,
    seed_bugs,
    token_fixes,
)
from scoring import (  # noqa: E402 - the numbers
    FIXTURE_SPLIT,
    HUMANEVAL,
    OSS,
    OTHER,
    error_row,
    errors,
    groups,
    report,
    row_of,
    size_of,
    summary_json,
)

from repair.fix import FIXED, RepairConfig, fix  # noqa: E402
from repair.patch import unified_diff  # noqa: E402
from repair.project import copy_project  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEFAULT_CACHE = Path.home() / ".cache" / "repair-bench"


@dataclass(frozen=True)
class OssProject:
    name: str
    version: str  # pinned: the bug set depends on it
    sources: tuple[str, ...]  # relative to the unpacked sdist
    tests: tuple[str, ...]
    default: bool  # in the default run (the others: --oss NAME,...)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


# Small projects whose suites pass under `repair.testrun` as they ship, with no set-up. The
# default two have the fastest suites; tabulate (one 2700-line module) and six (import-time
# machinery) are slower to repair and run on request. Those two are also the development split of
# real code (`bench/rank_dev.py --oss`, where models and policies are chosen): rows for them are
# not held out.
OSS_PROJECTS = (
    OssProject("inflection", "0.5.1", ("inflection",), ("test_inflection.py",), True),
    OssProject("toolz", "1.0.0", ("toolz",), ("toolz/tests",), True),
    OssProject("tabulate", "0.9.0", ("tabulate",), ("test",), False),
    OssProject("six", "1.17.0", ("six.py",), ("test_six.py",), False),
)


def oss_sizes(count: int) -> tuple[int, ...]:
    """Bug sizes for `count` bugs in one project: two thirds single-token, a third two-token."""
    return (1,) * (count - count // 3) + (2,) * (count // 3)


@dataclass
class Case:
    name: str
    split: str
    bug_class: str  # one of scoring.CLASS_ORDER
    detail: str  # token classes of a two-token bug, or the fixture's kind
    root: Path
    sources: list[Path]
    tests: list[Path]
    buggy: dict[str, bytes]  # relative to root: the files that hold the bug, as they are
    original: dict[str, bytes]  # ... and as they should be
    swap: bool = False
    blind: Blind | None = field(default=None)  # blind search over the files holding the bug
    blind_function: Blind | None = field(default=None)  # ... over the functions holding it

    @property
    def size(self) -> str:
        return size_of(self.bug_class)

    @property
    def expected_patch(self) -> str:
        """The patch from the buggy to the original files, as `repair fix` writes a diff."""
        return unified_diff(self.buggy, self.original)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- cases ---------------------------------------------------------------------------------


def _case(name, split, seeded_or_class, root, sources, tests, buggy, original, detail=""):
    if isinstance(seeded_or_class, Seeded):
        bug_class, detail, swap = (
            seeded_or_class.bug_class,
            seeded_or_class.detail,
            seeded_or_class.bug_class == SWAP,
        )
    else:
        bug_class, swap = seeded_or_class, seeded_or_class == SWAP
    case = Case(name, split, bug_class, detail, root, sources, tests, buggy, original, swap)
    case.blind = blind_search(buggy, original, swap=swap)
    case.blind_function = blind_search(buggy, original, swap=swap, in_function=True)
    return case


def fixture_cases() -> list[Case]:
    """The fixtures' real bugs; the original is the fixture's recorded fix (`bug.json`)."""
    found = []
    for root in sorted(FIXTURES.iterdir()):
        if not (root / "bug.json").exists():
            continue
        record = json.loads((root / "bug.json").read_text(encoding="utf-8"))
        buggy = {edit["path"]: (root / edit["path"]).read_bytes() for edit in record["edits"]}
        original = _fixed_files(root, record)
        if record["kind"] == "swapped_arguments":
            bug_class = SWAP
        else:
            bug_class = bug_class_of(token_fixes(buggy, original)) or OTHER
        found.append(
            _case(
                root.name,
                FIXTURE_SPLIT,
                bug_class,
                root,
                [root],
                [root / "tests"],
                buggy,
                original,
                record["kind"],
            )  # fmt: skip
        )
    return found


def _fixed_files(root: Path, record: dict) -> dict[str, bytes]:
    fixed = {}
    for path in sorted({edit["path"] for edit in record["edits"]}):
        lines = (root / path).read_bytes().decode().splitlines(keepends=True)
        for edit in record["edits"]:
            if edit["path"] == path:
                line = lines[edit["line"] - 1]
                assert line.rstrip("\n") == edit["buggy"], (root, edit)
                lines[edit["line"] - 1] = edit["fixed"] + line[len(line.rstrip("\n")) :]
        fixed[path] = "".join(lines).encode()
    return fixed


def fixture_project(root: Path, folder: Path) -> _Project:
    """The fixture at `root` with its recorded fix applied, copied under `folder`: the clean
    project its seeded bugs go in."""
    record = json.loads((root / "bug.json").read_text(encoding="utf-8"))
    clean = folder / "clean" / root.name
    copy_project(root, clean)
    for path, data in _fixed_files(root, record).items():
        (clean / path).write_bytes(data)
    return _Project(clean, (".",), ("tests",))


def fixture_seeded_cases(per_fixture: int, seed: int, folder: Path) -> list[Case]:
    """`per_fixture` single-token bugs seeded in each fixture's fixed version, in lines its
    tests run."""
    found = []
    for root in sorted(FIXTURES.iterdir()):
        if not (root / "bug.json").exists():
            continue
        project = fixture_project(root, folder)
        key = f"fixture:{root.name}"
        for number, seeded in enumerate(project.seed((1,) * per_fixture, key, seed)):
            name = f"{root.name}-seeded{number}-{seeded.bug_class.replace(' ', '_')}"
            found.append(project.case(name, FIXTURE_SPLIT, seeded, folder / name))
    return found


def humaneval_fails(executor, program) -> Fails:
    """Does a test of `program` fail on these files (its one module, `solution.py`)?"""

    def fails(files: dict[str, bytes], lines) -> bool:
        result = executor.run(files["solution.py"].decode(), program.tests)
        # A module that does not import is a broken suite, not a bug to repair.
        return result.module_error is None and result.failed_count > 0

    return fails


def humaneval_case(program, seeded: Seeded, name: str, folder: Path) -> Case:
    """`seeded` in `program`, written out as a pytest project under `folder`."""
    clean = {"solution.py": program.source.encode()}
    buggy = seeded.apply(clean)
    root = folder / name
    _write_humaneval_project(root, buggy["solution.py"], program.tests)
    return _case(
        name, HUMANEVAL, seeded, root, [root / "solution.py"], [root / "tests"], buggy, clean
    )


def humaneval_cases(count: int, seed: int, folder: Path) -> list[Case]:
    """A single-token (or swap) and a two-token bug in each of the first `count` held-out
    HumanEval programs, as pytest projects."""
    from repair.executor import Executor
    from training.data import held_out_programs

    found = []
    with Executor(workers=1) as executor:
        for program in held_out_programs()[:count]:
            clean = {"solution.py": program.source.encode()}
            fails = humaneval_fails(executor, program)
            key = f"humaneval:{program.name}"
            for number, seeded in enumerate(seed_bugs(clean, (1, 2), key, seed, fails)):
                slug = seeded.bug_class.replace(" ", "_")
                name = f"{program.name.replace('/', '_')}-{'ab'[number]}-{slug}"
                found.append(humaneval_case(program, seeded, name, folder))
    return found


def _write_humaneval_project(root: Path, source: bytes, tests: Sequence[str]) -> None:
    (root / "tests").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    (root / "solution.py").write_bytes(source)
    lines = [
        "import solution",
        "",
        "",
        "def _run(code):",
        '    exec(compile(code, "<test>", "exec"), dict(vars(solution)))',
        "",
    ]
    for index, test in enumerate(tests):
        lines += ["", f"def test_{index}():", f"    _run({test!r})", ""]
    (root / "tests" / "test_solution.py").write_text("\n".join(lines))


class _Project:
    """A clean project with a pytest suite: its per-test coverage, and bugs seeded in it."""

    def __init__(self, root: Path, sources: Sequence[str], tests: Sequence[str]):
        from repair.project import list_source_files
        from repair.testrun import run_suite

        self.root = root
        self.sources = [root / path for path in sources]
        self.tests = [root / path for path in tests]
        run = run_suite(root, self.tests, self.sources, per_test_timeout=10.0, total_timeout=600)
        if run.failed or run.collection_errors or not run.results:
            raise RuntimeError(f"{root}: the clean suite does not pass: {run.failed[:3]}")
        self.coverage = run.line_coverage
        paths = list_source_files(self.sources, root, exclude=self.tests)
        self.files = {path: (root / path).read_bytes() for path in paths if path in self.coverage}
        self.seconds = run.wall_time

    def covered(self, path: str, line: int) -> bool:
        return line in self.coverage.get(path, {})

    def fails(self, files: dict[str, bytes], lines: list[tuple[str, int]]) -> bool:
        """Does a test that runs one of `lines` fail on `files`? (pytest on a scratch copy,
        only the test files concerned, stop at the first failure; a hang counts as unusable)."""
        test_files = sorted(
            {
                nodeid.split("::")[0]
                for path, line in lines
                for nodeid in self.coverage.get(path, {}).get(line, ())
            }
        )
        with tempfile.TemporaryDirectory(prefix="repair-bench-check-") as tmp:
            copy = copy_project(self.root, Path(tmp) / "project")
            for path, data in files.items():
                (copy / path).write_bytes(data)
            env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            command = [sys.executable, "-B", "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
            try:
                done = subprocess.run(
                    [*command, *test_files],
                    cwd=copy,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=60,
                )
            except subprocess.TimeoutExpired:
                return False
        return done.returncode == 1  # tests failed; 2-5: collection errors, nothing ran, ...

    def seed(
        self, sizes: Sequence[int], key: str, seed: int, avoid: Collection[Identity] = ()
    ) -> list[Seeded]:
        return seed_bugs(self.files, sizes, key, seed, self.fails, self.covered, avoid)

    def case(self, name: str, split: str, seeded: Seeded, root: Path) -> Case:
        copy_project(self.root, root)
        buggy = seeded.apply(self.files)
        for path, data in buggy.items():
            (root / path).write_bytes(data)
        sources = [root / path.relative_to(self.root) for path in self.sources]
        tests = [root / path.relative_to(self.root) for path in self.tests]
        original = {path: self.files[path] for path in buggy}
        return _case(name, split, seeded, root, sources, tests, buggy, original)


def fetch_sdist(project: OssProject, cache: Path) -> Path:
    """The unpacked source distribution of `project`, downloaded into `cache` on first use."""
    unpacked = cache / "src" / f"{project.name}-{project.version}"
    if unpacked.is_dir():
        return unpacked
    downloads = cache / "sdists"
    downloads.mkdir(parents=True, exist_ok=True)
    archive = _find_sdist(downloads, project)
    if archive is None:
        say(f"downloading {project.name}=={project.version} (source distribution)")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"{project.name}=={project.version}",
                "-d",
                str(downloads),
            ],  # fmt: skip
            check=True,
            stdin=subprocess.DEVNULL,
        )
        archive = _find_sdist(downloads, project)
        if archive is None:
            raise RuntimeError(f"pip download gave no sdist of {project.name}")
    staging = Path(tempfile.mkdtemp(prefix="unpack-", dir=cache))
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(staging, filter="data")
        else:  # Python < 3.10.12
            tar.extractall(staging)  # noqa: S202 - a pinned sdist from PyPI
    (top,) = list(staging.iterdir())
    unpacked.parent.mkdir(parents=True, exist_ok=True)
    top.rename(unpacked)
    shutil.rmtree(staging)
    return unpacked


def _find_sdist(folder: Path, project: OssProject) -> Path | None:
    names = {project.name.lower(), project.name.lower().replace("-", "_")}
    for archive in sorted(folder.glob("*.tar.gz")):
        stem = archive.name[: -len(".tar.gz")]
        name, _, version = stem.rpartition("-")
        if name.lower() in names and version == project.version:
            return archive
    return None


def oss_cases(
    projects: Iterable[OssProject], count: int, seed: int, folder: Path, cache: Path
) -> list[Case]:
    found = []
    for project in projects:
        pristine = fetch_sdist(project, cache)
        say(f"seeding {count} bugs in {project.label}")
        clean = _Project(pristine, project.sources, project.tests)
        seeded_bugs = clean.seed(oss_sizes(count), f"oss:{project.name}", seed)
        for number, seeded in enumerate(seeded_bugs):
            slug = seeded.bug_class.replace(" ", "_")
            name = f"{project.name}-{number:02d}-{slug}"
            found.append(clean.case(name, f"{OSS}: {project.label}", seeded, folder / name))
    return found


# --- running -------------------------------------------------------------------------------


def run_case(case: Case, config: RepairConfig) -> dict:
    started = time.monotonic()
    try:
        result = fix(case.sources, case.tests, config)
    except Exception as error:  # noqa: BLE001 - a bench row, not a crash of the whole run
        return error_row(case.name, time.monotonic() - started, error)
    return row_of(case.name, result, case.expected_patch, FIXED)


def repair_config(args: argparse.Namespace, use_model: bool) -> RepairConfig:
    """The settings of one search of the benchmark (the baseline: `use_model` False)."""
    config = RepairConfig(
        use_model=use_model,
        model_paths=tuple(args.model),
        timeout=args.timeout,
        test_timeout=args.test_timeout,
    )
    if args.jobs:
        config.jobs = args.jobs
    return config


def config_record(config: RepairConfig) -> dict:
    """Every field of `config`, its search policy by field (`SearchPolicy.to_json`) with its key:
    what a result records so that the policy that produced it can be named and rerun."""
    found: dict = {}
    for item in dataclasses.fields(config):
        value = getattr(config, item.name)
        if hasattr(value, "to_json") and hasattr(value, "key"):
            found[item.name] = value.to_json()
            found[f"{item.name}_key"] = value.key()
        elif dataclasses.is_dataclass(value):  # another policy object (`LimitPolicy`, ...)
            found[item.name] = dataclasses.asdict(value)
        elif isinstance(value, (tuple, list)):
            found[item.name] = [str(v) if isinstance(v, Path) else v for v in value]
        else:
            found[item.name] = str(value) if isinstance(value, Path) else value
    return found


def code_commit() -> str:
    """HEAD, and whether the code or models the numbers depend on differ from it."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "repair", "models",
             "bench/*.py", "bench/heldout"],
            capture_output=True, text=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "?"
    return (head or "?") + (
        " (+ uncommitted changes in repair/, models/ or bench/)" if dirty else ""
    )


def provenance(args: argparse.Namespace) -> dict:
    """Which bugs (split), which code (commit) and which settings (the model's RepairConfig,
    policy included; the baseline's differs in use_model alone)."""
    if args.split == "test":
        data = args.test_file.read_bytes() if args.test_file.is_file() else b""
        bugs = f"test: {args.test_file} (sha256 {hashlib.sha256(data).hexdigest()[:12]})"
    else:
        bugs = (
            f"dev: seed {args.seed}, {args.humaneval} HumanEval programs, fixtures "
            f"{'no' if args.no_fixtures else f'+ {args.fixture_seeds} seeded each'}, OSS "
            f"{'none' if args.no_oss else args.oss} ({args.oss_bugs} bugs each)"
        )
    if args.only or args.limit:
        bugs += f"; only {args.only}" if args.only else f"; at most {args.limit} per split"
    return {
        "split": args.split,
        "bugs": bugs,
        "commit": code_commit(),
        "config": config_record(repair_config(args, use_model=True)),
    }


def run_info(args: argparse.Namespace, load_before: float, seconds: float) -> list[str]:
    """What the numbers depend on: the bugs, the model, the code, the settings, the machine."""
    import platform

    from repair.checkpoint import default_model_paths

    models = [Path(path) for path in args.model] or default_model_paths()
    model = " + ".join(
        f"{path} (sha256 "
        f"{hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else '?'})"
        for path in models
    )
    run = provenance(args)
    config = dict(run["config"])
    policy = config.pop("policy", None)
    policy_key = config.pop("policy_key", None)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"- split: {run['bugs']}",
        f"- model: {model}; code at commit {run['commit']}",
        f"- search policy: {f'key {policy_key}: {json.dumps(policy)}' if policy else 'none named'}",
        f"- RepairConfig (model; the baseline: use_model false): {json.dumps(config)}",
        f"- {cores} CPU cores, Python {platform.python_version()}; validation jobs: "
        f"{args.jobs or 'one per core'}; {args.timeout:g} s per bug and mode; "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after",
        f"- wall time: {seconds / 60:.1f} min",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, nargs="*", default=[], help="checkpoints (default: the bundled pair)"
    )
    parser.add_argument("--jobs", type=int, default=0, help="validation workers (default: cores)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per bug and mode")
    parser.add_argument("--test-timeout", type=float, default=1.0)
    parser.add_argument("--only", nargs="*", default=None, help="case names")
    parser.add_argument("--json", action="store_true", help="rows and summaries as JSON")
    parser.add_argument("--json-file", type=Path, help="also write the JSON there")
    parser.add_argument(
        "--humaneval", type=int, default=29, help="held-out programs to seed (default: all 29)"
    )
    parser.add_argument("--no-fixtures", action="store_true", help="leave out the fixtures")
    parser.add_argument(
        "--fixture-seeds", type=int, default=1, help="seeded bugs per fixture's fixed version"
    )
    parser.add_argument(
        "--oss",
        default=",".join(p.name for p in OSS_PROJECTS if p.default),
        help="comma-separated projects (default: %(default)s; also: "
        + ", ".join(p.name for p in OSS_PROJECTS if not p.default)
        + ")",
    )
    parser.add_argument("--oss-bugs", type=int, default=6, help="seeded bugs per OSS project")
    parser.add_argument("--no-oss", action="store_true", help="leave out the OSS projects")
    parser.add_argument("--limit", type=int, default=0, help="at most N bugs per split")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="sdists, unpacked")
    parser.add_argument("--seed", type=int, default=0, help="bug seeding")
    parser.add_argument(
        "--split",
        choices=("dev", "test"),
        default="dev",
        help="dev: the bugs seeded by the options above (default; decisions are taken here); "
        "test: the frozen test bugs of --test-file, only for a change's final table "
        "(bench/README.md); the seeding options do not apply",
    )
    parser.add_argument(
        "--test-file", type=Path, default=None, help="the frozen test split (--split test)"
    )
    parser.add_argument(
        "--freeze-test",
        type=Path,
        metavar="PATH",
        help="draw the test split's bugs and write them to PATH (a new file), repair nothing",
    )
    parser.add_argument("--list", action="store_true", help="list the bugs, repair nothing")
    parser.add_argument(
        "--rows",
        type=Path,
        help="append each finished row to this JSON-lines file, and take the rows already "
        "there instead of running them again (resume a stopped run with the same options)",
    )
    args = parser.parse_args(argv)
    import frozen_split  # bench/: it builds on this module

    args.test_file = args.test_file or frozen_split.TEST_FILE
    if args.freeze_test:
        return freeze_test(args.freeze_test, args.cache)
    folder = Path(tempfile.mkdtemp(prefix="repair-bench-"))
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    try:
        if args.split == "test":
            try:
                all_cases = frozen_split.load_cases(args.test_file, folder, args.cache)
            except frozen_split.FrozenSplitError as error:
                say(f"repair bench: {error}")
                return 2
        else:
            all_cases = dev_cases(args, parser, folder)
        if args.only:
            all_cases = [case for case in all_cases if case.name in args.only]
        if args.limit:
            all_cases = [
                case for _, group in groups(all_cases, lambda c: c.split)
                for case in group[: args.limit]
            ]  # fmt: skip
        say(f"{len(all_cases)} bugs ready after {time.monotonic() - started:.0f} s")
        if args.list:
            for case in all_cases:
                print(json.dumps(_case_json(case)))
            return 0
        results, reused = run_all(all_cases, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    document = {
        "run": provenance(args),
        "cases": [_case_json(case) for case in all_cases],
        "results": results,
        "summary": summary_json(all_cases, results),
        "seconds": round(time.monotonic() - started, 1),
    }
    if args.json_file:
        args.json_file.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if args.json:
        json.dump(document, sys.stdout, indent=2)
        print()
    else:
        print()
        print(report(all_cases, results))
        print("\n## Run\n")
        info = run_info(args, load_before, time.monotonic() - started)
        repair_seconds = sum(row["seconds"] for rows in results.values() for row in rows.values())
        info.append(
            f"- repair time, summed over the {2 * len(all_cases)} rows: "
            f"{repair_seconds / 60:.1f} min"
        )
        for mode, name, stop in errors(results):
            info.append(f"- {mode} on {name} raised (counted as not fixed): {stop}")
        if reused:
            info.append(
                f"- {reused} of {2 * len(all_cases)} rows taken from {args.rows} (a resumed or "
                "re-rendered run): their seconds are from the run that made them"
            )
        print("\n".join(info))
    return 0


def dev_cases(args: argparse.Namespace, parser, folder: Path) -> list[Case]:
    """The development split's bugs: seeded with `args.seed` as the options say."""
    found: list[Case] = []
    if args.humaneval:
        found += humaneval_cases(args.humaneval, args.seed, folder)
    if not args.no_fixtures:
        found += fixture_cases()
        if args.fixture_seeds:
            found += fixture_seeded_cases(args.fixture_seeds, args.seed, folder)
    if not args.no_oss and args.oss:
        wanted = [name.strip() for name in args.oss.split(",") if name.strip()]
        known = {p.name: p for p in OSS_PROJECTS}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            parser.error(f"unknown --oss project(s) {unknown}; known: {sorted(known)}")
        chosen = [known[name] for name in wanted]
        found += oss_cases(chosen, args.oss_bugs, args.seed, folder, args.cache)
    return found


def freeze_test(path: Path, cache: Path) -> int:
    """`--freeze-test PATH`: draw the test split and write it (never over an existing file)."""
    import frozen_split

    if path.exists():
        say(f"repair bench: {path} exists; the test split is frozen (bench/README.md)")
        return 2
    command = f"python bench/repair_bench.py --freeze-test {path}"
    with tempfile.TemporaryDirectory(prefix="repair-bench-freeze-") as folder:
        document = frozen_split.freeze(path, Path(folder), cache, command)
    print("\n".join(frozen_split.composition(document)))
    return 0


def run_all(
    cases: Sequence[Case], args: argparse.Namespace
) -> tuple[dict[str, dict[str, dict]], int]:
    """Each case with the model and with the baseline; also how many rows came from --rows."""
    modes = {"model": True, "baseline": False}
    results: dict[str, dict[str, dict]] = {mode: {} for mode in modes}
    # A row is reused only for the same bug under the same settings (policy included).
    settings = {
        mode: hashlib.sha256(
            json.dumps(config_record(repair_config(args, use_model)), sort_keys=True).encode()
        ).hexdigest()[:16]
        for mode, use_model in modes.items()
    }
    done: dict[tuple[str, str, str | None], dict] = {}
    reused = 0
    if args.rows and args.rows.exists():  # a run that was stopped: keep what it finished
        for line in args.rows.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            done[(entry["mode"], entry["patch"], entry.get("settings"))] = entry["row"]
    for case in cases:
        for mode, use_model in modes.items():
            if (mode, case.expected_patch, settings[mode]) in done:
                row = results[mode][case.name] = done[(mode, case.expected_patch, settings[mode])]
                _print_row(mode, case, row, args, "(from --rows)")
                reused += 1
                continue
            row = run_case(case, repair_config(args, use_model))
            results[mode][case.name] = row
            if args.rows:
                entry = {"mode": mode, "patch": case.expected_patch, "settings": settings[mode]}
                entry["row"] = row
                with args.rows.open("a", encoding="utf-8") as stream:
                    stream.write(json.dumps(entry) + "\n")
            _print_row(mode, case, row, args)
    return results, reused


def _print_row(mode: str, case: Case, row: dict, args: argparse.Namespace, note: str = "") -> None:
    if args.json:
        return
    blind = case.blind.runs if case.blind and case.blind.runs else "–"
    print(
        f"{mode:<9} {case.name:<44} {case.bug_class:<21} fixed={row['fixed']!s:<5} "
        f"exact={row['exact']!s:<5} candidates={row['candidates']:<4} "
        f"test_runs={row['test_runs']:<4} blind={blind!s:<5} {row['seconds']:>6.1f} s {note}".rstrip(),
        flush=True,
    )


def _case_json(case: Case) -> dict:
    blind = case.blind
    return {
        "case": case.name,
        "split": case.split,
        "class": case.bug_class,
        "detail": case.detail,
        "blind_test_runs": blind.runs if blind else None,
        "blind_greedy": blind.greedy if blind else None,
        "blind_pairs": blind.pairs if blind else None,
        "blind_in_function": (case.blind_function.runs if case.blind_function else None),
        "blind_swaps_only": blind.swaps_only if blind else None,
        "patch": case.expected_patch,
    }


if __name__ == "__main__":
    raise SystemExit(main())
