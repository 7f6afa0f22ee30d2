"""The real-code recipe (`repair train --experiment realcode`, on when `TrainConfig.real_data`
names a folder from `python -m training.realdata`):

1. pre-training: real functions corrupted from the real fix distribution, with a stand-in
   test signal (`pretrain_minutes` of training time);
2. fine-tuning: the train split's real fixes, `finetune_mix` of each batch, the rest corrupted
   functions as before (`finetune_minutes`);
3. Exp 4's trajectories with real test runs from the fine-tuned model (`trajectory_epochs`, the
   log's loop in `training.train`), so the test signal means what it means at repair time.

Stages are budgeted in minutes of training time, not steps, because the training machine's
speed is not known in advance; `max_minutes` caps one call, and `--resume` goes on from the
last saved state (saved every `save_minutes`: the model, the optimiser with its moments in
bfloat16, the step and the stage's seconds, split in parts under 15 MB so they travel back from a
machine that returns files of at most 16 MiB). Each stage ends with a float16 checkpoint
(`pretrained.pt`, `finetuned.pt`, `realcode.pt` after the trajectories): what `repair fix
--model` and `training.evaluate_real` take.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from repair.checkpoint import FORMAT, git_commit, load_checkpoint
from repair.errors import BadInput
from repair.models import build_model
from training.config import TrainConfig
from training.evaluate_real import ModelViews, make_cases, score
from training.realbatches import BatchPool, BatchTask
from training.realcode import RealCodePolicy, file_functions
from training.realcorrupt import corrupted_example
from training.realdata import RealData
from training.trajectory import trajectory_loss

STAGES = ("pretrain", "finetune")
VALIDATION_FUNCTIONS = 200  # the last functions of the data, never trained on
VALIDATION_ALIGNED = 200  # held-out repositories' aligned fixes whose localization is followed
PART_BYTES = 15_000_000
# settings a resumed run may change: the machine's, the call's, and the stages' budgets
RESUMABLE = frozenset(
    {
        "device",
        "workers",
        "lanes",
        "max_minutes",
        "resume",
        "save_minutes",
        "pretrain_minutes",
        "finetune_minutes",
        "trajectory_epochs",
        "trajectory_lr",
        "epochs",
        "real_data",
        "test_timeout",
    }
)


@dataclass
class Ledger:
    stage: str = STAGES[0]
    step: int = 0  # optimiser steps over all stages
    stage_steps: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    history: list[dict] = field(default_factory=list)
    best: float = -1.0


def learning_rate(config: TrainConfig, ledger: Ledger, budget: float) -> float:
    """Linear warm-up over `warmup_steps` of the stage, then cosine decay to a tenth by the end
    of its time budget."""
    base = config.lr if ledger.stage == "pretrain" else config.finetune_lr
    warm = min(1.0, (ledger.stage_steps[ledger.stage] + 1) / max(1, config.warmup_steps))
    progress = min(1.0, ledger.seconds[ledger.stage] / max(1e-9, budget))
    return base * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def save_parts(payload: dict, folder: Path, name: str = "trainer") -> None:
    """torch.save `payload` as `name.part0`, `name.part1`, ... (each under PART_BYTES), written
    beside and then moved into place, stale parts removed."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    chunks = [data[i : i + PART_BYTES] for i in range(0, len(data), PART_BYTES)] or [b""]
    for index, chunk in enumerate(chunks):
        (folder / f".{name}.part{index}.tmp").write_bytes(chunk)
    for index in range(len(chunks)):
        (folder / f".{name}.part{index}.tmp").replace(folder / f"{name}.part{index}")
    index = len(chunks)
    while (folder / f"{name}.part{index}").exists():
        (folder / f"{name}.part{index}").unlink()
        index += 1


