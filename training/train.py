"""`repair train`: trajectory training with real test execution, for one of the log's experiments.

Owns data batches, the curriculum, scheduled sampling, validation, early stopping, checkpoints,
the metrics log and learning curves. Runs on CPU, one GPU, or several under `torchrun` (DDP).
`train()` sets a run up (`_set_up`), starts or resumes it (`_begin`), then alternates one epoch of
trajectories (`_train_epoch`) with validation and checkpoints (`_end_epoch`).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from torch import nn

from repair.checkpoint import Checkpoint, git_commit, load_checkpoint, save_checkpoint
from repair.models import build_model
from repair.models.config import ModelConfig
from repair.source import parse, tokens
from repair.vocabulary import Vocabulary
from training import distributed
from training.config import TrainConfig
from training.corruption import CorruptionSpace, corrupt, corruption_space
from training.curves import plot_curves
from training.data import Splits, build_vocabulary, load_splits, stdlib_functions
from training.decode import decode
from training.evaluate import evaluate_cases, make_cases
from training.pretrain import pretrain
from training.programs import Program
from training.resume import as_tuples, load_state, save_state
from training.trajectory import (
    Environment,
    State,
    collate,
    next_states,
    run_model,
    trajectory_loss,
)

Progress = Callable[[str], None]


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def curriculum(epoch: int, epochs: int, levels: tuple[float, ...]) -> tuple[float, ...]:
    """Corruption levels open up one by one: the lowest first, all of them by two thirds in."""
    opened = 1 + int(len(levels) * epoch / max(1, math.ceil(epochs * 2 / 3)))
    return tuple(sorted(levels))[: max(1, min(len(levels), opened))]


def model_share(epoch: int, epochs: int, warmup: float, maximum: float) -> float:
    """Scheduled sampling: 0 during the warm-up share of epochs, then a linear ramp to `maximum`."""
    start = warmup * epochs
    if epoch < start:
        return 0.0
    span = max(1.0, epochs - 1 - start)
    return min(maximum, maximum * (epoch - start + 1) / span)


@dataclass
class _Run:
    """What one process of a run sets up once: device, data, vocabulary, model, optimiser."""

    config: TrainConfig
    out_dir: Path
    rank: int
    world: int
    device: torch.device
    rng: random.Random
    say: Progress
    splits: Splits
    vocabulary: Vocabulary
    model_config: ModelConfig
    model: nn.Module
    ddp_model: nn.Module
    optimizer: torch.optim.Optimizer
    resumed: dict | None  # the trainer state to go on from (--resume), else None
    start_checkpoint: Checkpoint | None  # the model to start from (config.init), else None

    @property
    def state_path(self) -> Path:
        return self.out_dir / f"trainer.{self.rank}.pt"


@dataclass
class _Ledger:
    """What changes epoch after epoch and is saved with the trainer state."""

    history: list[dict] = field(default_factory=list)
    best_score: float = -1.0
    best_epoch: int = -1
    start_one_shot: float | None = None  # the starting checkpoint's one-shot (early stop rule)
    first_epoch: int = 0
    graphs_seen: int = 0  # training steps only (tests included), not validation
    train_seconds: float = 0.0


@dataclass
class _Data:
    programs: list[Program]  # training programs, then validation programs
    train_ids: list[int]  # this process's shard, shuffled in place epoch after epoch
    validation_cases: list
    originals: list[tuple[str, ...]]  # each program's token texts
    spaces: dict[int, CorruptionSpace] = field(default_factory=dict)  # computed once per program


def train(config: TrainConfig, out_dir: str | Path, progress: Progress = print) -> dict:
    """Train one experiment; returns the summary written to `out_dir/summary.json`."""
    if config.real_data:  # the real-code recipe has a loop of its own (training/realtrain.py)
        from training.realtrain import train_real

        return train_real(config, Path(out_dir), progress)
    run = _set_up(config, Path(out_dir), progress)
    programs = [*run.splits.train, *run.splits.validation]
    environment = Environment(
        programs,
        run.vocabulary,
        config.signal,
        workers=config.workers,
        timeout=config.test_timeout,
        lanes=config.lanes,
    )
    try:
        data = _data(run, programs)
        ledger = _begin(run, environment, data)
        trainer_state = dict(
            vocabulary=run.vocabulary.to_list(),
            config=config.to_dict(),
            start_one_shot=ledger.start_one_shot,
            train_ids=data.train_ids,  # the same list: saved in the order the epochs left it
        )
        if run.resumed is None:  # after pre-training: a resumed run never repeats it
            run.out_dir.mkdir(parents=True, exist_ok=True)
            save_state(
                run.state_path, run.model, run.optimizer, run.rng, trainer_state, 0, [], -1.0, -1
            )
        began = time.time()
        for epoch in range(ledger.first_epoch, config.epochs):
            record = _train_epoch(run, environment, data, epoch, ledger)
            validation = _end_epoch(run, environment, data, epoch, ledger, record, began)
            save_state(
                run.state_path,
                run.model,
                run.optimizer,
                run.rng,
                trainer_state,
                epoch + 1,
                ledger.history,
                ledger.best_score,
                ledger.best_epoch,
            )
            stop = _should_stop(
                config, validation, ledger.start_one_shot, epoch + 1 - ledger.best_epoch
            )
            if config.max_minutes and time.time() - began > config.max_minutes * 60:
                run.say(
                    f"time budget of {config.max_minutes:g} minutes reached after epoch {epoch + 1}"
                )
                stop = True
            if distributed.agree(stop, run.device):
                run.say(f"early stop after epoch {epoch + 1}")
                break
    finally:  # Ctrl-C or an error: no worker process outlives the run
        environment.close()
    return _finish(run, ledger)


def _set_up(config: TrainConfig, out_dir: Path, progress: Progress) -> _Run:
    rank, world = distributed.setup()
    device = resolve_device(config.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", distributed.local_rank())
    torch.manual_seed(config.seed + rank)
    rng = random.Random(config.seed * 1000 + rank)
    say = progress if rank == 0 else (lambda message: None)
    splits = load_splits(config)
    resumed = load_state(out_dir / f"trainer.{rank}.pt", config) if config.resume else None
    start_checkpoint = load_checkpoint(config.init, device) if config.init else None
    if resumed is not None:
        vocabulary = Vocabulary(resumed["vocabulary"])
    elif start_checkpoint is not None:
        vocabulary = start_checkpoint.vocabulary
    else:
        corpus = [p.source for p in splits.train]
        if config.pretrain_stdlib_functions:
            corpus += stdlib_functions(config.pretrain_stdlib_functions, seed=config.seed)
        vocabulary = build_vocabulary(corpus, config.vocab_size)
    # a run started from a checkpoint trains that checkpoint's model: its checkpoints keep its config
    model_config = (
        start_checkpoint.config if start_checkpoint else config.model_config(len(vocabulary))
    )
    model = start_checkpoint.model if start_checkpoint else build_model(model_config)
    if resumed is not None:
        model.load_state_dict(resumed["model"])
    model.to(device).train()
    say(
        f"{config.experiment}: {splits.summary['train_programs']} training / "
        f"{splits.summary['validation_programs']} validation programs, vocabulary {len(vocabulary)}, "
        f"{sum(p.numel() for p in model.parameters()):,} parameters, device {device}, world {world}"
    )
    ddp_model = distributed.wrap(model, device)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    if resumed is not None:
        optimizer.load_state_dict(resumed["optimizer"])
        rng.setstate(as_tuples(resumed["rng"]))
        torch.set_rng_state(resumed["torch_rng"])
    return _Run(
        config,
        out_dir,
        rank,
        world,
        device,
        rng,
        say,
        splits,
        vocabulary,
        model_config,
        model,
        ddp_model,
        optimizer,
        resumed,
        start_checkpoint,
    )


def _data(run: _Run, programs: list[Program]) -> _Data:
    config, train_count = run.config, len(run.splits.train)
    train_ids = distributed.shard(list(range(train_count)), run.rank, run.world)
    validation_ids = list(range(train_count, len(programs)))
    cases = make_cases(
        [programs[i] for i in validation_ids],
        config.levels,
        config.val_corruptions,
        seed=config.seed,
    )
    cases = [replace(c, program=c.program + train_count) for c in cases]
    return _Data(programs, train_ids, cases, [_token_texts(p) for p in programs])


def _begin(run: _Run, environment: Environment, data: _Data) -> _Ledger:
    """The ledger of a resumed run, or of a new one (after pre-training, if configured)."""
    config, metrics_path = run.config, run.out_dir / "metrics.jsonl"
    resumed = run.resumed
    if resumed is not None:
        ledger = _Ledger(
            history=resumed["history"],
            best_score=resumed["best_score"],
            best_epoch=resumed["best_epoch"],
            start_one_shot=resumed["start_one_shot"],
            first_epoch=resumed["epoch"],
        )
        if run.rank == 0:  # epochs logged after the saved state are run again
            metrics_path.write_text("".join(json.dumps(r) + "\n" for r in ledger.history))
        data.train_ids[:] = resumed["train_ids"]
        run.say(
            f"resuming after epoch {ledger.first_epoch} (best so far: epoch {ledger.best_epoch})"
        )
        return ledger
    ledger = _Ledger()
    if run.rank == 0:
        run.out_dir.mkdir(parents=True, exist_ok=True)
        metrics_path.write_text("")
    if config.pretrain_epochs and config.pretrain_stdlib_functions:
        pretrain(
            run.ddp_model,
            run.model,
            run.optimizer,
            environment,
            config,
            run.device,
            run.say,
            run.rng,
        )
    if run.start_checkpoint is not None:
        level = min(config.levels)
        validation = _validate(run.model, environment, data.validation_cases, config, run.device)
        ledger.start_one_shot = validation[level]["one_shot"]
        run.say(f"starting checkpoint: one-shot@{level:.0%} = {ledger.start_one_shot:.1%}")
    return ledger


def _train_epoch(
    run: _Run, environment: Environment, data: _Data, epoch: int, ledger: _Ledger
) -> dict:
    """One epoch of trajectories; returns the start of the epoch's metrics record."""
    config, rng = run.config, run.rng
    run.model.train()
    levels = curriculum(epoch, config.epochs, config.levels)
    share = model_share(epoch, config.epochs, config.sampling_warmup, config.sampling_max)
    rng.shuffle(data.train_ids)
    losses, epoch_start = [], time.time()
    batches = [
        data.train_ids[start : start + config.batch_size]
        for start in range(0, len(data.train_ids), config.batch_size)
    ]
    # Several batches' trajectories are in flight at once (`lanes`), taking turns: while the
    # model steps on one, the environment runs the tests and builds the graphs of the others.
    lanes: list[tuple[list[State], int, Future]] = []
    started = 0
    while lanes or started < len(batches):
        while len(lanes) < max(1, config.lanes) and started < len(batches):
            states = [
                State(i, _corrupt(data, i, rng.choice(levels), rng), data.originals[i])
                for i in batches[started]
            ]
            lanes.append((states, 0, environment.observe_async(states)))
            started += 1
        # the oldest lane whose observations are ready (with one lane: strictly in order)
        wait([lane[2] for lane in lanes], return_when=FIRST_COMPLETED)
        states, step, pending = lanes.pop(next(i for i, lane in enumerate(lanes) if lane[2].done()))
        observations = pending.result()
        batch = collate(observations, run.device)
        use_feedback = step > 0 or config.feedback_at_first_step
        output = run_model(run.ddp_model, observations, batch, use_feedback=use_feedback)
        loss, _ = trajectory_loss(output, batch, config.test_weight)
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(run.model.parameters(), config.grad_clip)
        run.optimizer.step()
        losses.append(loss.detach())
        ledger.graphs_seen += len(states) * run.world
        if step + 1 < config.trajectory_steps:
            decoded = decode(output, batch, [o.options for o in observations])
            states = next_states(states, observations, decoded, share, rng)
            lanes.append((states, step + 1, environment.observe_async(states)))
    values = [float(value) for value in losses]
    ledger.train_seconds += time.time() - epoch_start
    return {
        "epoch": epoch + 1,
        "loss": sum(values) / max(1, len(values)),
        "levels": list(levels),
        "model_share": share,
        "started": epoch_start,
    }


