"""Fault-localization benchmark (sections: quality, graphs, fauxpy; default all): quality per formula, coverage overhead, graph throughput, FauxPy.

Run from the repository root:

    .venv/bin/python bench/localize_bench.py

1. Localization quality over fixtures/*: top-1/3/5 share and EXAM per formula (one suite run per
   fixture, reused for every formula via `rank_lines`).
2. Overhead of the coverage-instrumented run (`localize`) vs plain `python -m pytest -q`, median
   of 3 each (timetable_infinite_loop skipped: its tests hang until the timeouts).
3. Parse + graph build throughput over a sample of the standard library.
4. FauxPy (statement granularity, SBFL) side by side on a few fixtures, if it installs.
"""

from __future__ import annotations

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

from repair.errors import SourceError
from repair.graph import build_graph
from repair.localize import localize, rank_lines
from repair.source import check_parses, tokens
from repair.vocabulary import Vocabulary

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
FORMULAS = ("tarantula", "ochiai", "dstar")
TIMING_SKIP = {"timetable_infinite_loop"}
REPEATS = 3
PER_TEST_TIMEOUT = 5.0
FAUXPY_FIXTURES = (
    "access_control_wrong_boolean",
    "bank_transfer_swapped_arguments",
    "invoice_two_files",
    "matrix_ops_loop_bound",
)
FAUXPY_BUDGET_S = 300.0


def fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if (p / "bug.json").is_file())


def buggy_lines(fixture: Path) -> set[tuple[str, int]]:
    bug = json.loads((fixture / "bug.json").read_text())
    return {(edit["path"], int(edit["line"])) for edit in bug["edits"]}


def first_rank(ranked, targets: set[tuple[str, int]]) -> int | None:
    for index, entry in enumerate(ranked, start=1):
        if (entry.path, entry.line) in targets:
            return index
    return None


def run_ours(fixture: Path):
    start = time.perf_counter()
    loc = localize(
        src_paths=[fixture],
        test_paths=[fixture / "tests"],
        formula="tarantula",
        top=None,
        per_test_timeout=PER_TEST_TIMEOUT,
    )
    return loc, time.perf_counter() - start


