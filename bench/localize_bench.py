"""Fault-localization benchmark: `repair localize` side by side with FauxPy.

Run from the repository root:

    .venv/bin/python bench/localize_bench.py collect --set fixtures|dev|test [--only ID ...]
    .venv/bin/python bench/localize_bench.py fit          # the weights, on fixtures + dev only
    .venv/bin/python bench/localize_bench.py table --set fixtures|dev|test
    .venv/bin/python bench/localize_bench.py graphs       # parse + graph build throughput

`collect` runs, for each bug and back to back (so both see the same machine load), our
localization (`repair.localize.localize`, in a child process of the bug's python) and FauxPy
(statement granularity, SBFL; its own venv), and caches both outcomes: our test run whole
(spectra, outcomes, tracebacks) and the sources it measured, so any policy can be scored again
without running a test; FauxPy's Tarantula, Ochiai and DStar lists. Sets: the 16 fixtures, and
the dev and test splits of the real bugs (`bench/realbugs.py`, `bench/realbugs/bugs.json`).
Decisions (`fit`) use fixtures and dev only; the test split is run once for the final table.

**The buggy statement** (one definition for both tools). A fixture's buggy lines are its
`bug.json` edits. A real bug's are the lines of the buggy file that the human patch removes or
changes; a hunk that only inserts lines names the statement it inserts into (when the insertion
falls inside one statement, a dict literal say), else the nearest statement above the inserted
lines and the nearest below. Each buggy line stands for its whole statement (`repair.statements`):
any line of it ranked counts as finding the bug.

**Ranks with ties.** Both tools' lists are ranked the same way: tied scores share an average rank
(positions 2 to 4 tied: 3 each). A bug's rank is the best average rank of its buggy statements;
one that is not listed ties with every statement left unlisted. top-N: rank <= N. EXAM: rank /
the number of statements in the source under test (the same count for both tools).
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

from repair.combine import DEFAULT_POLICY, LocalizePolicy, parsed_sources, suspiciousness  # noqa: E402
from repair.statements import statement_map  # noqa: E402
from repair.testrun import Frame, SuiteRun, TestResult  # noqa: E402

FIXTURES = REPO / "fixtures"
RESULTS = REPO / "bench" / "results"
CACHE = Path(os.environ.get("REPAIR_REALBUGS_CACHE", Path.home() / ".cache" / "repair-realbugs"))
RUNS = CACHE / "localize"
FAUXPY_VENV = Path(os.environ.get("FAUXPY_VENV", "/tmp/repair-fauxpy-venv"))
FAUXPY_FORMULAS = {"tarantula": "Tarantula", "ochiai": "Ochiai", "dstar": "Dstar"}
PER_TEST_TIMEOUT = 10.0
TOTAL_TIMEOUT = 600.0
TEST_DIRS = ("test", "tests", "testing")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the bugs --------------------------------------------------------------------------------


def fixture_cases() -> list[dict]:
    cases = []
    for path in sorted(p for p in FIXTURES.iterdir() if (p / "bug.json").is_file()):
        bug = json.loads((path / "bug.json").read_text())
        lines: dict[str, set[int]] = {}
        for edit in bug["edits"]:
            lines.setdefault(edit["path"], set()).add(int(edit["line"]))
        cases.append(
            {"id": path.name, "kind": "fixture", "dir": str(path), "lines": lines, "src": "."}
        )
    return cases


def realbug_cases(split: str) -> list[dict]:
    from realbugs import load_bugs

    return [{**bug, "kind": "realbug"} for bug in load_bugs(split)]


def cases_of(name: str, only: list[str] | None = None) -> list[dict]:
    found = fixture_cases() if name == "fixtures" else realbug_cases(name)
    return [case for case in found if not only or case["id"] in only]


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def patch_lines(patch: str, source: bytes) -> set[int]:
    """The buggy file's lines a unified diff (buggy -> fixed) names, as the docstring defines."""
    statements = statement_map(source)
    code = sorted({line for s in statements for line in range(s.first, s.last + 1)})
    found: set[int] = set()
    for after_line, removed in _change_blocks(patch):
        if removed:
            found.update(removed)
            continue
        before = max((n for n in code if n <= after_line), default=None)
        after = min((n for n in code if n > after_line), default=None)
        if (
            before is not None
            and after is not None
            and statements.at(before) is statements.at(after)
        ):
            found.add(before)  # inserted inside one statement
        else:
            found.update(n for n in (before, after) if n is not None)
    return found