def load_parts(folder: Path, name: str = "trainer") -> dict | None:
    parts = sorted(folder.glob(f"{name}.part*"), key=lambda p: int(p.suffix[len(".part") :]))
    if not parts:
        return None
    data = b"".join(part.read_bytes() for part in parts)
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def save_release(path: Path, model: nn.Module, config: TrainConfig, vocabulary, metrics) -> None:
    """A float16 `repair.checkpoint` (loads into float32 models), written atomically."""
    payload = {
        "format": FORMAT,
        "model_state": {
            k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()
            for k, v in model.state_dict().items()
        },
        "model_config": config.model_config(len(vocabulary)).to_dict(),
        "vocabulary": vocabulary.to_list(),
        "train_config": config.to_dict(),
        "data_summary": {},
        "metrics": metrics,
        "commit": git_commit(),
    }
    temporary = path.with_name(f".{path.name}.tmp")
    torch.save(payload, temporary)
    temporary.replace(path)


def _optimizer_state(optimizer: torch.optim.Optimizer) -> dict:
    """The optimiser's state dict with its moments as bfloat16 (half the bytes; the optimiser
    casts them back to the parameters' dtype on loading). A copy: the live state is untouched."""
    state = optimizer.state_dict()
    state["state"] = {
        index: {
            key: value.detach().to("cpu", torch.bfloat16)
            if torch.is_tensor(value) and value.is_floating_point() and value.dim() > 0
            else value
            for key, value in values.items()
        }
        for index, values in state["state"].items()
    }
    return state


def _check_resumable(saved: dict, config: TrainConfig, folder: Path) -> None:
    now = config.to_dict()
    changed = sorted(
        k for k in set(saved) | set(now) if k not in RESUMABLE and saved.get(k) != now.get(k)
    )
    if changed:
        raise BadInput(f"{folder}: cannot resume with different settings: {', '.join(changed)}")


