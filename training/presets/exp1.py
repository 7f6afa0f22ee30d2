"""Experiment 1: baseline trajectory training, binary test signal, 10x weighting (w = 9)."""

OVERRIDES = dict(
    epochs=50, lr=1e-3, test_weight=9.0, signal="binary", train_samples=80, val_samples=10
)
