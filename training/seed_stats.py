"""Seeds summarised: mean ± standard deviation per experiment and level, and a fixed rule for
calling a gap between two experiments.

The rule, fixed before any seed ran: with the per-seed values of A and B, the gap is
d = mean(A) − mean(B) and its standard error se = sqrt(sd(A)²/n(A) + sd(B)²/n(B)) (sample standard
deviations). "A > B" when d > 2·se, "A < B" when d < −2·se, otherwise "within noise". With one
value on a side its sd is unknown and taken as the other side's (or, both single, no verdict).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean_sd(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (None for fewer than two values)."""
    if not values:
        return math.nan, None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def compare(a: Sequence[float], b: Sequence[float]) -> tuple[float, float | None, str]:
    """(gap, its standard error, verdict) by the rule above."""
    (mean_a, sd_a), (mean_b, sd_b) = mean_sd(a), mean_sd(b)
    gap = mean_a - mean_b
    if sd_a is None and sd_b is None:
        return gap, None, "one run each: no verdict"
    sd_a = sd_b if sd_a is None else sd_a
    sd_b = sd_a if sd_b is None else sd_b
    se = math.sqrt(sd_a**2 / len(a) + sd_b**2 / len(b))
    if gap > 2 * se:
        return gap, se, "A > B"
    if gap < -2 * se:
        return gap, se, "A < B"
    return gap, se, "within noise"


def per_seed(runs: Sequence[dict], job: str, variant: str, level: str, metric: str) -> list[float]:
    """A metric's value in each finished run of a job that ran its whole schedule
    (`change_safe`: safe − one-shot; likewise for any policy)."""
    values = []
    for run in runs:
        if run.get("job") != job or run.get("status") != "done" or not run.get("complete", True):
            continue  # a run cut short by the time budget is listed, not averaged
        row = run.get("evaluations", {}).get(variant, {}).get("table", {}).get(level)
        if row is None:
            continue
        if metric.startswith("change_"):
            values.append(row[f"iterative_{metric[len('change_') :]}"] - row["one_shot"])
        else:
            values.append(row[metric])
    return values


def aggregate(runs: Sequence[dict]) -> dict:
    """Per job: runs done / cut / failed, training figures, and per evaluation variant, level
    and metric the values, mean and sd."""
    result: dict = {}
    for job in sorted({run["job"] for run in runs}):
        mine = [run for run in runs if run["job"] == job]
        done = [run for run in mine if run.get("status") == "done"]
        entry: dict = {
            "experiment": mine[0].get("experiment"),
            "runs": len(mine),
            "done": len(done),
            "complete_schedules": sum(bool(run.get("complete")) for run in done),
            "statuses": {run["id"]: run.get("status") for run in mine},
            "training": {},
            "evaluations": {},
        }
        for key in ("best_val_mean", "best_epoch", "epochs_run", "train_seconds"):
            values = [run[key] for run in done if run.get(key) is not None]
            mean, sd = mean_sd(values)
            entry["training"][key] = {"values": values, "mean": mean, "sd": sd}
        stops = [run.get("stop_rule") for run in done if run.get("stop_rule")]
        if stops:
            entry["training"]["stop_rule"] = stops
        variants = sorted({v for run in done for v in run.get("evaluations", {})})
        for variant in variants:
            levels = sorted(
                {lv for run in done for lv in run["evaluations"].get(variant, {}).get("table", {})}
            )
            table: dict = {}
            for level in levels:
                cell: dict = {}
                rows = [
                    run["evaluations"][variant]["table"][level]
                    for run in done
                    if level in run["evaluations"].get(variant, {}).get("table", {})
                ]
                policies = sorted(
                    {k[10:] for row in rows for k in row if k.startswith("iterative_")}
                )
                for metric in (
                    "one_shot",
                    *(f"iterative_{name}" for name in policies),
                    *(f"change_{name}" for name in policies),
                ):
                    values = per_seed(done, job, variant, level, metric)
                    mean, sd = mean_sd(values)
                    cell[metric] = {"values": values, "mean": mean, "sd": sd}
                baselines = [
                    run["evaluations"][variant]["baseline_most_frequent"][level]
                    for run in done
                    if variant in run["evaluations"]
                ]
                cell["baseline"] = {"mean": mean_sd(baselines)[0]}
                table[level] = cell
            entry["evaluations"][variant] = table
        result[job] = entry
    return result
