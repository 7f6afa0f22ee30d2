"""DistributedDataParallel under `torchrun`: one process per GPU (or CPU process, gloo).

Without torchrun's environment everything here is a no-op, so one command trains on one CPU,
one GPU, or many GPUs.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


def setup() -> tuple[int, int]:
    """(rank, world size); joins the process group when started by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local_rank())
        dist.init_process_group(backend)
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    if not dist.is_initialized():
        return model
    ids = [device.index] if device.type == "cuda" else None
    # Pooling and the guided model's attention leave some parameters unused in some steps.
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)


def shard(items: list, rank: int, world: int) -> list:
    """This rank's share of the data: every world-th item, all shards the same length.

    DDP needs every rank to take the same number of steps (each backward is a collective), so
    the remainder of an uneven split is dropped rather than given to some ranks.
    """
    return items[rank::world][: len(items) // world]


def agree(flag: bool, device: torch.device) -> bool:
    """Rank 0 decides (it holds the validation numbers); every rank gets its decision."""
    if not dist.is_initialized():
        return flag
    tensor = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.broadcast(tensor, src=0)
    return bool(tensor.item())


def teardown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