def _change_blocks(patch: str):
    """(old line before the block, old lines the block removes) for each run of changed lines."""
    old, block_start, removed, in_block = 0, 0, [], False
    for text in [*patch.splitlines(), " "]:
        if text.startswith(("---", "+++", "diff ", "index ")):
            continue
        match = _HUNK.match(text)
        is_change = not match and text.startswith(("-", "+"))
        if in_block and not is_change:
            yield block_start, removed
            in_block, removed = False, []
        if match:
            old = int(match[1]) - 1
        elif is_change:
            if not in_block:
                in_block, block_start = True, old
            if text.startswith("-"):
                old += 1
                removed.append(old)
        elif not text.startswith("\\"):
            old += 1


def buggy_statement_lines(path: str, lines: set[int], source: bytes) -> set[tuple[str, int]]:
    """Every line of the statements that hold `lines`: any of them ranked finds the bug."""
    statements = statement_map(source)
    found = set()
    for line in lines:
        unit = statements.at(line)
        span = range(unit.first, unit.last + 1) if unit else [line]
        found.update((path, n) for n in span)
    return found


def is_source(relative: str) -> bool:
    """Not a test: outside test folders, not `test_*.py` or `conftest.py`."""
    parts = relative.split("/")
    return not (
        any(p in TEST_DIRS for p in parts[:-1])
        or parts[-1].startswith("test_")
        or parts[-1] == "conftest.py"
    )


def statement_count(tree: Path, src: str) -> int:
    """Statements in the source under test (test folders and test files left out)."""
    root = tree / src
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    total = 0
    for path in files:
        if not is_source(path.relative_to(tree).as_posix()):
            continue
        total += len(statement_map(path.read_bytes()))
    return total


# --- running the two tools -------------------------------------------------------------------


def run_child(argv: list[str]) -> int:
    """Child mode (`_ours OUT ROOT SRC TEST...`), in the bug's python: localize, then dump the
    run and the measured sources."""
    from repair.localize import localize, read_sources

    out, src, tests = Path(argv[0]), argv[1], argv[2:]
    result = localize([Path(src)], [Path(t) for t in tests], top=None,
                      per_test_timeout=PER_TEST_TIMEOUT, total_timeout=TOTAL_TIMEOUT)  # fmt: skip
    run = result.run
    ids = {r.nodeid: i for i, r in enumerate(run.results)}
    document = {
        "root": str(result.root),
        "results": [
            [r.nodeid, r.outcome, r.duration, r.message[:300], [list(f) for f in r.frames]]
            for r in run.results
        ],
        "coverage": {
            path: {str(line): sorted(ids[n] for n in nodeids if n in ids)
                   for line, nodeids in lines.items()}  # fmt: skip
            for path, lines in run.line_coverage.items()
        },
        "sources": {p: s.decode("utf-8", "replace") for p, s in read_sources(run, result.root).items()},
        "wall_time": run.wall_time,
        "crashed": run.crashed,
        "timed_out": run.timed_out,
        "top": [[line.path, line.line, line.score] for line in result.ranked[:5]],
    }  # fmt: skip
    out.write_text(json.dumps(document))
    return 0


def load_run(document: dict) -> SuiteRun:
    results = [
        TestResult(nodeid, outcome, duration, message, tuple(Frame(*f) for f in frames))
        for nodeid, outcome, duration, message, frames in document["results"]
    ]
    names = [r.nodeid for r in results]
    coverage = {
        path: {int(line): frozenset(names[i] for i in ids) for line, ids in lines.items()}
        for path, lines in document["coverage"].items()
    }
    return SuiteRun(results, coverage, [], document["wall_time"], document["crashed"],
                    document["timed_out"])  # fmt: skip


