"""Experiment 3b: Exp 3's architecture with use_test_guidance off (no cross-attention)."""

from training.presets.exp3 import OVERRIDES as EXP3

OVERRIDES = {**EXP3, "use_test_guidance": False}
