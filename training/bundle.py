"""Bundle a training run under models/: float16 weights, the held-out evaluation, the curves.

    python -m training.bundle RUN_DIR NAME [--commit HASH] [--models models]

RUN_DIR is what `repair train --out` wrote (best.pt, metrics.jsonl, summary.json,
learning_curves.png) plus `evaluation.json` from `repair evaluate --json`. Writes
`models/NAME.pt` (weights as float16: they load into float32 models, at half the size) with the
evaluation table added to its metrics, and copies the run's logs to `models/curves/NAME.*`.
`--commit` records the commit the run's code came from when the training machine's checkout
could not tell (a copy of the working tree without its history).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from repair.checkpoint import load_checkpoint


def bundle(run: Path, name: str, models: Path, commit: str = "") -> Path:
    payload = torch.load(run / "best.pt", map_location="cpu", weights_only=True)
    payload["model_state"] = {
        key: value.half() if value.is_floating_point() else value
        for key, value in payload["model_state"].items()
    }
    evaluation = run / "evaluation.json"
    if evaluation.is_file():
        payload["metrics"]["held_out"] = json.loads(evaluation.read_text())["table"]
    if commit:
        payload["commit"] = commit
    target = models / f"{name}.pt"
    handle, temporary = tempfile.mkstemp(dir=models, prefix=f".{target.name}.")
    os.close(handle)
    try:
        torch.save(payload, temporary)
        load_checkpoint(temporary)  # refuse to bundle what would not load
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    curves = models / "curves"
    curves.mkdir(exist_ok=True)
    if not (run / "learning_curves.png").is_file() and (run / "metrics.jsonl").is_file():
        # a run stopped from outside (a time limit) never plotted its curves: plot them now
        from training.curves import plot_curves

        lines = (run / "metrics.jsonl").read_text().splitlines()
        plot_curves([json.loads(line) for line in lines if line], run / "learning_curves.png", name)
    for source, suffix in (
        ("metrics.jsonl", "metrics.jsonl"),
        ("summary.json", "summary.json"),
        ("evaluation.json", "evaluation.json"),
        ("learning_curves.png", "png"),
    ):
        if (run / source).is_file():
            shutil.copyfile(run / source, curves / f"{name}.{suffix}")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("name")
    parser.add_argument("--commit", default="")
    parser.add_argument("--models", type=Path, default=Path("models"))
    args = parser.parse_args()
    target = bundle(args.run, args.name, args.models, args.commit)
    print(f"{target}: {target.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
