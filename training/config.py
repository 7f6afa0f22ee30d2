"""Training configuration: one dataclass, experiment presets over it, `--set key=value` overrides."""

from __future__ import annotations

import dataclasses
import importlib
import typing
from dataclasses import dataclass, field
from typing import Any

from repair.models.config import ModelConfig

EXPERIMENTS = ("exp1", "exp2", "exp3", "exp3b", "exp3c", "exp3d", "exp4", "default")
# recipes beyond the log's experiments, with a data folder of their own (training/presets/)
RECIPES = ("realcode", "realcode_structural", "realcode_mixed")


@dataclass
class TrainConfig:
    experiment: str = "exp1"
    # --- data (the log counts programs: 80 training / 10 validation in Exp 1-3c)
    train_samples: int = 80  # training programs (HumanEval's training split first, then synthetic)
    val_samples: int = 10  # validation programs, disjoint from training and from the held-out split
    held_out_fraction: float = (
        0.2  # of HumanEval, never trained on; `repair evaluate` reports on it
    )
    pretrain_stdlib_functions: int = (
        0  # default model: standard-library functions for token recovery
    )
    pretrain_epochs: int = 0  # epochs of token recovery (no tests, no signal) before trajectories
    vocab_size: int = 5000
    # --- optimisation
    epochs: int = 50
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 32  # programs per step
    grad_clip: float = 1.0
    init: str = ""  # checkpoint to fine-tune from (Exp 2 starts from Exp 1's best)
    # --- trajectories and test signal
    signal: str = "binary"  # node feature: "binary" (Exp 1/2), "tarantula" (Exp 4), "none"
    test_weight: float = (
        9.0  # loss weight per node is 1 + test_weight · signal (9 in Exp 1, 4 in Exp 2)
    )
    trajectory_steps: int = 3  # predict → apply → run tests → recompute signals, this many times
    sampling_max: float = 0.95  # scheduled sampling: the model's share of the next state, at most
    sampling_warmup: float = 0.5  # share of epochs before the model's predictions are used at all
    feedback_at_first_step: bool = (
        True  # guided model: test feedback at iteration 0 (False: Exp 3c)
    )
    levels: tuple[float, ...] = (
        0.2,
        0.5,
        0.75,
    )  # corruption levels of the curriculum and validation
    early_stop_drop: float = -1.0  # stop when one-shot@20% falls this far below the start (Exp 2)
    patience: int = 0  # stop after this many epochs without a better validation accuracy (0: never)
    resume: bool = False  # go on from the trainer state in the output folder (same settings)
    max_minutes: float = 0.0  # wall-clock budget: stop after the epoch that crosses it (0: none)
    # --- model
    architecture: str = "iterative"  # "iterative" (Exp 1/2/4) or "guided" (Exp 3*)
    features: str = "exp1"
    use_test_guidance: bool = True
    hidden: int = 256
    depth: int = 3
    conv: str = "gat"
    copy: bool = True
    subtokens: bool = False  # sub-token inputs and copy-head name keys (ModelConfig.subtokens)
    tie_embeddings: bool = False  # the token head shares the input embedding
    # --- the real-code recipe (training.realtrain): on when real_data names a data folder
    real_data: str = ""  # folder written by `python -m training.realdata` ("": the log's recipes)
    pretrain_minutes: float = 0.0  # training time of corrupted real functions (across resumes)
    finetune_minutes: float = 0.0  # training time of real fixes mixed with corrupted functions
    finetune_mix: float = 0.5  # share of real fixes in a fine-tuning batch
    finetune_lr: float = 3e-4  # the fine-tuning stage's peak learning rate (lr: pre-training's)
    structural_share: float = 0.0  # corrupted functions given a structural bug (structcorrupt)
    # places of corrupted functions given to Exp 4's small programs corrupted at 20-75 %
    # (training.realbatches.small_graph): the trajectories' lesson inside the real-code stages
    small_share: float = 0.0
    trajectory_epochs: int = 0  # then Exp 4's trajectories from the fine-tuned model
    trajectory_lr: float = 0.0  # their peak learning rate (0: lr, pre-training's and Exp 4's)
    warmup_steps: int = 200  # linear learning-rate warm-up, then cosine decay over each stage
    save_minutes: float = 1.0  # trainer state and last.pt at least this often
    # --- machinery
    seed: int = 0
    device: str = "auto"  # "auto", "cpu", "cuda"
    workers: int = 0  # processes that run tests and build graphs (0: one per spare core)
    lanes: int = 3  # batches in flight at once, so tests, graphs and model steps overlap
    test_timeout: float = 0.1  # seconds per test in training: a program that loops costs little
    val_corruptions: int = 2  # corruptions per validation program and level
    extra: dict[str, Any] = field(
        default_factory=dict
    )  # free-form notes carried into the checkpoint

    def model_config(self, vocab_size: int) -> ModelConfig:
        return ModelConfig(
            architecture=self.architecture,
            vocab_size=vocab_size,
            hidden=self.hidden,
            depth=self.depth,
            conv=self.conv,
            features=self.features,
            use_test_guidance=self.use_test_guidance,
            copy=self.copy,
            subtokens=self.subtokens,
            tie_embeddings=self.tie_embeddings,
        )

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["levels"] = list(self.levels)
        # the real-code fields are left out at their defaults, so a trainer state saved before
        # they existed still resumes (`training.resume` compares saved and current settings)
        for key in _REAL_CODE_FIELDS:
            if values[key] == _DEFAULTS[key]:
                del values[key]
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        values = dict(values)
        if "levels" in values:
            values["levels"] = tuple(values["levels"])
        return cls(**values)


_REAL_CODE_FIELDS = (
    "subtokens",
    "tie_embeddings",
    "real_data",
    "pretrain_minutes",
    "finetune_minutes",
    "finetune_mix",
    "finetune_lr",
    "structural_share",
    "small_share",
    "trajectory_epochs",
    "trajectory_lr",
    "warmup_steps",
    "save_minutes",
)
_DEFAULTS = {
    f.name: f.default for f in dataclasses.fields(TrainConfig) if f.name in _REAL_CODE_FIELDS
}


def preset(name: str) -> TrainConfig:
    """The configuration of one of the log's experiments (training/presets/<name>.py)."""
    if name not in EXPERIMENTS + RECIPES:
        known = ", ".join(EXPERIMENTS + RECIPES)
        raise ValueError(f"unknown experiment {name!r}; choose from {known}")
    module = importlib.import_module(f"training.presets.{name}")
    return TrainConfig(experiment=name, **module.OVERRIDES)


def apply_overrides(config: TrainConfig, assignments: list[str]) -> TrainConfig:
    """Apply `key=value` strings, converting each value to the field's declared type."""
    hints = typing.get_type_hints(TrainConfig)
    changes: dict[str, Any] = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep or key not in hints or key == "extra":
            known = ", ".join(sorted(h for h in hints if h != "extra"))
            raise ValueError(f"--set {assignment!r}: expected key=value with key one of: {known}")
        changes[key] = _convert(key, raw.strip(), hints[key])
    return dataclasses.replace(config, **changes)


def _convert(key: str, raw: str, kind: Any) -> Any:
    try:
        if kind is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is str:
            return raw
        if typing.get_origin(kind) is tuple:
            return tuple(float(part) for part in raw.split(",") if part)
    except ValueError:
        pass
    name = getattr(kind, "__name__", str(kind))
    raise ValueError(f"--set {key}={raw}: not a valid {name}")
