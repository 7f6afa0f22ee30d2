"""Seeds side by side (training/seeds.py), their statistics, and Exp 2's stop rule marks."""

from __future__ import annotations

import json
import math

import pytest

from training import seeds
from training.seed_stats import aggregate, compare, mean_sd
from training.stop_rule import stop_epochs, thresholds


def test_stop_rule_readings() -> None:
    start = 0.40
    floors = thresholds(start)
    assert floors["absolute"] == 0.70
    assert floors["ratio"] == pytest.approx(0.40 * 0.70 / 0.734)
    assert floors["drop"] == pytest.approx(0.40 - 0.034)
    history = [{"epoch": 1, "val_one_shot@0.2": 0.39}, {"epoch": 2, "val_one_shot@0.2": 0.37},
               {"epoch": 3, "val_one_shot@0.2": 0.36}]  # fmt: skip
    assert stop_epochs(history, start) == {"absolute": 1, "ratio": 2, "drop": 3}
    assert stop_epochs(history[:2], start) == {"absolute": 1, "ratio": 2, "drop": None}
    assert stop_epochs(history, None) == {}


def test_mean_sd_and_the_verdict_rule() -> None:
    mean, sd = mean_sd([1.0, 2.0, 3.0])
    assert mean == 2.0 and sd == pytest.approx(1.0)
    assert mean_sd([5.0]) == (5.0, None) and math.isnan(mean_sd([])[0])
    assert compare([0.50, 0.51, 0.52], [0.40, 0.41, 0.42])[2] == "A > B"
    assert compare([0.40, 0.41, 0.42], [0.50, 0.51, 0.52])[2] == "A < B"
    assert compare([0.40, 0.50, 0.45], [0.44, 0.46, 0.47])[2] == "within noise"
    assert compare([0.4], [0.5])[2] == "one run each: no verdict"
    gap, se, verdict = compare([0.5], [0.40, 0.41, 0.42])  # one side's sd borrowed
    assert gap == pytest.approx(0.09) and se == pytest.approx(math.sqrt(0.01**2 + 0.01**2 / 3))


def _run(job: str, seed: int, one_shot: float, status: str = "done") -> dict:
    row = {
        "one_shot": one_shot,
        "iterative_safe": one_shot - 0.01,
        "iterative_raw": one_shot - 0.05,
    }
    return {
        "id": f"{job}.s{seed}",
        "job": job,
        "experiment": job,
        "status": status,
        "complete": True,
        "best_val_mean": 0.4,
        "evaluations": {
            "as_trained": {"table": {"0.2": row}, "baseline_most_frequent": {"0.2": 0.3}}
        },
    }


def test_aggregate_uses_finished_runs_only() -> None:
    runs = [_run("exp1", 0, 0.40), _run("exp1", 1, 0.44), _run("exp1", 2, 0.99, "killed")]
    runs.append({**_run("exp1", 3, 0.10), "complete": False})  # cut short by the time budget
    cell = aggregate(runs)["exp1"]["evaluations"]["as_trained"]["0.2"]
    assert cell["one_shot"]["values"] == [0.40, 0.44]
    assert cell["one_shot"]["mean"] == pytest.approx(0.42)
    assert cell["change_raw"]["mean"] == pytest.approx(-0.05)
    entry = aggregate(runs)["exp1"]
    assert entry["done"] == 3 and entry["complete_schedules"] == 2


def test_a_run_waits_for_its_parent_and_is_dropped_when_it_fails(tmp_path) -> None:
    args = seeds.parse_args(["--plan", "call1", "--out", str(tmp_path / "out"),
                             "--work", str(tmp_path / "work")])  # fmt: skip
    runs = seeds.plan_runs(seeds.PLANS["call1"])
    runner = seeds.Runner(runs, args)
    child = runner.by_id("exp2.s1")
    assert runner.ready(child) is False and runner.ready(runner.by_id("exp3.s0")) is True
    runner.by_id("exp1.s1").status = "done"
    assert runner.ready(child) is True
    runner.by_id("exp1.s1").status = "failed"
    assert runner.ready(child) is None


def test_nothing_starts_without_time_and_the_files_are_still_written(tmp_path) -> None:
    out = tmp_path / "out"
    seeds.main(["--plan", "call2", "--out", str(out), "--work", str(tmp_path / "work"),
                "--minutes", "0.5", "--setup-seconds", "60"])  # fmt: skip
    runs = json.loads((out / "runs.json").read_text())["runs"]
    assert {run["status"] for run in runs} == {"not_started"}
    assert len(runs) == 7 and (out / "aggregate.json").is_file() and (out / "log.txt").is_file()


@pytest.mark.slow
def test_a_tiny_plan_trains_chains_evaluates_and_bundles(tmp_path) -> None:
    """exp1 then exp2 from its best checkpoint, one seed, a tiny schedule, as the device runs it."""
    out = tmp_path / "out"
    seeds.main(["--plan", "smoke", "--only", "exp1.s0,exp2.s0", "--tiny", "--out", str(out),
                "--work", str(tmp_path / "work"), "--parallel", "2", "--minutes", "6",
                "--eval-programs", "2", "--eval-per-program", "1", "--eval-iterations", "2",
                "--eval-workers", "1", "--setup-seconds", "5", "--eval-seconds", "10",
                "--min-train-minutes", "0.1", "--bundle", "exp2.s0=exp2"])  # fmt: skip
    runs = {run["id"]: run for run in json.loads((out / "runs.json").read_text())["runs"]}
    assert [runs[i]["status"] for i in ("exp1.s0", "exp2.s0")] == ["done", "done"]
    exp2 = runs["exp2.s0"]
    assert exp2["spec"]["init"].endswith("exp1.s0/best.pt")
    assert exp2["start_one_shot"] is not None and set(exp2["stop_rule"]) == {
        "absolute",
        "ratio",
        "drop",
    }
    assert len(exp2["history"]) == 2 and "0.2" in exp2["evaluations"]["as_trained"]["table"]
    aggregate_file = json.loads((out / "aggregate.json").read_text())
    assert aggregate_file["jobs"]["exp2"]["done"] == 1
    assert (out / "exp2.bundle.tar").is_file()
    assert len(list(out.iterdir())) <= 8


