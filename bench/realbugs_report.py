"""The real-bug benchmark's tables: per bug, per mode in total, and per edit shape."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from realbugs_equivalent import judged_equivalent
from realbugs_score import CORRECT, NONE, PLAUSIBLE, SHAPES

REPAIR_MODES = ("model", "no-model")  # `bench/realbugs.py run --model NAME=PATH` adds modes


def repair_modes(rows: Sequence[dict]) -> list[str]:
    """The repair modes in `rows`, the default two first, then others as they first appear."""
    seen = [row["mode"] for row in rows if row["mode"] != "blind"]
    return [*REPAIR_MODES, *dict.fromkeys(m for m in seen if m not in REPAIR_MODES)]


def _median(values: Sequence[float]) -> str:
    return f"{statistics.median(values):g}" if values else "–"


def _cell(row: dict | None) -> str:
    if row is None:
        return "– | – | – | –"
    return f"{row['outcome']} | {row['seconds']:g} | {row['test_runs']} | {row['candidates']}"


def _blind_cell(row: dict | None) -> str:
    if row is None or row["test_runs"] is None:
        return "unreachable"
    within = "" if row["within_budget"] else " (over budget)"
    return f"{row['test_runs']} (~{row['estimated_seconds']:g} s){within}"


def _plausible(found: Sequence[dict]) -> str:
    """Plausible (wrong) patches, and how many repair fix called doubtful (rows that say)."""
    plausible = [r for r in found if r["outcome"] == PLAUSIBLE]
    if not any("doubt" in r for r in plausible):
        return f"{len(plausible)}"
    return f"{len(plausible)}; {sum(bool(r.get('doubt')) for r in plausible)}"


def totals(bugs: Sequence[dict], rows: Sequence[dict]) -> list[str]:
    by = {(row["id"], row["mode"]): row for row in rows}
    lines = [
        "| search | bugs | correct | plausible (wrong; said doubtful) | none | median s / bug "
        "| median test runs / correct or plausible fix |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode in repair_modes(rows):
        found = [by[(b["id"], mode)] for b in bugs if (b["id"], mode) in by]
        count = {key: sum(r["outcome"] == key for r in found) for key in (CORRECT, PLAUSIBLE, NONE)}
        runs = [r["test_runs"] for r in found if r["outcome"] != NONE]
        lines.append(
            f"| repair fix, {mode} | {len(found)} | {count[CORRECT]} | {_plausible(found)} "
            f"| {count[NONE]} | {_median([r['seconds'] for r in found])} | {_median(runs)} |"
        )
    blind = [by[(b["id"], "blind")] for b in bugs if (b["id"], "blind") in by]
    reachable = [r for r in blind if r["test_runs"] is not None]
    within = [r for r in reachable if r["within_budget"]]
    lines.append(
        f"| blind search (count) | {len(blind)} | {len(within)} within budget, "
        f"{len(reachable)} reachable | – | {len(blind) - len(reachable)} unreachable | "
        f"{_median([r['estimated_seconds'] for r in reachable])} (estimated) "
        f"| {_median([r['test_runs'] for r in reachable])} |"
    )
    return lines


def _share(correct: int, total: int) -> str:
    return f"{correct} / {total} = {correct / total:.2f}" if total else "–"


def correct_share(bugs: Sequence[dict], rows: Sequence[dict]) -> list[str]:
    """Of the patches each mode printed (correct or plausible), the share that are the human
    fix; the same among those `repair fix` did not call doubtful (what a user who trusts only
    its confident answers gets); and the share that are the human fix or judged by hand to
    behave as it does (`realbugs_equivalent`). Empty for rows that do not record doubt."""
    by = {(row["id"], row["mode"]): row for row in rows}
    lines = [
        "| search | correct / patches | correct / patches not said doubtful "
        "| correct or judged equivalent / patches |",
        "|---|---|---|---|",
    ]
    for mode in repair_modes(rows):
        found = [by[(b["id"], mode)] for b in bugs if (b["id"], mode) in by]
        patches = [r for r in found if r["outcome"] in (CORRECT, PLAUSIBLE)]
        if not all("doubt" in r for r in patches):
            return []
        sure = [r for r in patches if not r["doubt"]]
        same = [r for r in patches if r["outcome"] == CORRECT or _equivalent(r)]
        lines.append(
            f"| repair fix, {mode} | {_share(sum(r['outcome'] == CORRECT for r in patches), len(patches))} "
            f"| {_share(sum(r['outcome'] == CORRECT for r in sure), len(sure))} "
            f"| {_share(len(same), len(patches))} |"
        )
    judged = sorted({r["id"] for r in rows if _equivalent(r)})
    if judged:
        lines += [
            "",
            f"Judged equivalent by hand (bench/realbugs/equivalent.json): {', '.join(judged)}.",
        ]
    return lines


def _equivalent(row: dict) -> bool:
    return row.get("outcome") == PLAUSIBLE and bool(
        judged_equivalent(row["id"], row.get("diff", ""))
    )


def by_shape(bugs: Sequence[dict], rows: Sequence[dict]) -> list[str]:
    by = {(row["id"], row["mode"]): row for row in rows}
    modes = repair_modes(rows)
    lines = [
        "| shape | bugs | "
        + "".join(f"{mode}: correct / plausible | " for mode in modes)
        + "blind: reachable / within budget |",
        "|---|---|" + "---|" * (len(modes) + 1),
    ]
    for shape in SHAPES:
        group = [b for b in bugs if b["shape"] == shape]
        if not group:
            continue
        cells = []
        for mode in modes:
            found = [by[(b["id"], mode)] for b in group if (b["id"], mode) in by]
            correct = sum(r["outcome"] == CORRECT for r in found)
            cells.append(f"{correct} / {sum(r['outcome'] == PLAUSIBLE for r in found)}")
        blind = [by.get((b["id"], "blind")) for b in group]
        reachable = sum(r is not None and r["test_runs"] is not None for r in blind)
        within = sum(r is not None and r["within_budget"] for r in blind)
        lines.append(f"| {shape} | {len(group)} | {' | '.join(cells)} | {reachable} / {within} |")
    return lines


def per_bug(bugs: Sequence[dict], rows: Sequence[dict]) -> list[str]:
    by = {(row["id"], row["mode"]): row for row in rows}
    modes = repair_modes(rows)
    lines = [
        "| bug | shape (tokens) | "
        + "".join(f"{mode}: outcome | s | test runs | candidates | " for mode in modes)
        + "blind search: test runs |",
        "|---|---|" + "---|---|---|---|" * len(modes) + "---|",
    ]
    for bug in bugs:
        cells = " | ".join(_cell(by.get((bug["id"], mode))) for mode in modes)
        blind = _blind_cell(by.get((bug["id"], "blind")))
        lines.append(f"| {bug['id']} | {bug['shape']} ({bug['tokens']}) | {cells} | {blind} |")
    return lines


DEFAULT_TESTS = "the bug's test files"


def render(bugs: Sequence[dict], rows: Sequence[dict], info: dict) -> str:
    repos = sorted({bug["repo"] for bug in bugs})
    out = [
        f"# Real-bug benchmark, {info['split']} split: {len(bugs)} bugs from {len(repos)} "
        "repositories",
        "",
        "Correct: the repaired file has the human fix's code tokens or AST. Plausible: the "
        "tests repair fix was handed pass (its verified run), not the human fix; they were "
        f"{info.get('tests', DEFAULT_TESTS)}. Blind search: "
        "test runs until the human fix among every same-class replacement in file order "
        "(bench/bugs.py); its seconds are estimated at one fresh pytest run of the bug's test "
        "files each, measured here.",
        "",
        *totals(bugs, rows),
        "",
        *(
            ["## Correct among the patches printed", "", *share, ""]
            if (share := correct_share(bugs, rows))
            else []
        ),
        "## By edit shape of the human fix",
        "",
        *by_shape(bugs, rows),
        "",
        "## Per bug",
        "",
        *per_bug(bugs, rows),
        "",
        "## Run",
        "",
        *(f"- {key}: {value}" for key, value in info.items()),
        f"- repositories: {', '.join(repos)}",
    ]
    return "\n".join(out)
