"""What `repair train --resume` needs to go on after an epoch as if the run had never stopped: the
trainer state saved atomically after every epoch, and the check that a resumed run keeps the
settings that shape it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from repair.errors import BadInput
from training.config import TrainConfig

# settings of the machine and the session may change on resume; what shapes the run may not
RESUMABLE_CHANGES = frozenset(
    {"device", "workers", "lanes", "max_minutes", "resume", "epochs", "test_timeout"}
)


def save_state(path: Path, model, optimizer, rng, fixed: dict, epoch, history, best, best_epoch):
    """The model, optimiser, random states and history after `epoch`, written atomically."""
    payload = {
        **fixed,
        "epoch": epoch,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "rng": rng.getstate(),
        "torch_rng": torch.get_rng_state(),
        "history": history,
        "best_score": best,
        "best_epoch": best_epoch,
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        torch.save(payload, temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def load_state(path: Path, config: TrainConfig) -> dict:
    if not path.is_file():
        raise BadInput(f"{path}: nothing to resume (no trainer state in this folder)")
    state = torch.load(path, map_location="cpu", weights_only=True)
    saved = state["config"]
    changed = sorted(
        k for k, v in config.to_dict().items() if k not in RESUMABLE_CHANGES and saved.get(k) != v
    )
    if changed:
        raise BadInput(f"{path}: cannot resume with different settings: {', '.join(changed)}")
    return state


def as_tuples(value):
    """random.setstate wants tuples where a saved state may hold lists."""
    return tuple(as_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value
