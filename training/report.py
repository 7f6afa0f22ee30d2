"""The results page's tables, from the bundled runs in models/curves, beside the log's figures.

    python -m training.report [--curves models/curves]
    python -m training.report --seeds CALL1.runs.json CALL2.runs.json --fill training/RESULTS.md

Prints two markdown tables: held-out accuracy per experiment and level (the log's one-shot and
final iterative figures beside ours, and the trivial baseline), and the training runs (data,
epochs, best validation, wall time, throughput). Exp 3 is shown the log's way, its one-shot pass
without test feedback (training/results/round0_feedback). With `--seeds`, the seed tables and
verdicts of `training.seed_report`; with `--fill PAGE`, those are written into the page's
`<!-- fill:KEY -->` blocks instead of printed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROUND0 = Path("training/results/round0_feedback")
EXPERIMENTS = ("exp1", "exp2", "exp3", "exp3b", "exp3c", "exp3d", "exp4")  # default.pt is exp4.pt

# The research log's figures (../shared/seed/experiment-log.md): (one-shot, final iterative) per
# corruption level, in percent, None where the log has none; and each run's best validation.
LOG: dict[str, dict] = {
    "exp1": {"0.2": (73.4, 73.0), "0.5": (57.7, 59.7), "best_val": None},
    "exp2": {"0.2": (70.6, None), "0.5": (57.1, 54.1), "best_val": 62.4},
    "exp3": {"0.2": (55.7, 57.1), "0.5": (46.9, 47.0), "0.75": (41.9, 50.1), "best_val": 57.4},
    "exp3b": {"0.2": (63.1, None), "0.5": (52.7, None), "0.75": (44.8, None), "best_val": 61.7},
    "exp3c": {"0.2": (63.3, 57.1), "0.5": (55.3, 51.6), "0.75": (46.2, 49.6), "best_val": 61.6},
    "exp3d": {"0.2": (82.2, 69.8), "0.5": (64.8, 59.6), "0.75": (51.3, 52.6), "best_val": 67.3},
    "exp4": {"best_val": 72.4},
    "default": {"best_val": None},
}


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _load(curves: Path, experiment: str, kind: str):
    path = curves / f"{experiment}.{kind}"
    if not path.is_file():
        return None
    if kind.endswith("jsonl"):
        return [json.loads(line) for line in path.read_text().splitlines() if line]
    return json.loads(path.read_text())


def held_out_table(curves: Path) -> str:
    lines = [
        "| Exp | Level | Log one-shot | Ours one-shot | Log iterative (final) | Ours iterative, safe "
        "| Ours iterative, raw | Baseline: most frequent same-class token |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for experiment in EXPERIMENTS:
        evaluation = _load(curves, experiment, "evaluation.json")
        log_way = ROUND0 / f"{experiment}.no_feedback_at_0.json"
        if experiment == "exp3" and log_way.is_file():  # the log's one-shot: no feedback at 0
            evaluation = json.loads(log_way.read_text())
        if evaluation is None:
            continue
        baseline = evaluation.get("baseline_most_frequent", {})
        for level, row in evaluation["table"].items():
            log_one, log_iterative = LOG[experiment].get(level, (None, None))
            one = row["one_shot"] * 100
            safe, raw = row["iterative_safe"] * 100, row["iterative_raw"] * 100
            lines.append(
                f"| {experiment} | {float(level):.0%} | {_percent(log_one)} | {one:.1f}% | "
                f"{_percent(log_iterative)} | {safe:.1f}% ({safe - one:+.1f}) | "
                f"{raw:.1f}% ({raw - one:+.1f}) | {baseline.get(level, 0) * 100:.1f}% |"
            )
    return "\n".join(lines)


def round0_table(curves: Path, round0: Path = ROUND0) -> str:
    """Exp 3, 3c and 3d with and without test feedback in the one-shot pass (round 0)."""
    lines = [
        "| Exp | Trained with feedback at 0 | Level | One-shot, no feedback at 0 (the log's way) "
        "| then safe | then raw | One-shot, feedback at 0 | then safe | then raw |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for experiment in ("exp3", "exp3c", "exp3d"):
        bundled = _load(curves, experiment, "evaluation.json")
        trained = experiment == "exp3"
        other = round0 / f"{experiment}.{'no_feedback_at_0' if trained else 'feedback_at_0'}.json"
        if bundled is None or not other.is_file():
            continue
        other_table = json.loads(other.read_text())["table"]
        without, with_ = (
            (other_table, bundled["table"]) if trained else (bundled["table"], other_table)
        )
        for level in bundled["table"]:
            cells = []
            for table in (without, with_):
                row = table[level]
                one = row["one_shot"] * 100
                cells += [f"{one:.1f}%"] + [
                    f"{row[k] * 100:.1f}% ({row[k] * 100 - one:+.1f})"
                    for k in ("iterative_safe", "iterative_raw")
                ]
            lines.append(
                f"| {experiment} | {'yes' if trained else 'no'} | {float(level):.0%} | "
                + " | ".join(cells)
                + " |"
            )
    return "\n".join(lines)


def policies_table(paths: list[Path]) -> str:
    """Round policies side by side: per checkpoint (files of one checkpoint and split merged),
    iterative minus one-shot at each level, in points; the first row is the one-shot itself."""
    columns: dict[str, dict] = {}  # "checkpoint (split)" -> {"one_shot": [...], policy: [...]}
    rules: dict[str, str] = {}
    for path in paths:
        result = json.loads(path.read_text())
        name = f"{Path(result['checkpoint']).stem} ({result.get('split_name', 'held_out')})"
        if not result["checkpoint"].startswith("models/"):  # a training variant: by its file
            name = f"{path.name.split('.')[0]} ({result.get('split_name', 'held_out')})"
        rows = list(result["table"].values())
        column = columns.setdefault(name, {"one-shot": [r["one_shot"] * 100 for r in rows]})
        for policy in result.get("policies", []):
            key = f"iterative_{policy['name']}"
            column[policy["name"]] = [(r[key] - r["one_shot"]) * 100 for r in rows]
            rules[policy["name"]] = ", ".join(
                f"{k}={v}" for k, v in policy.items() if k != "name" and v not in (0, 0.0, False)
            )
    names = list(dict.fromkeys(n for column in columns.values() for n in column))
    lines = [
        "| Policy | Rule | " + " | ".join(f"{c}: 20 / 50 / 75 %" for c in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for policy in names:
        cells = []
        for column in columns.values():
            values = column.get(policy)
            sign = "" if policy == "one-shot" else "+"
            cells.append(" / ".join(f"{v:{sign}.1f}" for v in values) if values else "—")
        lines.append(f"| {policy} | {rules.get(policy, '')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def runs_table(curves: Path) -> str:
    lines = [
        "| Exp | Training programs | Epochs run (preset) | Best epoch | Best validation (mean "
        "one-shot, 3 levels) | Log's best validation | Training time | Graphs/s (tests included) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for experiment in EXPERIMENTS:
        metrics = _load(curves, experiment, "metrics.jsonl")
        if not metrics:
            continue
        summary = _load(curves, experiment, "summary.json") or {}
        config, data = summary.get("config", {}), summary.get("data", {})
        checkpoint = curves.parent / f"{experiment}.pt"
        if not summary and checkpoint.is_file():  # a run stopped from outside wrote no summary
            import torch

            payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
            config, data = payload.get("train_config", {}), payload.get("data_summary", {})
        origins = ", ".join(f"{k} {v}" for k, v in data.get("train_origins", {}).items())
        best = max(metrics, key=lambda record: record.get("val_mean", -1))
        seconds = sum(
            record["seconds"] for record in metrics
        )  # a resumed run's summary has its last part
        lines.append(
            f"| {experiment} | {data.get('train_programs', '?')} ({origins or '?'}) | "
            f"{len(metrics)} ({config.get('epochs', '?')}) | {best['epoch']} | "
            f"{best['val_mean'] * 100:.1f}% | {_percent(LOG[experiment]['best_val'])} | "
            f"{seconds:.0f} s | {metrics[-1]['graphs_per_second']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=Path, default=Path("models/curves"))
    parser.add_argument("--seeds", type=Path, nargs="*", default=[], help="runs.json files")
    parser.add_argument("--fill", type=Path, help="write the seed blocks into this page")
    parser.add_argument("--figure", type=Path, default=Path("training/results/exp2_stop_rule.png"))
    parser.add_argument("--policies", type=Path, nargs="*", default=[], help="variants' JSONs")
    args = parser.parse_args()
    if args.policies:
        print(policies_table(args.policies))
        return
    if not args.seeds and not args.fill:
        print(held_out_table(args.curves))
        print()
        print(round0_table(args.curves))
        print()
        print(runs_table(args.curves))
        return
    from training.seed_report import blocks, bundled_runs, fill, load_runs

    runs = [*load_runs(args.seeds), *bundled_runs(args.curves)]
    filled = blocks(runs, args.figure, args.curves)
    if args.fill:
        done = fill(args.fill, filled)
        missing = sorted(set(filled) - set(done))
        print(
            f"{args.fill}: filled {len(done)} blocks"
            + (f"; not found: {missing}" if missing else "")
        )
    else:
        for key, content in filled.items():
            print(f"## {key}\n{content}\n")


if __name__ == "__main__":
    main()
