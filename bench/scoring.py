"""The repair benchmark's scoring: what an exact fix is, the summaries per split, size and class,
the model / baseline ratios and blind search against repair.

Pure functions over result rows (dicts, one per bug and search, as `row_of` makes them) and cases
(anything with the attributes `Scored` names: `repair_bench.Case`, or a stand-in in a test), so
they are tested on hand-made outcomes with known answers (`tests/test_bench_scoring.py`).
`repair_bench.py` seeds, runs and prints; the numbers come from here.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from bugs import SINGLE_CLASSES, TWO_TOKEN, Blind

HUMANEVAL, FIXTURE_SPLIT, OSS = "held-out HumanEval", "fixtures", "OSS"
OTHER = "other (not a token replacement)"
CLASS_ORDER = (*SINGLE_CLASSES, TWO_TOKEN, OTHER)
SIZES = ("single-token", "two-token")
MODES = ("model", "baseline")

Row = dict[str, Any]  # one bug repaired by one search: fixed, exact, candidates, test_runs, ...
Rows = Mapping[str, Row]  # case name -> row
Results = Mapping[str, Rows]  # search ("model", "baseline") -> rows


class Scored(Protocol):
    """What scoring reads of a benchmark case."""

    name: str
    split: str
    bug_class: str
    swap: bool
    blind: Blind | None
    blind_function: Blind | None

    @property
    def size(self) -> str: ...


def size_of(bug_class: str) -> str:
    """The size of a bug class: single-token, two-token or other (a fixture bug that no token
    replacement undoes)."""
    if bug_class == OTHER:
        return "other"
    return "two-token" if bug_class == TWO_TOKEN else "single-token"


# --- one bug ------------------------------------------------------------------------------

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def changed_lines(diff: str) -> list[str]:
    """The added and removed lines of a unified diff, sorted (files and positions forgotten)."""
    return sorted(
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def patch_changes(diff: str) -> dict[str, list[tuple[str, int, str]]]:
    """Per file (the `+++ b/PATH` header), each removed and added line with its line number in
    the old or the new file: two patches with the same changes make the same files."""
    found: dict[str, list[tuple[str, int, str]]] = {}
    path, old, new = "", 0, 0
    for line in diff.splitlines():
        if line.startswith("+++ "):
            path = line[4:].removeprefix("b/")
            found.setdefault(path, [])
        elif line.startswith("--- "):
            continue
        elif match := _HUNK.match(line):
            old, new = int(match[1]), int(match[2])
        elif line.startswith("-"):
            found[path].append(("-", old, line[1:]))
            old += 1
        elif line.startswith("+"):
            found[path].append(("+", new, line[1:]))
            new += 1
        elif line.startswith(" "):
            old, new = old + 1, new + 1
    return found


def is_exact(fixed: bool, diff: str, expected_patch: str) -> bool:
    """A plausible fix that restores the original code: the same lines changed, in the same files
    and places, to the same text as the patch from the buggy to the original version."""
    return fixed and bool(expected_patch) and patch_changes(diff) == patch_changes(expected_patch)


def row_of(name: str, result: Any, expected_patch: str, fixed_status: str = "fixed") -> Row:
    """The row of one repair (`result`: a `repair.fix.RepairResult`, or anything with its
    status, diff, candidates_tried, test_runs, seconds, rounds and stop_reason)."""
    fixed = result.status == fixed_status
    return {
        "case": name,
        "fixed": fixed,
        "exact": is_exact(fixed, result.diff, expected_patch),
        "candidates": result.candidates_tried,
        "test_runs": result.test_runs,
        "seconds": round(result.seconds, 2),
        "rounds": result.rounds,
        "stop": result.stop_reason,
    }


ERROR = "error: "  # how `stop` starts in the row of a repair that raised


def error_row(name: str, seconds: float, error: BaseException) -> Row:
    """A repair that raised: no fix, and the error in `stop`."""
    return {
        "case": name, "fixed": False, "exact": False, "candidates": 0, "test_runs": 0,
        "seconds": round(seconds, 2), "rounds": 0,
        "stop": f"{ERROR}{type(error).__name__}: {error}",
    }  # fmt: skip


def errors(results: Results) -> list[tuple[str, str, str]]:
    """(search, case, stop) of every repair that raised: counted as not fixed in the tables, so
    named apart, lest a crash read as a miss."""
    return [
        (mode, name, row["stop"])
        for mode, rows in results.items()
        for name, row in rows.items()
        if str(row.get("stop", "")).startswith(ERROR)
    ]


# --- summaries ------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    """Nearest-rank 90th percentile: the smallest value that at least 90 % of the values do not
    exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def summarise(rows: Sequence[Row]) -> dict:
    """One search over a group of bugs. Per-fix medians are over the bugs this search fixed."""
    fixed = [row for row in rows if row["fixed"]]
    seconds = [row["seconds"] for row in rows]
    return {
        "bugs": len(rows),
        "plausible": len(fixed),
        "exact": sum(bool(row["exact"]) for row in rows),
        "errors": sum(str(row.get("stop", "")).startswith(ERROR) for row in rows),
        "median_seconds": median(seconds),
        "p90_seconds": p90(seconds),
        "median_candidates_per_fix": median([row["candidates"] for row in fixed]),
        "median_test_runs_per_fix": median([row["test_runs"] for row in fixed]),
        "candidates_per_second": (
            round(sum(row["candidates"] for row in rows) / sum(seconds), 1)
            if rows and sum(seconds) > 0
            else None
        ),
    }


