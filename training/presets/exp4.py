"""Experiment 4: the six-feature model of Exp 1 with Tarantula scores as the test signal,
1000 training programs. (The log validated on 10 programs by accident; we use 200.)"""

OVERRIDES = dict(
    signal="tarantula",
    test_weight=9.0,
    epochs=50,
    lr=1e-3,
    train_samples=1000,
    val_samples=200,
)
