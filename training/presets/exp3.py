"""Experiment 3: GuidedIterativeGraphUNet, five features, test feedback through cross-attention
at every iteration (iteration 0 included), no test-weighted loss."""

OVERRIDES = dict(
    architecture="guided",
    features="exp3",
    use_test_guidance=True,
    feedback_at_first_step=True,
    signal="none",
    test_weight=0.0,
    epochs=50,
    lr=1e-3,
    train_samples=80,
    val_samples=10,
)
