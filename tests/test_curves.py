"""Learning curves: the log's recipes (epochs, one-shot accuracy per level) and the real-code
recipe (steps, its own validation keys) both have curves."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from training.curves import curves_of, plot_curves

EPOCHS = [
    {"epoch": 1, "loss": 2.0, "val_one_shot@0.2": 0.1, "val_one_shot@0.5": 0.05},
    {"epoch": 2, "loss": 1.5, "val_one_shot@0.2": 0.2},
]
STEPS = [
    {"stage": "pretrain", "step": 400, "loss": 1.9, "val_fixes_joint": 0.09},
    {"stage": "finetune", "step": 800, "loss": 2.1, "val_fixes_joint": 0.11},
]


def test_the_log_recipes_plot_one_shot_accuracy_per_level_by_epoch():
    curves = curves_of(EPOCHS)
    assert (curves.x, curves.xs, curves.loss, curves.by_level) == (
        "epoch",
        [1, 2],
        [2.0, 1.5],
        True,
    )
    assert list(curves.validation) == ["0.2", "0.5"] and curves.validation["0.2"] == [0.1, 0.2]
    assert math.isnan(curves.validation["0.5"][1])  # a record without the level


def test_the_real_code_recipe_plots_its_own_validation_by_step():
    curves = curves_of(STEPS)
    assert (curves.x, curves.xs, curves.by_level) == ("step", [400, 800], False)
    assert curves.validation == {"fixes_joint": [0.09, 0.11]}


def test_a_png_is_written_where_matplotlib_is_installed(tmp_path: Path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "curves.png"
    plot_curves(STEPS, path, "run")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