def blind_summary(cases: Sequence[Scored], in_function: bool = False) -> dict:
    """Blind search's test runs over the bugs it can reach at all."""
    blinds = [case.blind_function if in_function else case.blind for case in cases]
    runs = [blind.runs for blind in blinds if blind and blind.runs is not None]
    return {
        "bugs": len(cases),
        "reachable": len(runs),
        "median_test_runs_per_fix": median(runs),
        "p90_test_runs_per_fix": p90(runs),
    }


def groups(cases: Sequence[Scored], key: Callable[[Scored], str], order: Sequence[str] = ()):
    """[(value, cases with that value)], values in `order` first, then the rest sorted."""
    present = {key(case) for case in cases}
    ordered = [value for value in order if value in present]
    ordered += sorted(present - set(ordered))
    return [(value, [case for case in cases if key(case) == value]) for value in ordered]


def splits(cases: Sequence[Scored]) -> list[tuple[str, list[Scored]]]:
    """Each split (each OSS project apart), then all OSS projects together if more than one."""
    found = groups(cases, lambda c: c.split, (HUMANEVAL, FIXTURE_SPLIT))
    oss = [case for case in cases if case.split.startswith(OSS)]
    if len({case.split for case in oss}) > 1:
        found.append((f"{OSS}: all projects", oss))
    return found


def family(case: Scored) -> str:
    """The split without its project: "OSS: toolz 1.0.0" -> "OSS"."""
    return case.split.split(":")[0]


def summary_json(cases: Sequence[Scored], results: Results) -> dict:
    """Per split (and all splits) and size: each search's summary and the blind-search counts."""
    found: dict = {}
    for split, members in [("all splits", list(cases)), *splits(cases)]:
        for size, group in [("all", members)] + groups(members, lambda c: c.size):
            entry = {mode: summarise([results[mode][c.name] for c in group]) for mode in results}
            entry["blind_file_order"] = blind_summary(group)
            entry["blind_in_function"] = blind_summary(group, in_function=True)
            found.setdefault(split, {})[size] = entry
    return found


# --- model against baseline ------------------------------------------------------------------


def exact_count(cases: Sequence[Scored], rows: Rows) -> int:
    return sum(bool(rows[case.name]["exact"]) for case in cases)


def fixed_by_both(cases: Sequence[Scored], model: Rows, base: Rows) -> list[Scored]:
    return [c for c in cases if model[c.name]["fixed"] and base[c.name]["fixed"]]


