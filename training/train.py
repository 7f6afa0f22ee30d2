"""`repair train`: trajectory training with real test execution, for one of the log's experiments.

Owns data batches, the curriculum, scheduled sampling, validation, early stopping, checkpoints,
the metrics log and learning curves. Runs on CPU, one GPU, or several under `torchrun` (DDP).
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn

from repair.checkpoint import Checkpoint, git_commit, load_checkpoint, save_checkpoint
from repair.errors import BadInput
from repair.models import build_model
from repair.source import parse, tokens
from repair.vocabulary import Vocabulary
from training import distributed
from training.config import TrainConfig
from training.corruption import CorruptionSpace, corrupt, corruption_space
from training.data import build_vocabulary, load_splits, stdlib_functions
from training.decode import decode
from training.evaluate import evaluate_cases, make_cases
from training.programs import Program
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


def train(
    config: TrainConfig,
    out_dir: str | Path,
    progress: Progress = print,
) -> dict:
    """Train one experiment; returns the summary written to `out_dir/summary.json`."""
    rank, world = distributed.setup()
    out_dir = Path(out_dir)
    device = resolve_device(config.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", distributed.local_rank())
    torch.manual_seed(config.seed + rank)
    rng = random.Random(config.seed * 1000 + rank)
    say = progress if rank == 0 else (lambda message: None)

    splits = load_splits(config)
    state_path = out_dir / f"trainer.{rank}.pt"
    resumed = _load_state(state_path, config) if config.resume else None
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
    model_config = config.model_config(len(vocabulary))
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
        rng.setstate(_tuples(resumed["rng"]))
        torch.set_rng_state(resumed["torch_rng"])

    programs = [*splits.train, *splits.validation]
    environment = Environment(
        programs,
        vocabulary,
        config.signal,
        workers=config.workers,
        timeout=config.test_timeout,
        lanes=config.lanes,
    )
    try:
        train_ids = distributed.shard(list(range(len(splits.train))), rank, world)
        validation_ids = list(range(len(splits.train), len(programs)))
        validation_cases = make_cases(
            [programs[i] for i in validation_ids],
            config.levels,
            config.val_corruptions,
            seed=config.seed,
        )
        validation_cases = [
            replace(c, program=c.program + len(splits.train)) for c in validation_cases
        ]
        originals = [_token_texts(p) for p in programs]
        spaces: dict[int, CorruptionSpace] = {}  # corruption spaces, computed once per program

        metrics_path = out_dir / "metrics.jsonl"
        history: list[dict] = []
        best_score, best_epoch, start_one_shot, first_epoch = -1.0, -1, None, 0
        if resumed is not None:
            history = resumed["history"]
            if rank == 0:  # epochs logged after the saved state are run again
                metrics_path.write_text("".join(json.dumps(r) + "\n" for r in history))
            best_score, best_epoch = resumed["best_score"], resumed["best_epoch"]
            start_one_shot, first_epoch = resumed["start_one_shot"], resumed["epoch"]
            train_ids[:] = resumed["train_ids"]  # shuffled in place epoch after epoch
            say(f"resuming after epoch {first_epoch} (best so far: epoch {best_epoch})")
        else:
            if rank == 0:
                out_dir.mkdir(parents=True, exist_ok=True)
                metrics_path.write_text("")
            if config.pretrain_epochs and config.pretrain_stdlib_functions:
                _pretrain(ddp_model, model, optimizer, environment, config, device, say, rng)
            if start_checkpoint is not None:
                start_one_shot = _validate(model, environment, validation_cases, config, device)[
                    min(config.levels)
                ]["one_shot"]
                say(
                    f"starting checkpoint: one-shot@{min(config.levels):.0%} = {start_one_shot:.1%}"
                )
        trainer_state = dict(
            vocabulary=vocabulary.to_list(),
            config=config.to_dict(),
            start_one_shot=start_one_shot,
            train_ids=train_ids,  # the same list: saved in the order the epochs left it
        )
        if resumed is None:  # after pre-training: a resumed run never repeats it
            out_dir.mkdir(parents=True, exist_ok=True)
            _save_state(state_path, model, optimizer, rng, trainer_state, 0, history, -1.0, -1)
        began = time.time()
        graphs_seen, train_seconds = 0, 0.0  # training steps only (tests included), not validation
        for epoch in range(first_epoch, config.epochs):
            model.train()
            levels = curriculum(epoch, config.epochs, config.levels)
            share = model_share(epoch, config.epochs, config.sampling_warmup, config.sampling_max)
            rng.shuffle(train_ids)
            losses, epoch_start = [], time.time()
            batches = [
                train_ids[start : start + config.batch_size]
                for start in range(0, len(train_ids), config.batch_size)
            ]
            # Several batches' trajectories are in flight at once (`lanes`), taking turns: while the
            # model steps on one, the environment runs the tests and builds the graphs of the others.
            lanes: list[tuple[list[State], int, Future]] = []
            started = 0
            while lanes or started < len(batches):
                while len(lanes) < max(1, config.lanes) and started < len(batches):
                    states = [
                        State(
                            i, _corrupt(programs, spaces, i, rng.choice(levels), rng), originals[i]
                        )
                        for i in batches[started]
                    ]
                    lanes.append((states, 0, environment.observe_async(states)))
                    started += 1
                # the oldest lane whose observations are ready (with one lane: strictly in order)
                wait([lane[2] for lane in lanes], return_when=FIRST_COMPLETED)
                states, step, pending = lanes.pop(
                    next(i for i, lane in enumerate(lanes) if lane[2].done())
                )
                observations = pending.result()
                batch = collate(observations, device)
                use_feedback = step > 0 or config.feedback_at_first_step
                output = run_model(ddp_model, observations, batch, use_feedback=use_feedback)
                loss, stats = trajectory_loss(output, batch, config.test_weight)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                losses.append(loss.detach())
                graphs_seen += len(states) * world
                if step + 1 < config.trajectory_steps:
                    decoded = decode(output, batch, [o.options for o in observations])
                    states = next_states(states, observations, decoded, share, rng)
                    lanes.append((states, step + 1, environment.observe_async(states)))
            losses = [float(value) for value in losses]
            train_seconds += time.time() - epoch_start
            validation = (
                _validate(model, environment, validation_cases, config, device) if rank == 0 else {}
            )
            record = {
                "epoch": epoch + 1,
                "loss": sum(losses) / max(1, len(losses)),
                "levels": list(levels),
                "model_share": share,
                "seconds": time.time() - epoch_start,
                "graphs_per_second": graphs_seen / max(1e-9, train_seconds),
                **{f"val_one_shot@{level:g}": row["one_shot"] for level, row in validation.items()},
            }
            if rank == 0:
                score = sum(row["one_shot"] for row in validation.values()) / max(
                    1, len(validation)
                )
                record["val_mean"] = score
                history.append(record)
                with metrics_path.open("a") as handle:
                    handle.write(json.dumps(record) + "\n")
                done = epoch + 1 - first_epoch
                remaining = (time.time() - began) / done * (config.epochs - epoch - 1)
                say(
                    f"epoch {epoch + 1}/{config.epochs} loss {record['loss']:.3f} "
                    + " ".join(
                        f"val@{lv:.0%} {row['one_shot']:.1%}" for lv, row in validation.items()
                    )
                    + f" share {share:.2f} {record['graphs_per_second']:.0f} graphs/s, ~{remaining:.0f}s left"
                )
                checkpoint = Checkpoint(
                    model=model,
                    config=model_config,
                    vocabulary=vocabulary,
                    train_config=config.to_dict(),
                    data_summary=splits.summary,
                    metrics={
                        "epoch": epoch + 1,
                        **{k: v for k, v in record.items() if k != "levels"},
                    },
                    commit=git_commit(),
                )
                save_checkpoint(out_dir / "last.pt", checkpoint)
                if score > best_score:
                    best_score, best_epoch = score, epoch + 1
                    save_checkpoint(out_dir / "best.pt", checkpoint)
            _save_state(
                state_path,
                model,
                optimizer,
                rng,
                trainer_state,
                epoch + 1,
                history,
                best_score,
                best_epoch,
            )
            stop = _should_stop(config, validation, start_one_shot, epoch + 1 - best_epoch)
            if config.max_minutes and time.time() - began > config.max_minutes * 60:
                say(
                    f"time budget of {config.max_minutes:g} minutes reached after epoch {epoch + 1}"
                )
                stop = True
            if distributed.agree(stop, device):
                say(f"early stop after epoch {epoch + 1}")
                break
    finally:  # Ctrl-C or an error: no worker process outlives the run
        environment.close()
    summary = {
        "rank": rank,
        "experiment": config.experiment,
        "best_epoch": best_epoch,
        "best_val_mean": best_score,
        "epochs_run": len(history),
        "seconds": sum(record["seconds"] for record in history),  # every epoch, resumed ones too
        "graphs_per_second": graphs_seen / max(1e-9, train_seconds),
        "data": splits.summary,
        "config": config.to_dict(),
    }
    if rank == 0:
        (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
        _plot(history, out_dir / "learning_curves.png", config.experiment)
    distributed.teardown()
    return summary


def _corrupt(programs, spaces: dict, program_id: int, level: float, rng) -> bytes:
    source = programs[program_id].source.encode()
    if program_id not in spaces:
        spaces[program_id] = corruption_space(source)
    return corrupt(source, level, rng, space=spaces[program_id]).source


def _save_state(path: Path, model, optimizer, rng, fixed: dict, epoch, history, best, best_epoch):
    """What `--resume` needs to go on after `epoch` as if the run had never stopped."""
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


def _load_state(path: Path, config: TrainConfig) -> dict:
    if not path.is_file():
        raise BadInput(f"{path}: nothing to resume (no trainer state in this folder)")
    state = torch.load(path, map_location="cpu", weights_only=True)
    saved = state["config"]
    # settings of the machine and the session may change; what shapes the run may not
    free = {"device", "workers", "lanes", "max_minutes", "resume", "epochs", "test_timeout"}
    changed = sorted(k for k, v in config.to_dict().items() if k not in free and saved.get(k) != v)
    if changed:
        raise BadInput(f"{path}: cannot resume with different settings: {', '.join(changed)}")
    return state


def _tuples(value):
    """random.setstate wants tuples where a saved state may hold lists."""
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


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


def _pretrain(ddp_model, model, optimizer, environment, config, device, say, rng) -> None:
    """Token recovery on standard-library functions: corrupted code, no tests, no signal."""

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
        # corruption and graphs are made in the workers, `lanes` batches ahead of the model
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
        say(
            f"pre-training epoch {epoch + 1}/{config.pretrain_epochs} loss {sum(losses) / max(1, len(losses)):.3f}"
        )


def _plot(history: list[dict], path: Path, title: str) -> None:
    if not history:
        return
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # plotting is optional: the metrics log has the same numbers
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = [r["epoch"] for r in history]
    left.plot(epochs, [r["loss"] for r in history])
    left.set_xlabel("epoch")
    left.set_ylabel("training loss")
    for key in sorted(k for k in history[0] if k.startswith("val_one_shot@")):
        right.plot(epochs, [r.get(key, float("nan")) for r in history], label=key.split("@")[1])
    right.set_xlabel("epoch")
    right.set_ylabel("validation one-shot accuracy")
    right.legend(title="corruption")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