def held_out_functions(data: RealData) -> int:
    """How many of the data's last functions validate (never trained on)."""
    return min(VALIDATION_FUNCTIONS, len(data.functions) // 5)


def validation_cases(data: RealData, seed: int = 7) -> dict[str, list]:
    """Fixed validation: held-out corrupted functions and held-out repositories' fixes."""
    functions = []
    for index in range(len(data.functions) - held_out_functions(data), len(data.functions)):
        names_id, text = data.functions[index]
        rng = random.Random(f"{seed}:{index}")
        example = corrupted_example(text, data.names[names_id], data.distribution, rng)
        if example is not None:
            functions.append(example)
    single = lambda examples: [e for e in examples if e.expressible and len(e.edits) == 1]  # noqa: E731
    return {
        "functions": make_cases(single(functions)),
        "fixes": make_cases(single(data.validation_fixes)),
        "fixes_aligned": make_cases(data.validation_fixes[:VALIDATION_ALIGNED]),
    }


def validate(model, vocabulary, cases: dict[str, list], device) -> dict[str, float]:
    model.eval()
    views = ModelViews([_Member(model, vocabulary)], batch_size=32, device=device)
    result = {}
    for name, group in cases.items():
        if group:
            measured = score(group, views.views(group))
            key = "loc" if name == "fixes_aligned" else "joint"
            result[f"val_{name}_{key}"] = measured["localization" if key == "loc" else "joint"]
    model.train()
    return result


@dataclass
class _Member:
    model: nn.Module
    vocabulary: object


def _tasks(
    config: TrainConfig, data: RealData, ledger: Ledger, trainable: int, small: int = 0
) -> Iterator[BatchTask]:
    """The batches from the ledger's step on: functions in a per-epoch permutation, fixes drawn
    with replacement in the fine-tuning stage, `config.small_share` of the functions' places
    given to the `small` programs drawn with replacement; the same step always gives the same
    batch."""
    step = ledger.step
    fixes = len(data.fixes)
    while True:
        fix_count = (
            round(config.batch_size * config.finetune_mix) if ledger.stage == "finetune" else 0
        )
        fix_count = fix_count if fixes else 0
        count = config.batch_size - fix_count
        small_count = round(count * config.small_share) if small else 0
        count -= small_count
        start = step * config.batch_size
        epoch, offset = divmod(start, trainable)
        order = list(range(trainable))
        random.Random(f"{config.seed}:{epoch}").shuffle(order)
        picked = tuple((order + order)[offset : offset + count])
        rng = random.Random(f"{config.seed}:fix:{step}")
        chosen = tuple(rng.randrange(fixes) for _ in range(fix_count))
        rng = random.Random(f"{config.seed}:small:{step}")
        programs = tuple(rng.randrange(small) for _ in range(small_count))
        seed = config.seed * 1_000_003 + step
        yield BatchTask(picked, chosen, seed, config.structural_share, programs)
        step += 1


def small_programs(config: TrainConfig) -> list[tuple[str, list[str]]]:
    """Exp 4's training programs with their module-level names, when `config.small_share`."""
    if not config.small_share:
        return []
    from training.data import load_splits

    programs = load_splits(config).train
    policy = RealCodePolicy()
    found = []
    for program in programs:
        functions = file_functions(program.source.encode(), program.name, policy)
        found.append((program.source, functions.names if functions is not None else []))
    return found


def _device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def train_real(config: TrainConfig, out_dir: Path, progress: Callable[[str], None] = print) -> dict:
    """Run (or resume) the recipe into `out_dir`; returns the summary written to summary.json."""
    began = time.time()
    out_dir.mkdir(parents=True, exist_ok=True)
    data = RealData.load(Path(config.real_data))
    saved = load_parts(out_dir) if config.resume else None
    if config.resume and saved is None:
        raise BadInput(f"{out_dir}: nothing to resume (no trainer.part0 in this folder)")
    if saved is not None:
        _check_resumable(saved["config"], config, out_dir)
    ledger = Ledger(**saved["ledger"]) if saved is not None else Ledger()
    # the workers fork before the model touches the GPU: a forked CUDA context is unusable
    small = small_programs(config)
    ahead = 2 * max(1, config.lanes) + 2
    with BatchPool(data, data.fixes, config.workers, ahead, small) as pool:
        device = _device(config.device)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.manual_seed(config.seed)
        model = build_model(config.model_config(len(data.vocabulary)))
        if saved is not None:
            model.load_state_dict(saved["model"])
        elif config.init:
            model.load_state_dict(load_checkpoint(config.init).model.state_dict())
        model.to(device).train()
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        if saved is not None:
            optimizer.load_state_dict(saved["optimizer"])
        progress(
            f"realcode: {len(data.functions):,} functions, {len(data.fixes):,} fixes "
            f"({len(data.validation_fixes):,} validation), vocabulary {len(data.vocabulary):,}, "
            f"{sum(p.numel() for p in model.parameters()):,} parameters, device {device}, "
            f"{pool.workers} workers; "
            + (f"resuming at step {ledger.step} ({ledger.stage})" if saved else "starting")
        )
        run = _Run(
            config,
            model,
            optimizer,
            pool,
            data,
            ledger,
            validation_cases(data),
            out_dir,
            device,
            began,
            progress,
        )
        stopped = _run_stages(run)
    summary = {
        "stopped": stopped,
        "step": ledger.step,
        "stage": ledger.stage,
        "seconds": ledger.seconds,
        "last": ledger.history[-1] if ledger.history else {},
    }
    if not stopped and config.trajectory_epochs:
        summary["trajectories"] = _trajectories(config, out_dir, began, progress)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    return {"rank": 0, "best_epoch": ledger.step, **summary}


@dataclass
class _Run:
    config: TrainConfig
    model: nn.Module
    optimizer: torch.optim.Optimizer
    pool: BatchPool
    data: RealData
    ledger: Ledger
    cases: dict
    out_dir: Path
    device: torch.device
    began: float
    say: Callable[[str], None]


def _run_stages(run: _Run) -> bool:
    """Each stage from the ledger's on, until its budget is spent; True if the call's budget
    stopped it first. A finished stage leaves its float16 checkpoint."""
    config, ledger = run.config, run.ledger
    budgets = {"pretrain": config.pretrain_minutes * 60, "finetune": config.finetune_minutes * 60}
    for stage in STAGES[STAGES.index(ledger.stage) :]:
        ledger.stage = stage
        if ledger.seconds[stage] < budgets[stage] and _run_stage(run, budgets[stage]):
            return True
        record = ledger.history[-1] if ledger.history else {}
        name = "pretrained.pt" if stage == "pretrain" else "finetuned.pt"
        save_release(run.out_dir / name, run.model, config, run.data.vocabulary, dict(record))
        if stage != STAGES[-1]:
            ledger.stage = STAGES[STAGES.index(stage) + 1]
        _save_state(run)
    return False


def _run_stage(run: _Run, budget: float) -> bool:
    """Train in `ledger.stage` until its budget is spent (False) or the call's is (True)."""
    config, ledger, optimizer = run.config, run.ledger, run.optimizer
    trainable = len(run.data.functions) - held_out_functions(run.data)
    losses: list[torch.Tensor] = []
    graphs, trained, last_save, tick = 0, 0.0, time.time(), time.time()
    for batch in run.pool.batches(_tasks(config, run.data, ledger, trainable, run.pool.small)):
        batch = batch.to(run.device, non_blocking=True)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, ledger, budget)
        loss, _ = trajectory_loss(run.model(batch), batch, config.test_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(run.model.parameters(), config.grad_clip)
        optimizer.step()
        losses.append(loss.detach())
        graphs += batch.num_graphs
        now = time.time()
        ledger.seconds[ledger.stage] += now - tick
        trained += now - tick
        tick = now
        ledger.step += 1
        ledger.stage_steps[ledger.stage] += 1
        out_of_call = bool(config.max_minutes) and now - run.began > config.max_minutes * 60
        done = ledger.seconds[ledger.stage] >= budget
        if done or out_of_call or now - last_save > config.save_minutes * 60:
            record = {
                "stage": ledger.stage,
                "step": ledger.step,
                "loss": float(torch.stack(losses).mean()),
                "graphs_per_second": graphs / max(1e-9, trained),
                "lr": optimizer.param_groups[0]["lr"],
                "stage_seconds": round(ledger.seconds[ledger.stage], 1),
                **validate(run.model, run.data.vocabulary, run.cases, run.device),
            }
            _log(run, record)
            losses, graphs, trained, last_save = [], 0, 0.0, time.time()
            tick = time.time()  # validating and saving are not training time
            if out_of_call:
                run.say(
                    f"time budget of {config.max_minutes:g} minutes reached at step {ledger.step}"
                )
                return True
            if done:
                return False
    return False


def _log(run: _Run, record: dict) -> None:
    run.ledger.history.append(record)
    with (run.out_dir / "metrics.jsonl").open("a") as handle:
        handle.write(json.dumps(record) + "\n")
    run.say(
        " ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in record.items())
    )
    save_release(run.out_dir / "last.pt", run.model, run.config, run.data.vocabulary, record)
    validation = [value for key, value in record.items() if key.startswith("val_")]
    mean = sum(validation) / max(1, len(validation))
    if mean >= run.ledger.best:  # later wins ties: more training behind it
        run.ledger.best = mean
        save_release(run.out_dir / "best.pt", run.model, run.config, run.data.vocabulary, record)
    _save_state(run)


def _save_state(run: _Run) -> None:
    save_parts(
        {
            "model": {k: v.detach().cpu() for k, v in run.model.state_dict().items()},
            "optimizer": _optimizer_state(run.optimizer),
            "config": run.config.to_dict(),
            "ledger": dataclasses.asdict(run.ledger),
        },
        run.out_dir,
    )


def _trajectories(config: TrainConfig, out_dir: Path, began: float, progress) -> dict:
    """Exp 4's loop from the fine-tuned model, in `out_dir/trajectories`; then `realcode.pt`."""
    from training.train import train

    folder = out_dir / "trajectories"
    left = config.max_minutes - (time.time() - began) / 60 if config.max_minutes else 0.0
    if config.max_minutes and left <= 0.5:
        progress("no time left in this call for the trajectories: resume to run them")
        return {"stopped": True}
    resume = (folder / "trainer.0.pt").is_file()
    sub = dataclasses.replace(
        config,
        real_data="",
        epochs=config.trajectory_epochs,
        lr=config.trajectory_lr or config.lr,
        init=str(out_dir / "finetuned.pt"),
        resume=resume,
        max_minutes=max(0.0, left - 0.5) if config.max_minutes else 0.0,
    )
    summary = train(sub, folder, progress)
    checkpoint = load_checkpoint(folder / "last.pt")
    save_release(
        out_dir / "realcode.pt",
        checkpoint.model,
        config,
        checkpoint.vocabulary,
        {"stage": "trajectories", **checkpoint.metrics},
    )
    return {k: summary[k] for k in ("best_epoch", "epochs_run", "best_val_mean", "seconds")}