def run_ours(python: Path, tree: Path, src: str, tests: list[str], env: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="localize-ours-") as tmp:
        out = Path(tmp) / "run.json"
        command = [str(python), str(Path(__file__).resolve()), "_ours", str(out), src, *tests]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=TOTAL_TIMEOUT + 120)  # fmt: skip
        seconds = time.perf_counter() - started
        if not out.exists():
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
            return {"seconds": seconds, "error": f"rc {done.returncode}: {tail}"}
        return {"seconds": seconds, **json.loads(out.read_text())}


def run_fauxpy(case: dict, tree: Path, src: str, tests: list[str]) -> dict:
    """FauxPy on a copy of the tree (it writes its report beside the project folder)."""
    python = FAUXPY_VENV / "bin" / "python"
    with tempfile.TemporaryDirectory(prefix="localize-fauxpy-") as tmp:
        work = Path(tmp) / "project"
        shutil.copytree(tree, work, symlinks=True)
        env = fauxpy_env(case, work)
        command = [str(python), "-m", "pytest", "-p", "no:cacheprovider", *tests, "--src", src,
                   "--family", "sbfl", "--granularity", "statement",
                   "--timeout", str(int(PER_TEST_TIMEOUT)),
                   # FauxPy imports click, pygments... before its coverage starts: not the
                   # project's error when a project turns warnings into errors
                   "-W", "ignore::coverage.exceptions.CoverageWarning"]  # fmt: skip
        started = time.perf_counter()
        try:
            done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=TOTAL_TIMEOUT)  # fmt: skip
        except subprocess.TimeoutExpired:
            return {"seconds": time.perf_counter() - started, "error": "timed out"}
        seconds = time.perf_counter() - started
        lists = {}
        for name, file_name in FAUXPY_FORMULAS.items():
            reports = sorted(Path(tmp).glob(f"FauxPyReport_project_*/Scores_{file_name}.csv"))
            entries = []
            for row in reports[-1].read_text(errors="replace").splitlines()[1:] if reports else []:
                match = re.match(r"(.+\.py)::(\d+),(.+)$", row)
                if match and match[1].startswith(str(work) + "/"):
                    relative = match[1][len(str(work)) + 1 :]
                    if is_source(relative):
                        entries.append([relative, int(match[2]), float(match[3])])
            lists[name] = entries
        result = {"seconds": seconds, "rc": done.returncode, **lists}
        if not lists["ochiai"]:
            result["error"] = f"no ranking: {(done.stdout + done.stderr).strip()[-300:]}"
        return result


def fauxpy_env(case: dict, tree: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if case["kind"] == "realbug":
        # the project's pinned requirements before FauxPy's own, the tree before both
        from realbugs_env import ensure_venv

        python = ensure_venv(case, log=say)
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                               "['purelib'])"], capture_output=True, text=True).stdout.strip()  # fmt: skip
        env["PYTHONPATH"] = os.pathsep.join([str(tree / case.get("pythonpath", ".")), site])
    return env


def collect_one(case: dict, git_root: Path, fauxpy: bool, kept: dict | None = None) -> dict:
    """Both tools on one bug; with `kept` (an earlier record), ours only, FauxPy's kept."""
    with tempfile.TemporaryDirectory(prefix="localize-bench-") as tmp:
        if case["kind"] == "fixture":
            tree = Path(tmp) / case["id"]
            shutil.copytree(case["dir"], tree)
            python, src = Path(sys.executable), "."
            tests = ["tests"]
            targets = set()
            for path, lines in case["lines"].items():
                targets |= buggy_statement_lines(path, lines, (tree / path).read_bytes())
            total = statement_count(tree, ".")
        else:
            from realbugs_env import ensure_venv, materialize

            tree = materialize(case, Path(tmp) / case["id"], git_root, buggy=True)
            python, src, tests = ensure_venv(case, log=say), case["src"], case["test_files"]
            source = (tree / case["file"]).read_bytes()
            lines = patch_lines(case["patch"], source)
            targets = buggy_statement_lines(case["file"], lines, source)
            total = statement_count(tree, src)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV"))}
        record = {
            "id": case["id"],
            "targets": sorted(targets),
            "statements": total,
            "load": os.getloadavg()[0],
            "ours": run_ours(python, tree, src, tests, env),
        }
        if kept is not None:
            record["fauxpy"] = kept.get("fauxpy")
            record["ours_run_again"] = True  # ours and FauxPy's seconds are not back to back
        elif fauxpy:
            record["fauxpy"] = run_fauxpy(case, tree, src, tests)
    return record


