"""Experiment 3c: Exp 3 with no test feedback at iteration 0 (feedback only from iteration 1)."""

OVERRIDES = dict(
    architecture="guided",
    features="exp3",
    use_test_guidance=True,
    feedback_at_first_step=False,
    signal="none",
    test_weight=0.0,
    epochs=50,
    lr=1e-3,
    train_samples=80,
    val_samples=10,
)
