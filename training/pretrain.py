"""Token recovery before trajectory training (`TrainConfig.pretrain_epochs`): corrupted
standard-library functions, no tests, no signal. Corruption and graphs are made in the
environment's workers, `lanes` batches ahead of the model."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future

from torch import nn

from training import distributed
from training.config import TrainConfig
from training.data import stdlib_functions
from training.trajectory import collate, run_model, trajectory_loss


def pretrain(
    ddp_model, model, optimizer, environment, config: TrainConfig, device, say: Callable, rng
) -> None:
    functions = [
        f.encode() for f in stdlib_functions(config.pretrain_stdlib_functions, seed=config.seed)
    ]
    rank, world = distributed.setup()
    functions = distributed.shard(functions, rank, world)
    for epoch in range(config.pretrain_epochs):
        rng.shuffle(functions)
        losses = []
        chunks = [
            functions[start : start + config.batch_size]
            for start in range(0, len(functions), config.batch_size)
        ]
        lanes: deque[Future] = deque()
        started = 0
        while lanes or started < len(chunks):
            while len(lanes) < max(1, config.lanes) and started < len(chunks):
                tasks = [
                    (f, rng.choice(config.levels), rng.getrandbits(64)) for f in chunks[started]
                ]
                lanes.append(environment.corrupt_and_observe_async(tasks))
                started += 1
            observations = lanes.popleft().result()
            if not observations:
                continue
            batch = collate(observations, device)
            output = run_model(ddp_model, observations, batch, use_feedback=False)
            loss, _ = trajectory_loss(output, batch, 0.0)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            losses.append(loss.detach())
        losses = [float(value) for value in losses]
        mean = sum(losses) / max(1, len(losses))
        say(f"pre-training epoch {epoch + 1}/{config.pretrain_epochs} loss {mean:.3f}")