def record_path(set_name: str, case_id: str) -> Path:
    return RUNS / set_name / f"{case_id}.json.gz"


def load_records(set_name: str) -> list[dict]:
    records = []
    for case in cases_of(set_name):
        path = record_path(set_name, case["id"])
        if path.exists():
            records.append(json.loads(gzip.decompress(path.read_bytes())))
    return records


def collect(args) -> int:
    from realbugs_env import GIT_ROOT

    for case in cases_of(args.set, args.only):
        path = record_path(args.set, case["id"])
        kept = None
        if path.exists():
            if args.ours_before is not None and path.stat().st_mtime < args.ours_before:
                kept = json.loads(gzip.decompress(path.read_bytes()))
            elif not args.again:
                continue
        record = collect_one(case, args.git_root or GIT_ROOT, not args.no_fauxpy, kept)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(json.dumps(record).encode()))
        ours, faux = record["ours"], record.get("fauxpy", {})
        say(f"{case['id']:<24} ours {ours['seconds']:6.1f} s {ours.get('error', '')[:80]}  "
            f"fauxpy {faux.get('seconds', 0):6.1f} s {faux.get('error', '')[:80]}")  # fmt: skip
    return 0


# --- scoring ---------------------------------------------------------------------------------


def average_ranks(entries: list[tuple[tuple[str, int], float]]) -> dict[tuple[str, int], float]:
    """Average rank of each (path, line) with a positive score; ties share it."""
    order = sorted((e for e in entries if e[1] > 0), key=lambda e: -e[1])
    ranks, start = {}, 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and order[end + 1][1] == order[start][1]:
            end += 1
        for key, _ in order[start : end + 1]:
            ranks.setdefault(key, (start + 1 + end + 1) / 2)
        start = end + 1
    return ranks


def bug_rank(ranks: dict[tuple[str, int], float], targets: set, statements: int) -> float:
    """The best average rank of a buggy line; unlisted: tied with everything unlisted."""
    found = [rank for key, rank in ranks.items() if key in targets]
    if found:
        return min(found)
    listed = len(ranks)
    return listed + (max(statements, listed + 1) - listed + 1) / 2


class Prepared:
    """One record's run and parsed sources, to score many policies."""

    def __init__(self, record: dict):
        self.record = record
        self.ok = "error" not in record["ours"]
        self.targets = {tuple(t) for t in record["targets"]}
        if self.ok:
            self.run = load_run(record["ours"])
            self.sources = {p: s.encode() for p, s in record["ours"]["sources"].items()}
            self.prepared = parsed_sources(self.sources)

    def ours(self, policy: LocalizePolicy) -> float:
        if not self.ok:
            return bug_rank({}, self.targets, self.record["statements"])
        scores = suspiciousness(self.run, self.sources, policy, prepared=self.prepared)
        return bug_rank(average_ranks(list(scores.items())), self.targets,
                        self.record["statements"])  # fmt: skip

    def fauxpy(self, formula: str) -> float | None:
        faux = self.record.get("fauxpy")
        if not faux or "error" in faux:
            return bug_rank({}, self.targets, self.record["statements"]) if faux else None
        entries = [((path, line), score) for path, line, score in faux[formula]]
        return bug_rank(average_ranks(entries), self.targets, self.record["statements"])


