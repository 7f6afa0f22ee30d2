"""A recipe for `repair fix`'s model: Exp 4's architecture and Tarantula signal, token-recovery
pre-training on standard-library functions, then trajectories with real test signals.

Not the recipe of the bundled `models/default.pt`, which is the full Exp 4 run: this one has run 9
of its 40 epochs so far (models/MODEL_CARD.md says how the bundled model was chosen)."""

from training.presets.exp4 import OVERRIDES as EXP4

OVERRIDES = {
    **EXP4,
    "epochs": 40,
    "train_samples": 1500,
    "pretrain_stdlib_functions": 20000,
    "pretrain_epochs": 3,
}
