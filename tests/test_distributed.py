"""DistributedDataParallel on CPU (gloo): two processes match one process on the same data."""

from __future__ import annotations

import os
import random
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from repair.executor import Executor
from repair.models import build_model
from repair.source import tokens
from repair.vocabulary import Vocabulary
from training import distributed
from training.config import apply_overrides, preset
from training.corruption import corrupt
from training.environment import observe
from training.trajectory import collate, trajectory_loss

SOURCE = (
    "def total(values, start):\n"
    "    result = start\n"
    "    for value in values:\n"
    "        if value > 0:\n"
    "            result += value\n"
    "    return result\n"
)
TESTS = (
    "assert total([1, 2], 0) == 3",
    "assert total([-1, 5], 1) == 6",
    "assert total([], 4) == 4",
)
STEPS = 4


def observations():
    source = SOURCE.encode()
    original = tuple(t.text for t in tokens(source))
    vocabulary = Vocabulary.build(list(original), min_count=1)
    result = []
    with Executor(workers=0) as executor:
        for seed in range(4):
            corruption = corrupt(source, 0.5, random.Random(seed))
            run = executor.run(corruption.source.decode(), TESTS)
            result.append(
                observe(
                    corruption.source,
                    run,
                    vocabulary,
                    signal="tarantula",
                    iteration=0,
                    original=original,
                )
            )
    return result, vocabulary


def make_model(vocabulary):
    config = apply_overrides(preset("exp4"), ["hidden=16", "depth=1"]).model_config(len(vocabulary))
    config.dropout = 0.0  # the two runs must see the same function
    torch.manual_seed(0)
    return build_model(config)


def train_steps(model, batch_observations, process_group: bool) -> list[float]:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    wrapped = distributed.wrap(model, torch.device("cpu")) if process_group else model
    batch = collate(batch_observations, torch.device("cpu"))
    losses = []
    for _ in range(STEPS):
        loss, _ = trajectory_loss(wrapped(batch), batch, 9.0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        reported = loss.detach().clone()
        if process_group:
            dist.all_reduce(reported)
            reported /= dist.get_world_size()
        losses.append(float(reported))
    return losses


def _worker(rank: int, world: int, port: int, queue) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        WORLD_SIZE=str(world),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
    )
    torch.set_num_threads(1)
    distributed.setup()
    data, vocabulary = observations()
    model = make_model(vocabulary)
    shard = distributed.shard(data, rank, world)
    losses = train_steps(model, shard, process_group=True)
    if rank == 0:
        queue.put(losses)
    distributed.teardown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_gloo_processes_match_one_process() -> None:
    data, vocabulary = observations()
    # One process, same data: the mean of the two shards' losses is what DDP optimises.
    model = make_model(vocabulary)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    shards = [distributed.shard(data, rank, 2) for rank in range(2)]
    batches = [collate(shard, torch.device("cpu")) for shard in shards]
    single = []
    for _ in range(STEPS):
        losses = [trajectory_loss(model(batch), batch, 9.0)[0] for batch in batches]
        loss = sum(losses) / 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        single.append(float(loss.detach()))

    context = mp.get_context("spawn")
    queue = context.SimpleQueue()
    port = free_port()
    processes = [context.Process(target=_worker, args=(rank, 2, port, queue)) for rank in range(2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=240)
        assert process.exitcode == 0
    double = queue.get()
    assert double == pytest.approx(single, rel=1e-4, abs=1e-5)
    assert single[-1] < single[0]


def test_shards_are_equal_and_disjoint() -> None:
    items = list(range(11))
    shards = [distributed.shard(items, rank, 3) for rank in range(3)]
    assert {len(shard) for shard in shards} == {3}
    assert not set(shards[0]) & set(shards[1])