def summary(ranks: list[float], records: list[dict]) -> dict:
    n = len(ranks)
    exams = [r / max(rec["statements"], 1) for r, rec in zip(ranks, records, strict=True)]
    return {
        "n": n,
        **{f"top{k}": sum(r <= k for r in ranks) for k in (1, 3, 5, 10)},
        "exam": statistics.mean(exams) if exams else 0.0,
        "mean_rank": statistics.mean(ranks) if ranks else 0.0,
    }


def row(name: str, s: dict, seconds: float | None = None) -> str:
    time_cell = f"{seconds:9.2f}" if seconds is not None else f"{'':>9}"
    return (
        f"{name:<44} {s['top1']:>3}/{s['n']:<3} {s['top3']:>3}/{s['n']:<3} "
        f"{s['top5']:>3}/{s['n']:<3} {s['top10']:>3}/{s['n']:<3} {s['exam']:>8.4f} "
        f"{s['mean_rank']:>8.1f} {time_cell}"
    )


HEADER = (
    f"{'':<44} {'top-1':>7} {'top-3':>7} {'top-5':>7} {'top-10':>7} {'EXAM':>8} "
    f"{'meanrank':>8} {'median s':>9}"
)


def line_level(prepared: Prepared, formula: str) -> float:
    """The localization before statements: the plain formula per line, ties by average rank."""
    from repair.localize import line_scores

    if not prepared.ok:
        return bug_rank({}, prepared.targets, prepared.record["statements"])
    scores = line_scores(prepared.run, formula)
    return bug_rank(average_ranks(list(scores.items())), prepared.targets,
                    prepared.record["statements"])  # fmt: skip


def alone(formula: str) -> LocalizePolicy:
    """The formula on statements, without traceback, text, twin or function-header evidence."""
    return LocalizePolicy(formula=formula, crash_weight=0.0, header_share=0.0, text_weight=0.0,
                          twin_weight=0.0)  # fmt: skip


# Grid of the fit (development data only: fixtures + the real bugs' dev split).
GRID = {
    "formula": ("tarantula", "ochiai", "dstar"),
    "crash_weight": (0.0, 0.5, 1.0, 2.0),
    "frame_decay": (0.25, 0.5, 0.75),
    "header_share": (0.0, 0.5),
    "text_weight": (0.0, 0.5, 1.0, 2.0),
    "twin_weight": (0.0, 0.1, 0.2, 0.5, 1.0),
}  # constant_share stays at 0.99, the value it had before #21


def objective(stats: dict) -> tuple:
    """What the fit maximises: top-1, then top-3, then top-5, then a lower mean EXAM."""
    return (stats["top1"], stats["top3"], stats["top5"], -round(stats["exam"], 6))


def fit(args) -> int:
    sets = ("fixtures", "dev")
    prepared = [Prepared(r) for name in sets for r in load_records(name)]
    records = [p.record for p in prepared]
    say(f"fitting on {len(prepared)} bugs ({', '.join(sets)})")
    results = []
    for formula, weight, decay, header, text, twin in itertools.product(*GRID.values()):
        if weight == 0 and decay != GRID["frame_decay"][0]:
            continue  # the decay means nothing without traceback evidence
        policy = LocalizePolicy(formula=formula, crash_weight=weight, frame_decay=decay,
                                header_share=header, text_weight=text,
                                twin_weight=twin)  # fmt: skip
        results.append((policy, summary([p.ours(policy) for p in prepared], records)))
    results.sort(key=lambda item: objective(item[1]), reverse=True)
    best = results[0][0]
    out = [
        "$ .venv/bin/python bench/localize_bench.py fit",
        f"development data only: fixtures ({sum(1 for r in records if '-' not in r['id'])}) + "
        f"real bugs dev split; {len(prepared)} bugs. Objective: top-1, then top-3, then top-5, "
        "then mean EXAM (ranks with ties averaged).",
        f"grid: {json.dumps(GRID)}",
        "",
        HEADER.replace("median s", ""),
    ]
    for policy, stats in results[:15]:
        out.append(row(policy.key(), stats))
    out += ["", "Each formula alone (statements; no traceback, header or text evidence):"]
    for formula in GRID["formula"]:
        policy = alone(formula)
        out.append(row(policy.key(), summary([p.ours(policy) for p in prepared], records)))
    out += ["", "The best weights with each formula:"]
    for formula in GRID["formula"]:
        policy, stats = next(item for item in results if item[0].formula == formula)
        out.append(row(policy.key(), stats))
    out += ["", "Before (#21): the formula per line, ties averaged:"]
    for formula in GRID["formula"]:
        out.append(row(f"line-level {formula}",
                       summary([line_level(p, formula) for p in prepared], records)))  # fmt: skip
    out += [
        "",
        f"chosen: {best.key()}  (ties on the objective go to the first in the grid's order: smaller weights)",
    ]
    current = DEFAULT_POLICY.key()
    out.append(
        f"LocalizePolicy() now: {current}" + ("" if current == best.key() else "  (DIFFERS)")
    )
    text = "\n".join(out)
    print(text)
    (RESULTS / "localize_fit.txt").write_text(text + "\n")
    return 0