def test_claims_are_judged_against_the_logs_direction() -> None:
    from training.seed_claims import Claim, cell, judge

    runs = [_run("exp1", s, 0.40 + s / 100) for s in range(3)]
    runs += [_run("exp2", s, 0.30 + s / 100) for s in range(3)]
    below = Claim("x", ("exp2", "as_trained", "one_shot"), ("exp1", "as_trained", "one_shot"),
                  {"0.2": "<"})  # fmt: skip
    assert judge(runs, below)[0] == "holds"
    above = Claim("y", below.a, below.b, {"0.2": ">"})
    assert judge(runs, above)[0] == "does not hold"
    same = Claim("z", below.a, below.b, {"0.2": "≈"})
    assert judge(runs, same)[0] == "does not hold"
    assert judge(runs, Claim("u", below.a, below.b, {"0.2": "≤"}))[0] == "holds"
    assert judge(runs, Claim("t", below.a, below.b, {"0.2": "≥"}))[0] == "does not hold"
    # raw rounds lose 5 points in every run: "iterative hurts" holds against zero
    hurts = Claim("w", ("exp1", "as_trained", "change_raw"), None, {"0.2": "<"})
    assert judge(runs, hurts)[0] == "holds"
    missing = Claim("v", ("exp3", "no_feedback_at_0", "one_shot"), None, {"0.2": ">"})
    assert cell(runs, missing) == "pending the device run"


def test_fill_replaces_marked_blocks_and_can_run_again(tmp_path) -> None:
    from training.seed_report import fill

    page = tmp_path / "page.md"
    page.write_text(
        "intro\n<!-- fill:table -->\npending the device run\n<!-- /fill:table -->\n"
        "| claim | <!-- fill:S1 -->pending the device run<!-- /fill:S1 --> |\n"
    )
    assert fill(page, {"table": "| a |\n|---|", "S1": "**holds**", "S9": "x"}) == ["table", "S1"]
    once = page.read_text()
    assert (
        "pending" not in once and "| claim | <!-- fill:S1 -->**holds**<!-- /fill:S1 --> |" in once
    )
    fill(page, {"table": "| a |\n|---|", "S1": "**holds**"})
    assert page.read_text() == once


def test_bundled_runs_take_the_round0_variants(tmp_path) -> None:
    from training.seed_report import bundled_runs

    curves, round0 = tmp_path / "curves", tmp_path / "round0"
    curves.mkdir()
    round0.mkdir()
    table = {"table": {"0.2": {"one_shot": 0.4}}, "baseline_most_frequent": {"0.2": 0.3}}
    (curves / "exp3.evaluation.json").write_text(json.dumps(table))
    (curves / "exp1.evaluation.json").write_text(json.dumps(table))
    quiet = {"table": {"0.2": {"one_shot": 0.01}}, "baseline_most_frequent": {"0.2": 0.3}}
    (round0 / "exp3.no_feedback_at_0.json").write_text(json.dumps(quiet))
    runs = {run["id"]: run for run in bundled_runs(curves, round0)}
    exp3 = runs["exp3@bundled"]["evaluations"]
    assert exp3["feedback_at_0"]["table"]["0.2"]["one_shot"] == 0.4
    assert exp3["no_feedback_at_0"]["table"]["0.2"]["one_shot"] == 0.01
    assert set(runs["exp1@bundled"]["evaluations"]) == {"as_trained"}


def test_the_exp2_note_follows_the_bundled_run(tmp_path) -> None:
    from training.seed_report import exp2_note

    summary = {"epochs_run": 1, "config": {"epochs": 30}}
    (tmp_path / "exp2.summary.json").write_text(json.dumps(summary))
    assert "early-stopped run (1 of 30" in exp2_note(tmp_path)
    summary["epochs_run"] = 30
    (tmp_path / "exp2.summary.json").write_text(json.dumps(summary))
    assert exp2_note(tmp_path).startswith("The exp2 rows are the full run (30 of 30")


def test_policy_verdicts_say_whether_iterative_falls_below_one_shot() -> None:
    from training.seed_report import policy_verdicts

    runs = []
    for seed, gain in enumerate((0.010, 0.012, 0.011)):
        run = _run("exp1", seed, 0.40)
        run["evaluations"]["as_trained"]["table"]["0.2"]["iterative_freeze"] = 0.40 + gain
        runs.append(run)
        run = _run("exp3b", seed, 0.40)
        run["evaluations"]["as_trained"]["table"]["0.2"]["iterative_freeze"] = 0.40 - gain
        runs.append(run)
    table = policy_verdicts(runs, "freeze")
    assert "| exp1 | 20% | 1.1 ± 0.1 |" in table and "**yes** (above)" in table
    assert "| exp3b | 20% | -1.1 ± 0.1 |" in table and "**no** (below)" in table
    assert policy_verdicts(runs[:0], "freeze") == "Pending the device run."
