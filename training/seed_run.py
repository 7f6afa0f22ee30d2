"""One run of `training.seeds`, in its own process: train, then evaluate on the held-out split.

    python -m training.seed_run SPEC_JSON

SPEC_JSON names the run's folder, experiment, seed, starting checkpoint, `--set` overrides, the
training time budget and the evaluations to make. The run writes `result.json` in its folder after
training and again after each evaluation, so a run stopped from outside still leaves what it did.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

FEEDBACK_LABELS = {None: "as_trained", True: "feedback_at_0", False: "no_feedback_at_0"}


def _write(path: Path, payload: dict) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(payload, indent=1))
    os.replace(temporary, path)


def _start_one_shot(folder: Path, summary: dict) -> float | None:
    if summary.get("start_one_shot") is not None:
        return summary["start_one_shot"]
    state = folder / "trainer.0.pt"
    if not state.is_file():
        return None
    import torch

    return torch.load(state, map_location="cpu", weights_only=True).get("start_one_shot")


def run(spec: dict) -> dict:
    import torch

    from training.config import apply_overrides, preset
    from training.evaluate import evaluate_checkpoint
    from training.rounds import RAW, SAFE
    from training.stop_rule import stop_epochs
    from training.train import train
    from training.variants import parse_policy

    torch.set_num_threads(spec.get("threads", 2))
    folder = Path(spec["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    result: dict = {"id": spec["id"], "spec": spec, "status": "training", "evaluations": {}}

    def say(line: str) -> None:
        with (folder / "train.log").open("a") as log:
            log.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    overrides = [f"seed={spec['seed']}", *spec.get("overrides", [])]
    if spec.get("init"):
        overrides.append(f"init={spec['init']}")
    if spec.get("max_minutes"):
        overrides.append(f"max_minutes={spec['max_minutes']:.2f}")
    config = apply_overrides(preset(spec["experiment"]), overrides)
    began = time.time()
    summary = train(config, folder, progress=say)
    history = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    start = _start_one_shot(folder, summary) if config.init else None
    result.update(
        status="trained",
        train_wall_seconds=time.time() - began,
        epochs_planned=config.epochs,
        epochs_run=summary["epochs_run"],
        complete=summary["epochs_run"] >= config.epochs,
        best_epoch=summary["best_epoch"],
        best_val_mean=summary["best_val_mean"],
        train_seconds=summary["seconds"],
        graphs_per_second=summary["graphs_per_second"],
        start_one_shot=start,
        stop_rule=stop_epochs(history, start),
        summary=summary,
        history=history,
    )
    _write(folder / "result.json", result)
    evaluation = spec.get("evaluation", {})
    policies = [SAFE, RAW, *(parse_policy(text) for text in spec.get("policies", []))]
    for feedback in spec.get("first_step_feedback", [None]):
        began = time.time()
        table = evaluate_checkpoint(
            str(folder / "best.pt"),
            iterations=evaluation.get("iterations", 5),
            per_program=evaluation.get("per_program", 3),
            programs=evaluation.get("programs", 0),
            workers=evaluation.get("workers", 0),
            device=config.device,
            first_step_feedback=feedback,
            policies=policies,
        )
        table.pop("text")
        table["seconds"] = time.time() - began
        result["evaluations"][FEEDBACK_LABELS[feedback]] = table
        if len(result["evaluations"]) == 1:  # what `training.bundle` reads
            _write(folder / "evaluation.json", table)
        _write(folder / "result.json", result)
    result["status"] = "done"
    _write(folder / "result.json", result)
    return result


def main() -> None:
    spec = json.loads(sys.argv[1])
    try:
        run(spec)
    except BaseException:  # noqa: BLE001 - recorded for the runner, then re-raised
        folder = Path(spec["folder"])
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "result.json"
        result = json.loads(path.read_text()) if path.is_file() else {"id": spec["id"]}
        result.update(status="failed", error=traceback.format_exc()[-3000:])
        _write(path, result)
        raise


if __name__ == "__main__":
    main()