def table(args) -> int:
    records = load_records(args.set)
    prepared = [Prepared(r) for r in records]
    with_faux = [p for p in prepared if p.record.get("fauxpy")]
    out = [
        f"$ .venv/bin/python bench/localize_bench.py table --set {args.set}",
        f"{len(records)} bugs ({args.set}); {len(with_faux)} with FauxPy beside. Ranks with ties "
        "averaged; EXAM = rank / statements in the source under test; median s: wall time per "
        "bug of the whole tool run (tests included), ours and FauxPy back to back per bug, on a "
        "2-core machine shared with other jobs (load at start of each bug: median "
        f"{statistics.median([r['load'] for r in records]) if records else 0:.1f}).",
        f"ours = LocalizePolicy() = {DEFAULT_POLICY.key()}",
        f"{sum(bool(r.get('ours_run_again')) for r in records)} bugs had ours run again after the "
        "runner's unittest-frames fix, their FauxPy run kept from the first pass (not back to back)",
        "",
        HEADER,
    ]
    ours_seconds = statistics.median([p.record["ours"]["seconds"] for p in prepared] or [0])
    ours = [p.ours(DEFAULT_POLICY) for p in prepared]
    out.append(row("repair (combined, default)", summary(ours, records), ours_seconds))
    no_twin = dataclasses.replace(DEFAULT_POLICY, twin_weight=0.0)
    out.append(row("repair (combined, no twin evidence)",
                   summary([p.ours(no_twin) for p in prepared], records)))  # fmt: skip
    for formula in ("tarantula", "ochiai", "dstar"):
        policy = alone(formula)
        out.append(row(f"repair, {formula} alone (statements)",
                       summary([p.ours(policy) for p in prepared], records)))  # fmt: skip
    for formula in ("ochiai", "dstar"):
        out.append(row(f"repair before #21: line-level {formula}",
                       summary([line_level(p, formula) for p in prepared], records)))  # fmt: skip
    if with_faux:
        faux_records = [p.record for p in with_faux]
        faux_seconds = statistics.median([r["fauxpy"]["seconds"] for r in faux_records])
        for formula in ("ochiai", "dstar", "tarantula"):
            ranks = [p.fauxpy(formula) for p in with_faux]
            out.append(row(f"FauxPy {formula} (statement)", summary(ranks, faux_records),
                           faux_seconds if formula == "ochiai" else None))  # fmt: skip
        same = [p.ours(DEFAULT_POLICY) for p in with_faux]
        mine = summary(same, faux_records)
        best_faux = max((summary([p.fauxpy(f) for p in with_faux], faux_records) for f in
                         ("ochiai", "dstar")), key=objective)  # fmt: skip
        ratio_t = statistics.median(
            [r["ours"]["seconds"] / max(r["fauxpy"]["seconds"], 1e-9) for r in faux_records]
        )
        ranked = [p for p in with_faux if "error" not in p.record["fauxpy"]]
        if len(ranked) < len(with_faux):
            subset = [p.record for p in ranked]
            out += ["", f"Only the {len(ranked)} bugs FauxPy ranked (it failed on the others):"]
            out.append(row("repair (combined, default)",
                           summary([p.ours(DEFAULT_POLICY) for p in ranked], subset)))  # fmt: skip
            for formula in ("ochiai", "dstar"):
                out.append(row(f"FauxPy {formula} (statement)",
                               summary([p.fauxpy(formula) for p in ranked], subset)))  # fmt: skip
        out += [
            "",
            f"against FauxPy's better formula on these {len(with_faux)} bugs: top-1 "
            f"{mine['top1']} vs {best_faux['top1']} "
            f"({mine['top1'] / max(best_faux['top1'], 1e-9):.2f}x; target >= 1.5x), top-3 "
            f"{mine['top3']} vs {best_faux['top3']} (target >=), time: median per-bug ratio "
            f"{ratio_t:.2f}x (target <= 0.5x)",
        ]
    out += ["", "Per bug (average rank; '-' no run):",
            f"{'bug':<24} {'ours':>8} {'och':>8} {'dstar':>8} {'F.och':>8} {'F.dstar':>8} "
            f"{'ours s':>7} {'F s':>7} {'stmts':>6}"]  # fmt: skip
    for p in prepared:
        faux = p.record.get("fauxpy") or {}
        cells = [p.ours(DEFAULT_POLICY),
                 p.ours(alone("ochiai")),
                 p.ours(alone("dstar")),
                 p.fauxpy("ochiai"), p.fauxpy("dstar")]  # fmt: skip
        note = p.record["ours"].get("error", "") or faux.get("error", "")
        out.append(
            f"{p.record['id']:<24} "
            + " ".join(f"{c:>8.1f}" if c is not None else f"{'-':>8}" for c in cells)
            + f" {p.record['ours']['seconds']:>7.1f} {faux.get('seconds', 0):>7.1f}"
            + f" {p.record['statements']:>6}  {note[:60]}"
        )
    text = "\n".join(out)
    print(text)
    (RESULTS / f"localize_{args.set}.txt").write_text(text + "\n")
    return 0