def run_plain(fixture: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=fixture,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def section_quality_and_overhead(out: list[str]) -> None:
    quality: dict[str, list[tuple[str, int | None, int]]] = {f: [] for f in FORMULAS}
    timings: list[tuple[str, float, float]] = []
    for fixture in fixtures():
        name = fixture.name
        targets = buggy_lines(fixture)
        repeats = 1 if name in TIMING_SKIP else REPEATS
        ours_times, loc = [], None
        for _ in range(repeats):
            result, seconds = run_ours(fixture)
            loc = loc or result
            ours_times.append(seconds)
        for formula in FORMULAS:
            ranked = rank_lines(loc.run, loc.root, formula, top=None)
            quality[formula].append((name, first_rank(ranked, targets), len(ranked)))
        if name not in TIMING_SKIP:
            plain_times = [run_plain(fixture) for _ in range(REPEATS)]
            timings.append((name, statistics.median(ours_times), statistics.median(plain_times)))
        print(f"  done {name}", file=sys.stderr, flush=True)

    out.append("== 1. Localization quality (16 fixtures; rank of the first buggy line) ==")
    out.append(
        "EXAM = rank / number of lines ranked (lines with score > 0); a bug not ranked counts"
        " as EXAM 1.0. Ties keep rank_lines' order (path, then line)."
    )
    out.append(f"{'formula':<10} {'top1':>6} {'top3':>6} {'top5':>6} {'meanEXAM':>9} {'missed':>6}")
    for formula in FORMULAS:
        rows = quality[formula]
        n = len(rows)
        ranks = [r for _, r, _ in rows]
        exams = [(r / total) if r else 1.0 for _, r, total in rows]

        def share(k: int, ranks=ranks, n=n) -> str:
            return f"{sum(1 for r in ranks if r and r <= k)}/{n}"

        out.append(
            f"{formula:<10} {share(1):>6} {share(3):>6} {share(5):>6} "
            f"{statistics.mean(exams):>9.3f} {sum(1 for r in ranks if r is None):>6}"
        )
    out.append("")
    out.append("Per fixture (rank / lines ranked):")
    out.append(f"{'fixture':<36} " + " ".join(f"{f:>12}" for f in FORMULAS))
    for i, fixture in enumerate(fixtures()):
        cells = []
        for formula in FORMULAS:
            _, r, total = quality[formula][i]
            cells.append(f"{(str(r) if r else '-')}/{total}".rjust(12))
        out.append(f"{fixture.name:<36} " + " ".join(cells))
    out.append("")

    out.append(
        f"== 2. Overhead: localize() (coverage-instrumented) vs plain pytest, median of {REPEATS} =="
    )
    out.append(
        "NOTE: machine loaded by other jobs (2 cores, load avg ~8): absolute times are noisy."
    )
    out.append(f"{'fixture':<36} {'ours s':>8} {'plain s':>8} {'ratio':>6}")
    ratios = []
    for name, ours, plain in timings:
        ratio = ours / plain
        ratios.append(ratio)
        out.append(f"{name:<36} {ours:>8.2f} {plain:>8.2f} {ratio:>6.2f}")
    med = statistics.median(ratios)
    verdict = "meets" if med <= 1.5 else "MISSES"
    out.append(
        f"median ratio {med:.2f}x ({verdict} the <= 1.5x target); skipped: timetable_infinite_loop"
    )
    out.append("")


def is_test_path(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return any(p in ("test", "tests", "idle_test") or p.startswith("test_") for p in parts[:-1])


def section_graph_throughput(out: list[str]) -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(
        p
        for p in root.rglob("*.py")
        if "site-packages" not in p.parts and "dist-packages" not in p.parts
    )
    files = [p for p in files if not is_test_path(p, root)][::5]
    sample = []
    skipped = 0
    for path in files:
        source = path.read_bytes()
        try:
            check_parses(source, str(path))
        except SourceError:
            skipped += 1
            continue
        sample.append((path, source))
    token_lists = [tokens(source) for _, source in sample]
    vocabulary = Vocabulary.build(t.text for token_list in token_lists for t in token_list)

    total_bytes = total_nodes = 0
    total_time = 0.0
    largest = max(sample, key=lambda item: len(item[1]))
    largest_time = 0.0
    for path, source in sample:
        start = time.perf_counter()
        token_list = tokens(source)
        graph, _ = build_graph(source, token_list, vocabulary)
        seconds = time.perf_counter() - start
        total_time += seconds
        total_bytes += len(source)
        total_nodes += int(graph.num_nodes)
        if path == largest[0]:
            largest_time = seconds
    out.append("== 3. Parse + graph build throughput (stdlib sample) ==")
    out.append("NOTE: machine loaded by other jobs (2 cores): throughput is a lower bound.")
    out.append(
        f"stdlib {root}: every 5th non-test .py file -> {len(sample)} files "
        f"({skipped} skipped: tree-sitter parse errors), {total_bytes / 1e6:.2f} MB, "
        f"vocabulary {len(vocabulary)}"
    )
    out.append(
        f"tokens+build_graph: {total_time:.2f} s total, {total_bytes / 1e6 / total_time:.2f} MB/s, "
        f"{total_nodes / total_time:,.0f} nodes/s ({total_nodes:,} nodes)"
    )
    out.append(
        f"largest file: {largest[0].relative_to(root)} ({len(largest[1]) / 1e3:.0f} kB) "
        f"in {largest_time:.2f} s"
    )
    out.append("")


FAUXPY_VENV = Path(os.environ.get("FAUXPY_VENV", "/tmp/repair-fauxpy-venv"))


def ensure_fauxpy(out: list[str]) -> Path | None:
    """A separate virtual environment with FauxPy: installing it into ours would make every
    pytest run load its plugin (and it downgrades virtualenv)."""
    python = FAUXPY_VENV / "bin" / "python"
    check = [str(python), "-c", "import fauxpy, pytest"]
    if python.exists() and subprocess.run(check, capture_output=True, check=False).returncode == 0:
        return python
    try:
        subprocess.run([sys.executable, "-m", "venv", str(FAUXPY_VENV)], check=True, timeout=120)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "fauxpy"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        out.append("FauxPy: `pip install fauxpy` did not finish in 5 minutes; skipped.")
        return None
    if done.returncode != 0:
        out.append(f"FauxPy: `pip install fauxpy` failed; skipped:\n{done.stderr[-800:]}")
        return None
    return python


def fauxpy_ranking(work: Path) -> list[tuple[str, int]]:
    """FauxPy's Ochiai ranking as (path, line), best first, source files only.

    FauxPy writes `FauxPyReport_<project folder>_...` beside the project folder."""
    reports = sorted(work.parent.glob(f"FauxPyReport_{work.name}_*/Scores_Ochiai.csv"))
    entries: list[tuple[str, int]] = []
    for row in reports[-1].read_text(errors="replace").splitlines()[1:] if reports else []:
        match = re.match(r"(.+\.py)::(\d+),", row)
        if match and "/tests/" not in match.group(1):
            entries.append((match.group(1), int(match.group(2))))
    return entries


def section_fauxpy(out: list[str]) -> None:
    out.append("== 4. FauxPy side by side (statement granularity, SBFL family) ==")
    out.append("NOTE: machine loaded by other jobs (2 cores): wall times are noisy.")
    fauxpy_python = ensure_fauxpy(out)
    if fauxpy_python is None:
        out.append("")
        return
    deadline = time.perf_counter() + FAUXPY_BUDGET_S
    out.append(
        f"{'fixture':<36} {'ours rank':>9} {'fauxpy rank':>11} {'ours s':>7} {'faux s':>7} "
        f"{'ours/faux':>9}"
    )
    for name in FAUXPY_FIXTURES:
        if time.perf_counter() > deadline:
            out.append(f"{name:<36} skipped (FauxPy time budget spent)")
            continue
        fixture = FIXTURES / name
        targets = buggy_lines(fixture)
        loc, ours_s = run_ours(fixture)
        ours_rank = first_rank(rank_lines(loc.run, loc.root, "ochiai", top=None), targets)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / name
            shutil.copytree(fixture, work)
            src = sorted({Path(p).parts[0] for p, _ in targets})
            src_arg = src[0] if len(src) == 1 and not src[0].endswith(".py") else "."
            cmd = [
                str(fauxpy_python),
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "tests",
                "--src",
                src_arg,
                "--family",
                "sbfl",
                "--granularity",
                "statement",
            ]
            start = time.perf_counter()
            try:
                done = subprocess.run(
                    cmd,
                    cwd=work,
                    capture_output=True,
                    text=True,
                    timeout=max(10.0, deadline - time.perf_counter()),
                    env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                    check=False,
                )
            except subprocess.TimeoutExpired:
                out.append(f"{name:<36} FauxPy timed out")
                continue
            faux_s = time.perf_counter() - start
            ranking = fauxpy_ranking(work)
            faux_rank = None
            for index, (path, line) in enumerate(ranking, start=1):
                if any(path.endswith(t_path) and line == t_line for t_path, t_line in targets):
                    faux_rank = index
                    break
            if not ranking:
                tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
                out.append(f"{name:<36} FauxPy produced no ranking (rc {done.returncode}): {tail}")
                continue
        out.append(
            f"{name:<36} {str(ours_rank or '-'):>9} {str(faux_rank or '-'):>11} "
            f"{ours_s:>7.2f} {faux_s:>7.2f} {ours_s / faux_s:>9.2f}"
        )
    out.append("(ours = Ochiai rank from localize(); FauxPy's SBFL report is its Ochiai list.)")
    out.append("")


def main() -> None:
    sections = {
        "quality": section_quality_and_overhead,
        "graphs": section_graph_throughput,
        "fauxpy": section_fauxpy,
    }
    chosen = [name for name in sys.argv[1:] if name in sections] or list(sections)
    out = [
        "$ .venv/bin/python bench/localize_bench.py " + " ".join(sys.argv[1:]),
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"load avg {os.getloadavg()[0]:.1f} at start (machine shared with other jobs)",
        "",
    ]
    for name in chosen:
        sections[name](out)
    print("\n".join(out))


if __name__ == "__main__":
    main()
