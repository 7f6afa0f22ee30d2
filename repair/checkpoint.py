"""Self-describing checkpoints: weights, model config, vocabulary, training summary, metrics.

Everything but the weights is plain Python data, so `torch.load(..., weights_only=True)` reads it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

from repair.errors import CheckpointError
from repair.models import build_model
from repair.models.config import ModelConfig
from repair.vocabulary import Vocabulary

FORMAT = "repair-checkpoint-1"
DEFAULT_MODEL_NAME = "default.pt"
# The bundled models `repair fix` averages by default (`repair.score.EnsembleScorer`): the Exp 4
# run (default.pt) and the Exp 3d run (exp3d.pt); models/MODEL_CARD.md says why these two.
DEFAULT_MODEL_NAMES = (DEFAULT_MODEL_NAME, "exp3d.pt")


@dataclass
class Checkpoint:
    model: nn.Module
    config: ModelConfig
    vocabulary: Vocabulary
    train_config: dict[str, Any] = field(default_factory=dict)
    data_summary: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    commit: str = ""


def git_commit() -> str:
    """The checkout's commit, with "-dirty" when tracked files differ from it ("unknown" outside
    a checkout): a checkpoint trained on uncommitted code must not claim a clean commit."""
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=True, cwd=here
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        return commit + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def save_checkpoint(path: str | Path, checkpoint: Checkpoint) -> None:
    """Write atomically: a crash mid-save never leaves a truncated checkpoint behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in checkpoint.model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "model_state": state,
        "model_config": checkpoint.config.to_dict(),
        "vocabulary": checkpoint.vocabulary.to_list(),
        "train_config": checkpoint.train_config,
        "data_summary": checkpoint.data_summary,
        "metrics": checkpoint.metrics,
        "commit": checkpoint.commit or git_commit(),
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        torch.save(payload, temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged file
        raise CheckpointError(
            f"{path}: not a readable checkpoint ({type(error).__name__})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a repair checkpoint")
    try:
        config = ModelConfig.from_dict(payload["model_config"])
        model = build_model(config)
        model.load_state_dict(payload["model_state"])
        vocabulary = Vocabulary(payload["vocabulary"])
    except (KeyError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"{path}: checkpoint does not match this version ({error})") from None
    model.to(device).eval()
    return Checkpoint(
        model=model,
        config=config,
        vocabulary=vocabulary,
        train_config=payload.get("train_config", {}),
        data_summary=payload.get("data_summary", {}),
        metrics=payload.get("metrics", {}),
        commit=payload.get("commit", ""),
    )


def default_model_path(name: str = DEFAULT_MODEL_NAME) -> Path:
    """A bundled model: inside an installed wheel (repair.bundled) or a checkout's models/."""
    try:
        bundled = resources.files("repair.bundled") / name
        if bundled.is_file():
            return Path(str(bundled))
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "models" / name


def default_model_paths() -> tuple[Path, ...]:
    """The models `repair fix` averages when no --model is given."""
    return tuple(default_model_path(name) for name in DEFAULT_MODEL_NAMES)