def both_fixed_medians(
    cases: Sequence[Scored], model: Rows, base: Rows
) -> tuple[int, float | None, float | None]:
    """Over the bugs both searches fix: how many, and each search's median test runs. (The
    summaries' medians are over each search's own fixes, so over different bugs.)"""
    both = fixed_by_both(cases, model, base)
    return (
        len(both),
        median([model[c.name]["test_runs"] for c in both]),
        median([base[c.name]["test_runs"] for c in both]),
    )


def per_bug_ratios(cases: Sequence[Scored], model: Rows, base: Rows) -> list[float]:
    """Model test runs / baseline test runs, for each bug both searches fix."""
    return [
        model[c.name]["test_runs"] / base[c.name]["test_runs"]
        for c in fixed_by_both(cases, model, base)
    ]


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


# --- blind search against repair -------------------------------------------------------------

BlindCount = Callable[[Scored], "int | None"]
# (bug size, yardstick, the blind search's test runs for one case); `bench/bugs.py` defines them.
BLIND_COUNTS: tuple[tuple[str, str, BlindCount], ...] = (
    ("single-token", "file order", lambda c: c.blind.runs if c.blind else None),
    (
        "single-token",
        "file order, a swap among the swaps alone",
        lambda c: (c.blind.swaps_only or c.blind.runs) if c.blind else None,
    ),
    (
        "single-token",
        "file order, swapped-arguments bugs left out",
        lambda c: c.blind.runs if c.blind and not c.swap else None,
    ),
    (
        "single-token",
        "the bug's function only",
        lambda c: c.blind_function.runs if c.blind_function else None,
    ),
    ("two-token", "file order, greedy", lambda c: c.blind.greedy if c.blind else None),
    ("two-token", "file order, pairs", lambda c: c.blind.pairs if c.blind else None),
)


def blind_ratios(cases: Sequence[Scored], rows: Rows, count: BlindCount) -> list[float]:
    """Blind search's test runs / the search's, for each bug the search fixed that blind search
    reaches (bugs a search does not fix have no ratio: its median is over its own fixes)."""
    return [
        count(c) / rows[c.name]["test_runs"]
        for c in cases
        if rows[c.name]["fixed"] and count(c) and rows[c.name]["test_runs"]
    ]


# --- the report ----------------------------------------------------------------------------


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.{digits}f}"
    return f"{int(value)}" if isinstance(value, float) else str(value)


def pct(count: int, total: int) -> str:
    return f"{count} ({100 * count / total:.0f} %)" if total else "–"


def fmt_ratio(a, b) -> str:
    value = ratio(a, b)
    return "–" if value is None else f"{value:.2f}"


