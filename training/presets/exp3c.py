"""Experiment 3c: Exp 3 with no test feedback at iteration 0 (feedback only from iteration 1)."""

from training.presets.exp3 import OVERRIDES as EXP3

OVERRIDES = {**EXP3, "feedback_at_first_step": False}