# --- graph throughput ------------------------------------------------------------------------


def is_test_path(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return any(p in ("test", "tests", "idle_test") or p.startswith("test_") for p in parts[:-1])


def graphs(args) -> int:
    from repair.errors import SourceError
    from repair.graph import build_graph
    from repair.source import check_parses, tokens
    from repair.vocabulary import Vocabulary

    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)
    files = [p for p in files if not is_test_path(p, root)][::5]
    sample = []
    for path in files:
        source = path.read_bytes()
        try:
            check_parses(source, str(path))
        except SourceError:
            continue
        sample.append((path, source))
    vocabulary = Vocabulary.build(t.text for _, source in sample for t in tokens(source))
    total_bytes = total_nodes = 0
    started = time.perf_counter()
    for _, source in sample:
        graph, _ = build_graph(source, tokens(source), vocabulary)
        total_bytes += len(source)
        total_nodes += int(graph.num_nodes)
    seconds = time.perf_counter() - started
    print(f"tokens+build_graph over {len(sample)} stdlib files: {seconds:.2f} s, "
          f"{total_bytes / 1e6 / seconds:.2f} MB/s, {total_nodes / seconds:,.0f} nodes/s")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_ours":
        return run_child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("collect")
    one.add_argument("--set", choices=("fixtures", "dev", "test"), required=True)
    one.add_argument("--only", nargs="*")
    one.add_argument("--again", action="store_true", help="run bugs already collected again")
    one.add_argument("--no-fauxpy", action="store_true")
    one.add_argument("--ours-before", type=float, metavar="UNIX_TIME",
                     help="run ours again (FauxPy's kept) where collected before this time")  # fmt: skip
    one.add_argument("--git-root", type=Path)
    commands.add_parser("fit")
    show = commands.add_parser("table")
    show.add_argument("--set", choices=("fixtures", "dev", "test"), required=True)
    commands.add_parser("graphs")
    args = parser.parse_args(argv)
    return {"collect": collect, "fit": fit, "table": table, "graphs": graphs}[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
