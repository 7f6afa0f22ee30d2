"""Experiment 3d: Exp 3c scaled to 1000 training / 200 validation programs."""

OVERRIDES = dict(
    architecture="guided",
    features="exp3",
    use_test_guidance=True,
    feedback_at_first_step=False,
    signal="none",
    test_weight=0.0,
    epochs=50,
    lr=1e-3,
    train_samples=1000,
    val_samples=200,
)
