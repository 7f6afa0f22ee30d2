"""The bundled model of `repair fix`: Exp 4's architecture and Tarantula signal, token-recovery
pre-training on standard-library functions, then trajectories with real test signals."""

from training.presets.exp4 import OVERRIDES as EXP4

OVERRIDES = {
    **EXP4,
    "epochs": 40,
    "train_samples": 1500,
    "pretrain_stdlib_functions": 20000,
    "pretrain_epochs": 3,
}