def _end_epoch(
    run: _Run, environment, data: _Data, epoch: int, ledger: _Ledger, record: dict, began: float
) -> dict:
    """Validate (rank 0), log the metrics, save last.pt and best.pt; returns the validation."""
    config = run.config
    validation = (
        _validate(run.model, environment, data.validation_cases, config, run.device)
        if run.rank == 0
        else {}
    )
    epoch_start = record.pop("started")
    record["seconds"] = time.time() - epoch_start
    record["graphs_per_second"] = ledger.graphs_seen / max(1e-9, ledger.train_seconds)
    record.update({f"val_one_shot@{lv:g}": row["one_shot"] for lv, row in validation.items()})
    if run.rank != 0:
        return validation
    score = sum(row["one_shot"] for row in validation.values()) / max(1, len(validation))
    record["val_mean"] = score
    ledger.history.append(record)
    with (run.out_dir / "metrics.jsonl").open("a") as handle:
        handle.write(json.dumps(record) + "\n")
    done = epoch + 1 - ledger.first_epoch
    remaining = (time.time() - began) / done * (config.epochs - epoch - 1)
    run.say(
        f"epoch {epoch + 1}/{config.epochs} loss {record['loss']:.3f} "
        + " ".join(f"val@{lv:.0%} {row['one_shot']:.1%}" for lv, row in validation.items())
        + f" share {record['model_share']:.2f} {record['graphs_per_second']:.0f} graphs/s,"
        f" ~{remaining:.0f}s left"
    )
    checkpoint = Checkpoint(
        model=run.model,
        config=run.model_config,
        vocabulary=run.vocabulary,
        train_config=config.to_dict(),
        data_summary=run.splits.summary,
        metrics={"epoch": epoch + 1, **{k: v for k, v in record.items() if k != "levels"}},
        commit=git_commit(),
    )
    save_checkpoint(run.out_dir / "last.pt", checkpoint)
    if score > ledger.best_score:
        ledger.best_score, ledger.best_epoch = score, epoch + 1
        save_checkpoint(run.out_dir / "best.pt", checkpoint)
    return validation


