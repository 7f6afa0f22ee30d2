"""Experiment 2: fine-tune Exp 1's best at lr 1e-4 with w = 4 for 30 epochs; stop if one-shot@20%
falls more than the log's margin (73.4 % → 70 %, i.e. 3.4 points) below the starting checkpoint."""

OVERRIDES = dict(
    epochs=30,
    lr=1e-4,
    test_weight=4.0,
    signal="binary",
    train_samples=80,
    val_samples=10,
    init="runs/exp1/best.pt",
    early_stop_drop=0.034,
    sampling_warmup=0.0,  # the starting model is already trained: use its predictions from epoch 0
)
