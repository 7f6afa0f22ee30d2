"""The repair benchmark's frozen test split: bugs written out once (`bench/heldout/test_bugs.json`)
and read back as they are, whatever `bench/bugs.py` draws later.

The default bugs of `repair_bench.py` (seed 0: held-out HumanEval, the fixtures, inflection,
toolz) steered decisions (`bench/README.md`) and are the development split. This is the test
split, run once for a change's final table:

- held-out HumanEval: a single-token (or swap) and a two-token bug in each of the 29 programs;
- fixtures: `FIXTURE_BUGS` single-token bugs seeded in each fixture's fixed version;
- `TEST_PROJECTS`, real projects no split used before (sdists at pinned versions, fetched at
  run time and never committed): `OSS_BUGS` bugs each, two thirds single-token, in lines their
  tests run.

Drawn by `bench/bugs.py` with `TEST_SEED` and keys of their own (`test:...`), none equal to a
development bug. Made once by

    python bench/repair_bench.py --freeze-test bench/heldout/test_bugs.json

which records each bug's origin, the SHA-256 of each file it changes and its edits (byte span,
line, original and buggy text). `load_cases` checks that every bug still applies to the pinned
sources and fails a test, and refuses to run otherwise.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from bugs import Identity, Seeded, bug_identity, seed_bugs
from repair_bench import (
    FIXTURE_SPLIT,
    FIXTURES,
    HUMANEVAL,
    OSS,
    Case,
    OssProject,
    _Project,
    fetch_sdist,
    fixture_cases,
    fixture_project,
    humaneval_case,
    humaneval_fails,
    oss_sizes,
    say,
)

from repair.source import Edit

TEST_FILE = Path(__file__).resolve().parent / "heldout" / "test_bugs.json"
TEST_SEED = 20261206  # no other split seeds with it (the development bugs: 0)
TEST_PROJECTS = (
    OssProject("parse", "1.20.2", ("parse.py",), ("tests",), False),
    OssProject("boltons", "26.2.0", ("boltons",), ("tests",), False),
)
FIXTURE_BUGS = 2
OSS_BUGS = 6
DEV_SEED = 0  # the development bugs, `repair_bench.py`'s defaults, which the test bugs avoid
FORMAT = 1


class FrozenSplitError(RuntimeError):
    """The frozen test split no longer applies to the sources it was drawn from."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _slug(seeded: Seeded) -> str:
    return seeded.bug_class.replace(" ", "_")


def record_of(name: str, split: str, origin: dict, key: str, seeded: Seeded, files) -> dict:
    """One bug as the frozen file holds it (`files`: the clean files it was seeded in)."""
    edits = []
    for path, path_edits in sorted(seeded.edits.items()):
        for edit in sorted(path_edits, key=lambda e: e.start):
            line = files[path][: edit.start].count(b"\n") + 1
            edits.append(
                {"path": path, "start": edit.start, "end": edit.end, "line": line,
                 "original": edit.old, "buggy": edit.new}
            )  # fmt: skip
    return {
        "name": name,
        "split": split,
        "origin": origin,
        "key": key,
        "seed": TEST_SEED,
        "size": seeded.size,
        "class": seeded.bug_class,
        "detail": seeded.detail,
        "files": {path: _sha(files[path]) for path in sorted(seeded.edits)},
        "edits": edits,
        "lines": [list(line) for line in seeded.lines],
    }


def seeded_of(record: dict) -> Seeded:
    edits: dict[str, list[Edit]] = {}
    for e in record["edits"]:
        edits.setdefault(e["path"], []).append(
            Edit(e["start"], e["end"], e["original"], e["buggy"])
        )
    return Seeded(
        size=record["size"],
        bug_class=record["class"],
        detail=record["detail"],
        edits={path: tuple(found) for path, found in edits.items()},
        lines=tuple((path, line) for path, line in record["lines"]),
    )


