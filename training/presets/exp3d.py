"""Experiment 3d: Exp 3c scaled to 1000 training / 200 validation programs."""

from training.presets.exp3c import OVERRIDES as EXP3C

OVERRIDES = {**EXP3C, "train_samples": 1000, "val_samples": 200}