HEADER = (
    "| bugs in | bugs | search | plausible | exact | median s / bug | p90 s / bug "
    "| median candidates / fix | median test runs / fix |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def summary_rows(label: str, cases: Sequence[Scored], results: Results) -> list[str]:
    lines = []
    for mode in MODES:
        s = summarise([results[mode][case.name] for case in cases])
        lines.append(
            f"| {label} | {s['bugs']} | {mode} | {pct(s['plausible'], s['bugs'])} "
            f"| {pct(s['exact'], s['bugs'])} | {fmt(s['median_seconds'])} "
            f"| {fmt(s['p90_seconds'])} | {fmt(s['median_candidates_per_fix'])} "
            f"| {fmt(s['median_test_runs_per_fix'])} |"
        )
    for in_function, where in ((False, "file order"), (True, "the bug's function only")):
        blind = blind_summary(cases, in_function)
        if blind["reachable"]:
            lines.append(
                f"| {label} | {blind['reachable']} | blind search, {where} | – | – | – | – | – "
                f"| {fmt(blind['median_test_runs_per_fix'])} |"
            )
    return lines


def report(cases: Sequence[Scored], results: Results) -> str:
    by_split = splits(cases)
    out = ["## By split (model, model-free baseline, blind search)", "", HEADER]
    for split, members in by_split:
        for size, group in groups(members, lambda c: c.size, SIZES):
            out += summary_rows(f"{split}, {size}", group, results)
        out += summary_rows(f"{split}, all", members, results)
    for size, group in groups(cases, lambda c: c.size, SIZES):
        out += summary_rows(f"all splits, {size}", group, results)
    out += summary_rows("all splits, all", cases, results)

    out += ["", "## By bug class (all splits)", "", HEADER]
    for bug_class, group in groups(cases, lambda c: c.bug_class, CLASS_ORDER):
        split_names = ", ".join(sorted({family(c) for c in group}))
        out += summary_rows(f"{bug_class} ({split_names})", group, results)

    out += ["", "## By split and bug class", "", HEADER]
    for split, members in by_split:
        for bug_class, group in groups(members, lambda c: c.bug_class, CLASS_ORDER):
            out += summary_rows(f"{split}, {bug_class}", group, results)

    out += ["", "## Ratios and the issue's targets", ""]
    out += targets(cases, results)
    return "\n".join(out)


def targets(cases: Sequence[Scored], results: Results) -> list[str]:
    """The issue's targets, per split family: model and baseline side by side, and their ratio."""
    out = [
        "| measure | bugs in | model | baseline | model / baseline | target |",
        "|---|---|---|---|---|---|",
    ]
    for label, group in [("all splits", list(cases))] + groups(
        cases, family, (HUMANEVAL, FIXTURE_SPLIT, OSS)
    ):
        out += _target_rows(label, group, results["model"], results["baseline"])
    return out


def _target_rows(label: str, group: Sequence[Scored], model: Rows, base: Rows) -> list[str]:
    out: list[str] = []

    def row(measure, m, b, ratio_text, target):
        out.append(f"| {measure} | {label} | {m} | {b} | {ratio_text} | {target} |")

    for size, target in (("single-token", "model ≥ 80 %"), ("two-token", "model ≥ 50 %")):
        members = [c for c in group if c.size == size]
        if members:
            m, b, n = exact_count(members, model), exact_count(members, base), len(members)
            row(f"exact fixes, {size}", pct(m, n), pct(b, n), fmt_ratio(m, b), target)
    sm = summarise([model[c.name] for c in group])
    sb = summarise([base[c.name] for c in group])
    n = sm["bugs"]
    row(
        "plausible fixes, all bugs", pct(sm["plausible"], n), pct(sb["plausible"], n),
        fmt_ratio(sm["plausible"], sb["plausible"]), "",
    )  # fmt: skip
    for key, measure, target in (
        ("median_seconds", "median s per bug", "model ≤ 10 s"),
        ("p90_seconds", "p90 s per bug", ""),
        ("median_test_runs_per_fix", "median test runs per fix", "ratio ≤ 0.33"),
    ):
        row(measure, fmt(sm[key]), fmt(sb[key]), fmt_ratio(sm[key], sb[key]), target)
    both, m_runs, b_runs = both_fixed_medians(group, model, base)
    row(
        f"median test runs per fix, bugs both fixed ({both} bugs)",
        fmt(m_runs), fmt(b_runs), fmt_ratio(m_runs, b_runs), "ratio ≤ 0.33",
    )  # fmt: skip
    per_bug = per_bug_ratios(group, model, base)
    row(
        f"test runs, model / baseline, median per bug both fixed ({len(per_bug)} bugs)",
        "", "", fmt(median(per_bug), 2), "≤ 0.33",
    )  # fmt: skip
    for size, where, count in BLIND_COUNTS:
        members = [c for c in group if c.size == size]
        m_ratios, b_ratios = blind_ratios(members, model, count), blind_ratios(members, base, count)
        if m_ratios or b_ratios:
            row(
                f"blind search ({where}) / repair, test runs, {size}, median per bug "
                f"fixed ({len(m_ratios)} / {len(b_ratios)} bugs)",
                fmt(median(m_ratios), 1), fmt(median(b_ratios), 1), "", "model ≥ 10",
            )  # fmt: skip
    row(
        "candidates validated per second of repair time", fmt(sm["candidates_per_second"]),
        fmt(sb["candidates_per_second"]), "", "validation alone ≥ 50 / s",
    )  # fmt: skip
    return out
