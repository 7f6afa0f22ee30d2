"""Batches of the real-code recipe, built in worker processes ahead of the model.

A task names a batch: which pre-training functions to corrupt and which real fixes to show, with a
seed. Workers are forked after the data is loaded (they read it copy-on-write) and return whole
collated batches, so the training process only moves tensors to the device. At most `ahead`
batches are in flight, and the order of batches follows the order of tasks (a run resumed from a
step builds the same batches again).
"""

from __future__ import annotations

import multiprocessing
import os
import random
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch_geometric.data import Batch

from repair.source import parse, tokens
from training.corruption import corrupt
from training.realcorrupt import corrupt_real, noisy_signal
from training.realdata import RealData
from training.realfixes import FixExample
from training.realgraph import attach_span_targets, function_graph
from training.structcorrupt import corrupt_structural

_DATA: dict = {}  # the worker's view of the data: set before the pool forks


@dataclass(frozen=True)
class BatchTask:
    functions: tuple[int, ...]  # indices into RealData.functions, to corrupt
    fixes: tuple[int, ...]  # indices into the fix list the pool was given
    seed: int
    structural: float = 0.0  # share of the functions given a structural bug instead
    small: tuple[int, ...] = ()  # indices into the pool's small programs, to corrupt heavily


def corrupted_function(data: RealData, index: int, rng: random.Random, structural: float = 0.0):
    """One corrupted function's graph with targets (None when nothing could be corrupted): a
    structural bug with probability `structural` (token replacements when none can be made)."""
    if structural and rng.random() < structural:
        graph = structural_function(data, index, rng)
        if graph is not None:
            return graph
    names_id, text = data.functions[index]
    source = text.encode()
    tree = parse(source)
    token_list = tokens(source, tree)
    names = data.names[names_id]
    corrupted, edits = corrupt_real(source, token_list, names, data.distribution, rng)
    if not edits:
        return None
    edited_lines = sorted({source.count(b"\n", 0, edit.start) + 1 for edit in edits})
    signal = noisy_signal(edited_lines, source.count(b"\n") + 1, rng)
    built = function_graph(
        corrupted,
        data.vocabulary,
        names=names,
        signal=signal,
        original=[t.text for t in token_list],
    )
    return built.graph if built is not None else None


def structural_function(data: RealData, index: int, rng: random.Random):
    """One function with a structural bug (`training.structcorrupt`), or None."""
    names_id, text = data.functions[index]
    bug = corrupt_structural(text.encode(), rng)
    if bug is None:
        return None
    built = function_graph(
        bug.source,
        data.vocabulary,
        names=data.names[names_id],
        signal=noisy_signal([bug.fix.line], bug.source.count(b"\n") + 1, rng),
        tree=bug.tree,
    )
    if built is None:
        return None
    attach_span_targets(built, bug.fix.focus)
    return built.graph if built.graph.is_wrong.any() else None


SMALL_RATES = (0.2, 0.5, 0.75)  # the trajectories' corruption levels (Exp 4)


def small_graph(data: RealData, source: str, names: Sequence[str], rng: random.Random):
    """One of Exp 4's small training programs with 20, 50 or 75 % of its repair targets
    corrupted, as its trajectories start, and the stand-in signal on the corrupted lines: the
    heavy corruption the trajectory stage teaches, in the same batches as real code (that stage
    run after real code undid what real code taught: training/results/realcode_structural_traj)."""
    raw = source.encode()
    token_list = tokens(raw)
    corruption = corrupt(raw, rng.choice(SMALL_RATES), rng, token_list)
    if not corruption.edits:
        return None
    lines = sorted({raw.count(b"\n", 0, edit.start) + 1 for edit in corruption.edits})
    built = function_graph(
        corruption.source,
        data.vocabulary,
        names=names,
        signal=noisy_signal(lines, raw.count(b"\n") + 1, rng),
        original=[t.text for t in token_list],
    )
    return built.graph if built is not None else None


def fix_graph(data: RealData, example: FixExample, rng: random.Random):
    """A real fix's buggy function with the human's edit as its target."""
    source = example.before.encode()
    token_list = tokens(source)
    original = [t.text for t in token_list]
    for index, _, new in example.edits:
        original[index] = new
    lines = sorted({token_list[index].line for index, _, _ in example.edits})
    built = function_graph(
        source,
        data.vocabulary,
        names=example.names,
        signal=noisy_signal(lines, source.count(b"\n") + 1, rng),
        original=original,
        cover=[index for index, _, _ in example.edits],
    )
    return built.graph if built is not None else None


def build_batch(task: BatchTask) -> Batch | None:
    data: RealData = _DATA["data"]
    fixes: Sequence[FixExample] = _DATA["fixes"]
    rng = random.Random(task.seed)
    graphs = []
    for index in task.functions:
        graph = corrupted_function(data, index, rng, task.structural)
        if graph is not None:
            graphs.append(graph)
    for index in task.small:
        graph = small_graph(data, *_DATA["small"][index], rng)
        if graph is not None:
            graphs.append(graph)
    for index in task.fixes:
        graph = fix_graph(data, fixes[index], rng)
        if graph is not None:
            graphs.append(graph)
    if not graphs:
        return None
    return Batch.from_data_list(graphs)


def _init_worker() -> None:
    torch.set_num_threads(1)


class BatchPool:
    """Worker processes building `BatchTask`s in order, `ahead` at a time."""

    def __init__(
        self,
        data: RealData,
        fixes: Sequence[FixExample],
        workers: int,
        ahead: int,
        small: Sequence[tuple[str, list[str]]] = (),
    ):
        """`small`: (source, module-level names) of the small programs `BatchTask.small` names."""
        _DATA["data"], _DATA["fixes"], _DATA["small"] = data, list(fixes), list(small)
        self.small = len(small)
        self.workers = workers or max(1, (os.cpu_count() or 2) - 1)
        self.ahead = max(1, ahead)
        self.pool = multiprocessing.get_context("fork").Pool(self.workers, _init_worker)

    def batches(self, tasks: Iterator[BatchTask]) -> Iterator[Batch]:
        pending: deque = deque()
        for task in tasks:
            pending.append(self.pool.apply_async(build_batch, (task,)))
            if len(pending) >= self.ahead:
                batch = pending.popleft().get()
                if batch is not None:
                    yield batch
        while pending:
            batch = pending.popleft().get()
            if batch is not None:
                yield batch

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()

    def __enter__(self) -> BatchPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
