"""The bundled model of `repair fix`: Exp 4's architecture and Tarantula signal, token-recovery
pre-training on standard-library functions, then trajectories with real test signals."""

OVERRIDES = dict(
    signal="tarantula",
    test_weight=9.0,
    epochs=40,
    lr=1e-3,
    train_samples=1500,
    val_samples=200,
    pretrain_stdlib_functions=20000,
    pretrain_epochs=3,
)
