"""The results page's seed tables and verdicts, from the `runs.json` files of `training.seeds`.

`python -m training.report --seeds A.runs.json B.runs.json --fill training/RESULTS.md` replaces
every block of the page between `<!-- fill:KEY -->` and `<!-- /fill:KEY -->`: `seeds-table`
(held-out accuracy, mean ± sd), `seeds-runs` (training), `exp2-curve` (Exp 2's whole curve with
the log's stop rule marked, and its figure) and one per claim of `training.seed_claims` (S1 …).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from training.seed_claims import CLAIMS, NO_FB
from training.seed_claims import cell as claim_cell
from training.seed_stats import aggregate, compare
from training.stop_rule import plot_marked

JOBS = ("exp1", "exp2", "exp2_from_bundled", "exp3", "exp3b", "exp3c")
LOG_WAY = {"exp3": NO_FB, "exp3c": NO_FB}  # the log's one-shot: iteration 0 without feedback
ROUND0 = Path("training/results/round0_feedback")
PENDING = "Pending the device run."


def load_runs(paths: Iterable[Path]) -> list[dict]:
    """Every run of the files; a run id seen again (a later call) replaces the earlier one."""
    runs: dict[str, dict] = {}
    for path in paths:
        for run in json.loads(Path(path).read_text())["runs"]:
            runs[run["id"]] = run
    return list(runs.values())


def bundled_runs(curves: Path, round0: Path = ROUND0) -> list[dict]:
    """The bundled single runs as runs of jobs `<exp>@bundled`, with the CPU evaluations of
    training/results/round0_feedback as their other round-0 variants."""
    runs = []
    for path in sorted(curves.glob("*.evaluation.json")):
        experiment = path.name.split(".")[0]
        evaluation = json.loads(path.read_text())
        fed = bool(evaluation.get("feedback_at_first_step", experiment == "exp3"))
        variants = {"as_trained": evaluation}
        if experiment.startswith("exp3") and experiment != "exp3b":
            variants["feedback_at_0" if fed else NO_FB] = evaluation
            for label in ("feedback_at_0", NO_FB):
                extra = round0 / f"{experiment}.{label}.json"
                if extra.is_file():
                    variants[label] = json.loads(extra.read_text())
        job = f"{experiment}@bundled"
        runs.append(
            {
                "id": job,
                "job": job,
                "experiment": experiment,
                "status": "done",
                "evaluations": variants,
            }  # fmt: skip
        )
    return runs


def _ms(cell: dict, scale: float = 100) -> str:
    mean, sd = cell["mean"], cell["sd"]
    return f"{mean * scale:.1f}" + (f" ± {sd * scale:.1f}" if sd is not None else "")


def seeds_table(runs: list[dict]) -> str:
    jobs = {job: entry for job, entry in aggregate(runs).items() if job in JOBS}
    cells = [c for e in jobs.values() for t in e["evaluations"].values() for c in t.values()]
    policies = ["safe", "raw"] + sorted(
        {k[10:] for c in cells for k in c if k.startswith("iterative_")} - {"safe", "raw"}
    )
    lines = [
        "| Job | Evaluation | Level | Runs | One-shot | "
        + " | ".join(f"Iterative, {name} (change)" for name in policies)
        + " | Baseline |",
        "|---|---|---|---|---|" + "---|" * len(policies) + "---|",
    ]
    for job in (job for job in JOBS if job in jobs):
        evaluations = jobs[job]["evaluations"]
        for variant in sorted(evaluations, key=lambda v: v != LOG_WAY.get(job, "as_trained")):
            for level, cell in evaluations[variant].items():
                iterative = [
                    f"{_ms(cell[f'iterative_{name}'])} ({_ms(cell[f'change_{name}'])})"
                    if f"iterative_{name}" in cell
                    else "—"
                    for name in policies
                ]
                lines.append(
                    f"| {job} | {variant.replace('_', ' ')} | {float(level):.0%} | "
                    f"{len(cell['one_shot']['values'])} | {_ms(cell['one_shot'])} | "
                    + " | ".join(iterative)
                    + f" | {cell['baseline']['mean'] * 100:.1f} |"
                )
    return "\n".join(lines) if len(lines) > 2 else PENDING


def runs_table(runs: list[dict]) -> str:
    jobs = aggregate(runs)
    lines = [
        "| Job | Runs done / planned | Full schedules | Epochs run | Best epoch "
        "| Best validation (mean one-shot) | Training time (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for job in JOBS:
        if job not in jobs:
            continue
        entry, training = jobs[job], jobs[job]["training"]
        epochs = "/".join(str(v) for v in training["epochs_run"]["values"]) or "—"
        best = "/".join(str(v) for v in training["best_epoch"]["values"]) or "—"
        seconds = training["train_seconds"]["mean"]
        lines.append(
            f"| {job} | {entry['done']} / {entry['runs']} | {entry['complete_schedules']} | "
            f"{epochs} | {best} | {_ms(training['best_val_mean'])} % | "
            f"{'—' if seconds != seconds else f'{seconds:.0f}'} |"
        )
    return "\n".join(lines) if len(lines) > 2 else PENDING


def exp2_block(runs: list[dict], figure: Path) -> str:
    chosen = [r for r in runs if r.get("job") in ("exp2_from_bundled", "exp2") and r.get("history")]
    chosen.sort(key=lambda r: (r["job"] != "exp2_from_bundled", r["id"]))  # the log's run first
    if not chosen:
        return PENDING
    lines = [
        "| Run | Start (val. one-shot@20 %) | Val. one-shot@20 % at epochs 1 / 5 / 10 / 20 / 30 "
        "| Best epoch | Rule would stop after epoch: absolute / ratio / drop | Held-out one-shot "
        "20/50/75 % |",
        "|---|---|---|---|---|---|",
    ]
    for run in chosen:
        by_epoch = {r["epoch"]: r.get("val_one_shot@0.2") for r in run["history"]}
        marks = " / ".join(
            "never" if run["stop_rule"].get(k) is None else str(run["stop_rule"][k])
            for k in ("absolute", "ratio", "drop")
        )
        curve = " / ".join(
            "—" if by_epoch.get(e) is None else f"{by_epoch[e] * 100:.1f}"
            for e in (1, 5, 10, 20, 30)
        )
        table = run.get("evaluations", {}).get("as_trained", {}).get("table", {})
        held = " / ".join(f"{table[lv]['one_shot'] * 100:.1f}" for lv in table) or "—"
        start = run.get("start_one_shot")
        lines.append(
            f"| {run['id']} | {'—' if start is None else f'{start * 100:.1f}'} | {curve} | "
            f"{run.get('best_epoch', '—')} | {marks} | {held} |"
        )
    main = chosen[0]
    figure.parent.mkdir(parents=True, exist_ok=True)
    plot_marked(main["history"], main.get("start_one_shot"), figure, f"Exp 2 ({main['id']})")
    lines += [
        "",
        f"Figure: `{figure}` ({main['id']}; red lines: each reading's threshold and stop).",
    ]
    return "\n".join(lines)


def policy_verdicts(runs: list[dict], policy: str = "freeze") -> str:
    """Per job and level: does `policy`'s iterative fall below one-shot? (The issue's target:
    iterative at least as good as one-shot at every level.)"""
    jobs = aggregate(runs)
    lines = [
        f"| Job | Level | {policy} − one-shot (mean ± sd, points) | safe − one-shot | raw − one-shot "
        f"| {policy} ≥ one-shot? |",
        "|---|---|---|---|---|---|",
    ]
    for job in (job for job in JOBS if job in jobs):
        variant = LOG_WAY.get(job, "as_trained")
        for level, cell in jobs[job]["evaluations"].get(variant, {}).items():
            if f"change_{policy}" not in cell:
                continue
            values = cell[f"change_{policy}"]["values"]
            _, _, verdict = compare(values, [0.0] * len(values))
            answer = {"A < B": "**no** (below)", "A > B": "**yes** (above)"}.get(
                verdict, "yes (within noise of equal)" if len(values) > 1 else "one run"
            )
            lines.append(
                f"| {job} | {float(level):.0%} | {_ms(cell[f'change_{policy}'])} | "
                f"{_ms(cell['change_safe'])} | {_ms(cell['change_raw'])} | {answer} |"
            )
    return "\n".join(lines) if len(lines) > 2 else PENDING


def exp2_note(curves: Path) -> str:
    """Which Exp 2 run the single-run tables show (the bundled one, from models/curves)."""
    path = curves / "exp2.summary.json"
    summary = json.loads(path.read_text()) if path.is_file() else {}
    epochs, planned = summary.get("epochs_run"), summary.get("config", {}).get("epochs")
    if epochs is not None and planned is not None and epochs >= planned:
        return (
            f"The exp2 rows are the full run ({epochs} of {planned} epochs, from the bundled "
            "`models/exp1.pt`); the early-stopped run is `training/ablations/exp2-early-stop/`."
        )
    return (
        f"The exp2 rows are the early-stopped run ({epochs} of {planned} epochs, "
        "`training/ablations/exp2-early-stop/`) until the 30-epoch run replaces `models/exp2.pt` "
        "(pending the device run)."
    )


def blocks(runs: list[dict], figure: Path, curves: Path | None = None) -> dict[str, str]:
    result = {
        "seeds-table": seeds_table(runs),
        "seeds-runs": runs_table(runs),
        "exp2-curve": exp2_block(runs, figure),
        "freeze-verdicts": policy_verdicts(runs, "freeze"),
    }
    rules = Path("training/results/round_rules")
    if rules.is_dir():  # the round rules tried on CPU (training.variants' JSONs)
        from training import report

        def ordered(paths):  # bundled checkpoints first, then the training variants
            return sorted(paths, key=lambda p: (not p.name.startswith("exp"), p.name))

        result["rules-dev"] = report.policies_table(ordered(rules.glob("*.dev*.json")))
        result["rules-heldout"] = report.policies_table(ordered(rules.glob("heldout/*.json")))
    if curves is not None:  # the single-run tables, from the bundled runs
        from training import report

        result["heldout-table"] = report.held_out_table(curves)
        result["round0-table"] = report.round0_table(curves)
        result["runs-table"] = report.runs_table(curves)
        result["exp2-note"] = exp2_note(curves)
    result.update({claim.key: claim_cell(runs, claim) for claim in CLAIMS})
    return result


def fill(page: Path, filled: dict[str, str]) -> list[str]:
    """Replace each `<!-- fill:KEY -->…<!-- /fill:KEY -->` block's content; returns keys filled."""
    text, done = page.read_text(), []
    for key, content in filled.items():
        pattern = re.compile(
            rf"(<!-- fill:{re.escape(key)} -->)(.*?)(<!-- /fill:{re.escape(key)} -->)", re.S
        )

        def replace(match: re.Match, content: str = content) -> str:
            # a block that sits on lines of its own keeps them; a block inside a line stays inline
            multiline = "\n" in content or "\n" in match.group(2)
            body = f"\n{content}\n" if multiline else content
            return match.group(1) + body + match.group(3)

        text, count = pattern.subn(replace, text)
        if count:
            done.append(key)
    page.write_text(text)
    return done
