"""Trajectories: corrupted program → predict → mix with ground truth → run tests → predict again.

`Environment` turns program states into observations (tests run by the warm executor, graphs
built in a process pool); `next_states` applies the model's proposals with scheduled sampling;
`trajectory_loss` is the test-weighted loss `1 + w · signal` per node.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch

from repair.executor import ExecutionResult, Executor
from repair.graph import CodeGraph
from repair.models.guided_unet import GuidedIterativeGraphUNet, TestFeedback
from repair.source import Edit, apply_edits, parse, tokens
from repair.vocabulary import Vocabulary
from training.decode import Decoded
from training.environment import Observation, observe
from training.programs import Program

MAX_TEST_ID = 127


@dataclass(frozen=True)
class State:
    program: int  # index into the environment's programs
    source: bytes
    original: tuple[str, ...] | None  # the clean program's token texts (training targets)
    iteration: int = 0


_WORKER: dict = {}


def _init_worker(vocabulary: list[str], signal: str) -> None:
    torch.set_num_threads(1)
    _WORKER["vocabulary"] = Vocabulary(vocabulary)
    _WORKER["signal"] = signal


def _corrupt_and_observe(task: tuple[bytes, float, int]) -> Observation | None:
    """Pre-training: corrupt a function (no tests, no signal) and observe it, in a worker."""
    from training.corruption import corrupt

    source, level, seed = task
    token_list = tokens(source, parse(source))
    corruption = corrupt(source, level, random.Random(seed), token_list)
    if not corruption.positions:
        return None
    empty = ExecutionResult(outcomes=(), module_error=None, module_lines=frozenset())
    return _observe_task((corruption.source, empty, 0, tuple(t.text for t in token_list)))


def _pack(observation: Observation | None):
    """Graph tensors as numpy arrays for the trip back from a worker: unpickling a torch tensor
    costs ~0.2 ms, a numpy array a few microseconds, and a graph has fifteen of them."""
    if observation is None:
        return None
    graph = observation.graph
    arrays = {key: value.numpy() for key, value in graph.items() if torch.is_tensor(value)}
    scalars = {key: value for key, value in graph.items() if not torch.is_tensor(value)}
    return replace(observation, graph=None), arrays, scalars


def _unpack(packed) -> Observation | None:
    if packed is None:
        return None
    observation, arrays, scalars = packed
    graph = CodeGraph(**{key: torch.from_numpy(value) for key, value in arrays.items()}, **scalars)
    return replace(observation, graph=graph)


def _observe_packed(task) -> tuple | None:
    return _pack(_observe_task(task))


def _corrupt_and_observe_packed(task) -> tuple | None:
    return _pack(_corrupt_and_observe(task))


def _observe_task(task: tuple[bytes, ExecutionResult, int, tuple[str, ...] | None]) -> Observation:
    source, result, iteration, original = task
    try:
        return observe(
            source,
            result,
            _WORKER["vocabulary"],
            signal=_WORKER["signal"],
            iteration=iteration,
            original=original,
        )
    except ValueError:  # not token-aligned: skip rather than train on a wrong target
        return None


class Environment:
    """Runs tests (warm executors, cached by source) and builds graphs (a process pool).

    Several batches can be in flight at once (`observe_async`): each batch's tests run on one of
    `lanes` executors, and its graphs are built in the pool as soon as its tests are done, so test
    execution, graph building and the caller's model step overlap, and a batch held up by a
    program that loops until its timeout holds up only itself.
    """

    def __init__(
        self,
        programs: Sequence[Program],
        vocabulary: Vocabulary,
        signal: str,
        workers: int = 0,
        timeout: float = 1.0,
        lanes: int = 1,
    ):
        self.programs = list(programs)
        self.vocabulary = vocabulary
        self.signal = signal
        cores = os.cpu_count() or 2
        workers = workers or max(1, cores - 1)
        graph_workers = workers // 2 if workers > 2 else 0
        lanes = max(1, min(lanes, workers - graph_workers))
        per_executor = max(1, (workers - graph_workers) // lanes)
        self.executors = [Executor(workers=per_executor, timeout=timeout) for _ in range(lanes)]
        self._idle: queue.SimpleQueue[Executor] = queue.SimpleQueue()
        for executor in self.executors:
            self._idle.put(executor)
        self.pool = None
        if graph_workers:
            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(
                graph_workers, initializer=_init_worker, initargs=(vocabulary.to_list(), signal)
            )
        _init_worker(vocabulary.to_list(), signal)
        self._tests = ThreadPoolExecutor(lanes, thread_name_prefix="repair-tests")

    def observe(self, states: Sequence[State]) -> list[Observation]:
        return self.observe_async(states).result()

    def observe_async(self, states: Sequence[State]) -> Future:
        """A future of the states' observations (tests run, signals scored, graphs built)."""
        states = list(states)
        jobs = [
            (s.source.decode("utf-8", "replace"), self.programs[s.program].tests) for s in states
        ]

        def finish(observations: list[Observation | None]) -> list[Observation]:
            kept = [observation for observation in observations if observation is not None]
            if len(kept) != len(states):
                raise ValueError("a program state is not token-aligned with its original")
            return kept

        def tasks_of(results: list[ExecutionResult]) -> list[tuple]:
            return [(s.source, r, s.iteration, s.original) for s, r in zip(states, results)]

        return self._build_after(self._tests.submit(self._run, jobs), tasks_of, finish)

    def corrupt_and_observe_async(self, tasks: Sequence[tuple[bytes, float, int]]) -> Future:
        """Pre-training observations of (source, corruption level, seed) tasks, built in workers."""
        done: Future = Future()
        done.set_result(list(tasks))

        def finish(observations: list[Observation | None]) -> list[Observation]:
            return [observation for observation in observations if observation is not None]

        return self._build_after(done, lambda items: items, finish, corrupt_first=True)

    def run_tests(self, jobs: Sequence[tuple[str, Sequence[str]]]) -> list[ExecutionResult]:
        """Run test jobs on one of the environment's executors."""
        return self._tests.submit(self._run, list(jobs)).result()

    def observe_tasks(self, tasks: Sequence[tuple]) -> list[Observation]:
        """Graphs for (source, execution result, iteration, original texts) tuples; a task whose
        source is not token-aligned with its original is dropped."""
        if self.pool is not None and len(tasks) > 4:
            packed = self.pool.map(_observe_packed, tasks, chunksize=max(1, len(tasks) // 32))
            built = [_unpack(item) for item in packed]
        else:
            built = [_observe_task(task) for task in tasks]
        return [observation for observation in built if observation is not None]

    def clear_cache(self) -> None:
        for executor in self.executors:
            executor._cache.clear()

    def close(self) -> None:
        self._tests.shutdown(wait=True, cancel_futures=True)
        if self.pool is not None:
            self.pool.terminate()
            self.pool = None
        for executor in self.executors:
            executor.close()

    def _run(self, jobs: list) -> list[ExecutionResult]:
        executor = self._idle.get()
        try:
            return executor.run_many(jobs)
        finally:
            self._idle.put(executor)

    def _build_after(self, upstream: Future, tasks_of, finish, corrupt_first: bool = False):
        """When `upstream` is done, build its graphs in the pool; the returned future has them."""
        result: Future = Future()
        work = _corrupt_and_observe_packed if corrupt_first else _observe_packed
        inline = _corrupt_and_observe if corrupt_first else _observe_task

        def deliver(built, packed: bool = False) -> None:
            try:
                result.set_result(finish([_unpack(item) for item in built] if packed else built))
            except BaseException as error:  # noqa: BLE001 - handed to whoever waits
                result.set_exception(error)

        def start(done: Future) -> None:
            try:
                tasks = tasks_of(done.result())
                if self.pool is None or len(tasks) <= 4:
                    deliver([inline(task) for task in tasks])
                    return
                self.pool.map_async(
                    work,
                    tasks,
                    chunksize=max(1, len(tasks) // 32),
                    callback=lambda built: deliver(built, packed=True),
                    error_callback=result.set_exception,
                )
            except BaseException as error:  # noqa: BLE001
                result.set_exception(error)

        upstream.add_done_callback(start)
        return result

    def __enter__(self) -> Environment:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def collate(observations: Sequence[Observation], device: torch.device) -> Batch:
    return Batch.from_data_list([o.graph for o in observations]).to(device)


def feedback(observations: Sequence[Observation], batch: Batch) -> TestFeedback:
    """Per-test feedback for the guided model: outcome, id, and the nodes whose lines it ran."""
    failed, graph_of, ids, cover_tests, cover_nodes = [], [], [], [], []
    test_offset = 0
    node_line = batch.node_line.cpu()
    ptr = batch.ptr.cpu()
    for g, observation in enumerate(observations):
        lines_of_nodes = node_line[ptr[g] : ptr[g + 1]]
        failed_set = set(observation.failed_tests)
        for t, lines in enumerate(observation.test_lines):
            failed.append(1.0 if t in failed_set else 0.0)
            graph_of.append(g)
            ids.append(min(t, MAX_TEST_ID))
            if lines:
                covered = torch.isin(lines_of_nodes, torch.tensor(sorted(lines)))
                nodes = covered.nonzero().flatten() + int(ptr[g])
                cover_nodes.append(nodes)
                cover_tests.append(torch.full_like(nodes, test_offset + t))
        test_offset += len(observation.test_lines)
    device = batch.x.device
    if cover_nodes:
        cover = torch.stack([torch.cat(cover_tests), torch.cat(cover_nodes)])
    else:
        cover = torch.zeros(2, 0, dtype=torch.long)
    return TestFeedback(
        test_failed=torch.tensor(failed, dtype=torch.float, device=device),
        test_batch=torch.tensor(graph_of, dtype=torch.long, device=device),
        test_id=torch.tensor(ids, dtype=torch.long, device=device),
        test_cover_index=cover.to(device),
    )


def run_model(model, observations, batch, *, use_feedback: bool):
    if isinstance(getattr(model, "module", model), GuidedIterativeGraphUNet):
        return model(batch, feedback(observations, batch) if use_feedback else None)
    return model(batch)


def trajectory_loss(output, batch: Batch, test_weight: float) -> tuple[torch.Tensor, dict]:
    """Loss of one step: "is wrong" on every repair target, the right token where it is wrong.

    Each node weighs `1 + test_weight · signal`, so nodes that failing tests point at count more.
    """
    mask = batch.target_mask
    weight = 1.0 + test_weight * batch.signal
    wrong_terms = F.binary_cross_entropy_with_logits(
        output.wrong_logits.float(), batch.is_wrong, reduction="none"
    )
    wrong_loss = (wrong_terms * weight)[mask].sum() / weight[mask].sum().clamp(min=1.0)

    # Large finite negatives instead of -inf: a -inf anywhere in logaddexp/logsumexp turns its
    # gradient into NaN even where the term is masked out later.
    floor = -1e4
    log_vocab = torch.log_softmax(output.token_logits.float(), dim=-1)
    target = batch.target_vocab
    in_vocab = target >= 0
    vocab_term = log_vocab.gather(1, target.clamp(min=0).unsqueeze(1)).squeeze(1)
    vocab_term = torch.where(in_vocab, vocab_term, torch.full_like(vocab_term, floor))
    combined, reachable = vocab_term, in_vocab
    if output.copy_logits is not None and batch.ident_index.numel():
        rows = batch.ident_index
        log_copy = torch.log_softmax(output.copy_logits.float().clamp(min=floor), dim=-1)
        hit = output.copy_candidates == batch.target_copy_group.unsqueeze(1)
        hit &= batch.target_copy_valid.unsqueeze(1)
        copy_term = torch.logsumexp(
            torch.where(hit, log_copy, torch.full_like(log_copy, floor)), dim=1
        )
        gate = output.copy_gate.float()
        mixed = torch.logaddexp(
            F.logsigmoid(-gate) + vocab_term[rows], F.logsigmoid(gate) + copy_term
        )
        combined = combined.clone()
        combined[rows] = mixed
        reachable = reachable.clone()
        reachable[rows] |= hit.any(dim=1)
    wrong_nodes = mask & (batch.is_wrong > 0)
    learnable = wrong_nodes & reachable
    if learnable.any():
        token_loss = -(combined[learnable] * weight[learnable]).sum() / weight[learnable].sum()
    else:
        token_loss = output.token_logits.sum() * 0.0
    # tensors, not floats: reading a value would wait for the device at every step
    stats = {
        "wrong_loss": wrong_loss.detach(),
        "token_loss": token_loss.detach(),
        "reachable": learnable.sum() / wrong_nodes.sum().clamp(min=1),
    }
    return wrong_loss + token_loss, stats


def next_states(
    states: Sequence[State],
    observations: Sequence[Observation],
    decoded: Sequence[Decoded],
    model_share: float,
    rng: random.Random,
) -> list[State]:
    """Scheduled sampling: per token, the model's choice with probability `model_share`, else the
    ground truth. Tokens neither the model nor the truth would change stay as they are."""
    result = []
    for state, observation, choices in zip(states, observations, decoded):
        model_choice = {
            int(choices.token_index[i]): choices.best_text[i]
            for i in np.flatnonzero(choices.wrong > 0.5).tolist()
        }
        edits = []
        for token in observation.token_list:
            truth = state.original[token.index] if state.original else token.text
            mine = model_choice.get(token.index, token.text)
            if truth == token.text and mine == token.text:
                continue
            chosen = mine if rng.random() < model_share else truth
            if chosen != token.text:
                edits.append(Edit(token.start, token.end, token.text, chosen))
        source = apply_edits(state.source, edits)
        result.append(replace(state, source=source, iteration=state.iteration + 1))
    return result