def _finish(run: _Run, ledger: _Ledger) -> dict:
    config = run.config
    summary = {
        "rank": run.rank,
        "experiment": config.experiment,
        "best_epoch": ledger.best_epoch,
        "best_val_mean": ledger.best_score,
        "start_one_shot": ledger.start_one_shot,  # the starting checkpoint's (Exp 2's stop rule)
        "epochs_run": len(ledger.history),
        "seconds": sum(record["seconds"] for record in ledger.history),  # resumed epochs too
        "graphs_per_second": ledger.graphs_seen / max(1e-9, ledger.train_seconds),
        "data": run.splits.summary,
        "config": config.to_dict(),
    }
    if run.rank == 0:
        (run.out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
        plot_curves(ledger.history, run.out_dir / "learning_curves.png", config.experiment)
    distributed.teardown()
    return summary


def _corrupt(data: _Data, program_id: int, level: float, rng) -> bytes:
    source = data.programs[program_id].source.encode()
    if program_id not in data.spaces:
        data.spaces[program_id] = corruption_space(source)
    return corrupt(source, level, rng, space=data.spaces[program_id]).source


def _token_texts(program: Program) -> tuple[str, ...]:
    source = program.source.encode()
    return tuple(t.text for t in tokens(source, parse(source)))


def _validate(model, environment, cases, config: TrainConfig, device) -> dict:
    return evaluate_cases(
        model,
        environment,
        cases,
        iterations=1,
        device=device,
        feedback_at_first_step=config.feedback_at_first_step,
    )


def _should_stop(config: TrainConfig, validation: dict, start_one_shot, since_best: int) -> bool:
    if not validation:
        return False
    if config.early_stop_drop >= 0 and start_one_shot is not None:
        low = validation[min(validation)]["one_shot"]
        if low < start_one_shot - config.early_stop_drop:
            return True
    return config.patience > 0 and since_best >= config.patience