def problem_with(record: dict, files, fails) -> str | None:
    """Why `record` does not apply to `files` (the clean sources) or fails no test; None if it
    is usable as it was frozen."""
    for path, digest in record["files"].items():
        if path not in files:
            return f"{path} is not among the sources"
        if _sha(files[path]) != digest:
            return f"{path} differs from the file the bug was seeded in"
    seeded = seeded_of(record)
    try:
        buggy = seeded.apply(files)
    except ValueError as error:
        return f"its edits do not apply: {error}"
    if not fails(buggy, list(seeded.lines)):
        return "no test fails on it"
    return None


# --- freezing ------------------------------------------------------------------------------


def freeze(path: Path, folder: Path, cache: Path, command: str) -> dict:
    """Draw the test bugs, write them to `path` and return the document."""
    from repair.executor import Executor
    from training.data import held_out_programs

    bugs: list[dict] = []
    with Executor(workers=1) as executor:
        for program in held_out_programs():
            clean = {"solution.py": program.source.encode()}
            fails = humaneval_fails(executor, program)
            dev = seed_bugs(clean, (1, 2), f"humaneval:{program.name}", DEV_SEED, fails)
            key = f"test:humaneval:{program.name}"
            drawn = seed_bugs(clean, (1, 2), key, TEST_SEED, fails, avoid=_identities(dev, clean))
            for number, seeded in enumerate(drawn):
                name = f"{program.name.replace('/', '_')}-t{'ab'[number]}-{_slug(seeded)}"
                origin = {"kind": "humaneval", "program": program.name}
                bugs.append(record_of(name, HUMANEVAL, origin, key, seeded, clean))
    real = {case.root.name: bug_identity(case.buggy) for case in fixture_cases()}
    for root in _fixture_roots():
        project = fixture_project(root, folder / "freeze")
        dev = project.seed((1,), f"fixture:{root.name}", DEV_SEED)
        avoid = _identities(dev, project.files) | {real[root.name]}
        key = f"test:fixture:{root.name}"
        for number, seeded in enumerate(project.seed((1,) * FIXTURE_BUGS, key, TEST_SEED, avoid)):
            name = f"{root.name}-test{number}-{_slug(seeded)}"
            origin = {"kind": "fixture", "fixture": root.name}
            bugs.append(record_of(name, FIXTURE_SPLIT, origin, key, seeded, project.files))
    for spec in TEST_PROJECTS:
        say(f"seeding {OSS_BUGS} bugs in {spec.label}")
        project = _Project(fetch_sdist(spec, cache), spec.sources, spec.tests)
        key = f"test:oss:{spec.name}"
        for number, seeded in enumerate(project.seed(oss_sizes(OSS_BUGS), key, TEST_SEED)):
            name = f"{spec.name}-t{number:02d}-{_slug(seeded)}"
            origin = {"kind": "oss", "project": spec.name}
            bugs.append(record_of(name, f"{OSS}: {spec.label}", origin, key, seeded, project.files))
    document = {
        "format": FORMAT,
        "about": "The repair benchmark's frozen test split (bench/frozen_split.py); run it only "
        "for a change's final table (bench/README.md).",
        "command": command,
        "seed": TEST_SEED,
        "projects": [
            {
                "name": p.name,
                "version": p.version,
                "sources": list(p.sources),
                "tests": list(p.tests),
            }
            for p in TEST_PROJECTS
        ],  # fmt: skip
        "bugs": bugs,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return document


def _identities(seeded: Iterable[Seeded], files) -> set[Identity]:
    return {bug_identity(bug.apply(files)) for bug in seeded}


def _fixture_roots() -> list[Path]:
    return [root for root in sorted(FIXTURES.iterdir()) if (root / "bug.json").exists()]


def composition(document: dict) -> list[str]:
    """How many bugs of each split and size, and of each class."""
    counts: dict[tuple[str, str], int] = {}
    for bug in document["bugs"]:
        size = "two-token" if bug["size"] == 2 else "single-token"
        counts[(bug["split"], size)] = counts.get((bug["split"], size), 0) + 1
    lines = [f"{split}, {size}: {count}" for (split, size), count in counts.items()]
    classes: dict[str, int] = {}
    for bug in document["bugs"]:
        classes[bug["class"]] = classes.get(bug["class"], 0) + 1
    lines.append("classes: " + ", ".join(f"{c} {n}" for c, n in sorted(classes.items())))
    lines.append(f"all: {len(document['bugs'])}")
    return lines


# --- loading -------------------------------------------------------------------------------


def load_cases(path: Path, folder: Path, cache: Path) -> list[Case]:
    """The frozen bugs as benchmark cases under `folder`; FrozenSplitError names every bug that
    no longer applies to its pinned source or fails no test."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("format") != FORMAT:
        raise FrozenSplitError(f"{path}: format {document.get('format')!r}, expected {FORMAT}")
    records = document["bugs"]
    cases: list[Case] = []
    problems: list[str] = []
    kinds = {record["origin"]["kind"] for record in records}
    if "humaneval" in kinds:
        cases += _humaneval(records, folder, problems)
    if "fixture" in kinds:
        cases += _fixtures(records, folder, problems)
    for spec in document["projects"]:
        sources, tests = tuple(spec["sources"]), tuple(spec["tests"])
        project = OssProject(spec["name"], spec["version"], sources, tests, False)
        cases += _oss(project, records, folder, cache, problems)
    if problems:
        raise FrozenSplitError(
            f"{path}: {len(problems)} of {len(records)} frozen test bugs no longer apply, so the "
            "test split would not be the one frozen; nothing was run:\n  "
            + "\n  ".join(problems)
            + "\nThe test split is regenerated only on purpose, as a new test set "
            "(bench/README.md)."
        )
    order = {record["name"]: number for number, record in enumerate(records)}
    return sorted(cases, key=lambda case: order[case.name])


def _humaneval(records: list[dict], folder: Path, problems: list[str]) -> list[Case]:
    from repair.executor import Executor
    from training.data import held_out_programs

    programs = {program.name: program for program in held_out_programs()}
    found = []
    with Executor(workers=1) as executor:
        for record in records:
            if record["origin"]["kind"] != "humaneval":
                continue
            program = programs.get(record["origin"]["program"])
            if program is None:
                problems.append(
                    f"{record['name']}: no held-out program {record['origin']['program']}"
                )
                continue
            clean = {"solution.py": program.source.encode()}
            problem = problem_with(record, clean, humaneval_fails(executor, program))
            if problem:
                problems.append(f"{record['name']}: {problem}")
                continue
            found.append(humaneval_case(program, seeded_of(record), record["name"], folder))
    return found


def _fixtures(records: list[dict], folder: Path, problems: list[str]) -> list[Case]:
    found = []
    for root in _fixture_roots():
        mine = [r for r in records if r["origin"] == {"kind": "fixture", "fixture": root.name}]
        if mine:
            project = fixture_project(root, folder)
            found += _project_cases(project, mine, FIXTURE_SPLIT, folder, problems)
    known = {root.name for root in _fixture_roots()}
    for record in records:
        if record["origin"]["kind"] == "fixture" and record["origin"]["fixture"] not in known:
            problems.append(f"{record['name']}: no fixture {record['origin']['fixture']}")
    return found


def _oss(
    project: OssProject, records, folder: Path, cache: Path, problems: list[str]
) -> list[Case]:
    mine = [r for r in records if r["origin"] == {"kind": "oss", "project": project.name}]
    if not mine:
        return []
    say(f"checking {len(mine)} frozen bugs in {project.label}")
    clean = _Project(fetch_sdist(project, cache), project.sources, project.tests)
    return _project_cases(clean, mine, f"{OSS}: {project.label}", folder, problems)


def _project_cases(project: _Project, records, split: str, folder: Path, problems) -> list[Case]:
    found = []
    for record in records:
        problem = problem_with(record, project.files, project.fails)
        if problem:
            problems.append(f"{record['name']}: {problem}")
        else:
            name = record["name"]
            found.append(project.case(name, split, seeded_of(record), folder / name))
    return found


if __name__ == "__main__":
    sys.exit("run it through bench/repair_bench.py: --freeze-test PATH or --split test")
