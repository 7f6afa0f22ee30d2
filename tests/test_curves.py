"""Learning curves: the log's recipes (epochs, one-shot accuracy per level) and the real-code
recipe (steps, its own validation keys) both plot."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.curves import plot_curves


@pytest.mark.parametrize(
    "history",
    [
        [{"epoch": 1, "loss": 2.0, "val_one_shot@0.2": 0.1}, {"epoch": 2, "loss": 1.5}],
        [
            {"stage": "pretrain", "step": 400, "loss": 1.9, "val_fixes_joint": 0.09},
            {"stage": "finetune", "step": 800, "loss": 2.1, "val_fixes_joint": 0.11},
        ],
    ],
)
def test_a_run_of_either_kind_gets_its_curves(history: list[dict], tmp_path: Path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "curves.png"
    plot_curves(history, path, "run")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
