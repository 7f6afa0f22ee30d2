"""Experiment 3b: Exp 3's architecture with use_test_guidance off (no cross-attention)."""

OVERRIDES = dict(
    architecture="guided",
    features="exp3",
    use_test_guidance=False,
    signal="none",
    test_weight=0.0,
    epochs=50,
    lr=1e-3,
    train_samples=80,
    val_samples=10,
)
