"""One-shot and iterative accuracy on corrupted programs, with trivial baselines.

One-shot accuracy: share of corrupted positions one forward pass restores exactly. Iterative: the
same after K rounds of predict → apply → run the tests → recompute signals → predict again.
"Iterative (safe)" keeps a round only if fewer tests fail than before (the repair loop's rule);
"iterative (raw)" keeps every round, as the log did. Cases are fixed by a seed, so every row is
measured on the same programs and corruptions.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from repair.source import apply_edits, candidates, parse, repair_targets, tokens
from training.corruption import Corruption, corrupt
from training.decode import decided_edits, decode
from training.programs import Program
from training.trajectory import Environment, State, collate, run_model


@dataclass(frozen=True)
class Case:
    program: int  # index into the environment's programs
    level: float
    corruption: Corruption
    original: tuple[str, ...]


def make_cases(
    programs: Sequence[Program], levels: Sequence[float], per_program: int, seed: int
) -> list[Case]:
    cases = []
    for level in levels:
        for index, program in enumerate(programs):
            source = program.source.encode()
            token_list = tokens(source, parse(source))
            original = tuple(t.text for t in token_list)
            for k in range(per_program):
                rng = random.Random(f"{seed}:{program.name}:{level}:{k}")
                corruption = corrupt(source, level, rng, token_list)
                if corruption.positions:
                    cases.append(Case(index, level, corruption, original))
    return cases


def _texts(source: bytes) -> list[str]:
    return [t.text for t in tokens(source, parse(source))]


def _accuracy(sources: Sequence[bytes], cases: Sequence[Case]) -> tuple[int, int]:
    hits = total = 0
    for source, case in zip(sources, cases):
        texts = _texts(source)
        if len(texts) != len(case.original):
            total += len(case.corruption.positions)
            continue
        hits += sum(texts[i] == case.original[i] for i in case.corruption.positions)
        total += len(case.corruption.positions)
    return hits, total


@torch.no_grad()
def predict_round(
    model,
    environment: Environment,
    states: Sequence[State],
    *,
    device,
    use_feedback: bool,
    batch_size: int = 64,
):
    """One round: the model's decided edits applied to every state; returns (new sources, failing)."""
    new_sources: list[bytes] = []
    failing: list[int] = []
    chunks = [states[start : start + batch_size] for start in range(0, len(states), batch_size)]
    # every chunk is queued at once: its tests and graphs are ready while the model runs another
    pending = [environment.observe_async(chunk) for chunk in chunks]
    for chunk, future in zip(chunks, pending):
        observations = future.result()
        batch = collate(observations, device)
        output = run_model(model, observations, batch, use_feedback=use_feedback)
        decoded = decode(output, batch, [o.options for o in observations])
        for state, observation, choices in zip(chunk, observations, decoded):
            edits = decided_edits(choices, observation.token_list)
            new_sources.append(apply_edits(state.source, edits))
            failing.append(observation.failing)
    return new_sources, failing


def failing_counts(
    environment: Environment, sources: Sequence[bytes], cases: Sequence[Case]
) -> list[int]:
    results = environment.run_tests(
        [
            (s.decode("utf-8", "replace"), environment.programs[c.program].tests)
            for s, c in zip(sources, cases)
        ]
    )
    return [r.failed_count for r in results]


def evaluate_cases(
    model,
    environment: Environment,
    cases: Sequence[Case],
    *,
    iterations: int,
    device,
    feedback_at_first_step: bool = True,
) -> dict[float, dict[str, float]]:
    """Per level: one-shot, iterative (safe) and iterative (raw) accuracy, and tests fixed."""
    model.eval()
    table: dict[float, dict[str, float]] = {}
    for level in sorted({c.level for c in cases}):
        level_cases = [c for c in cases if c.level == level]
        states = [State(c.program, c.corruption.source, None, 0) for c in level_cases]
        one_shot, failing_before = predict_round(
            model, environment, states, device=device, use_feedback=feedback_at_first_step
        )
        row = {"cases": len(level_cases)}
        hits, total = _accuracy(one_shot, level_cases)
        row["one_shot"] = hits / max(1, total)
        row["positions"] = total
        failing_one_shot = failing_counts(environment, one_shot, level_cases)
        for mode in ("safe", "raw"):
            current, failing = list(one_shot), list(failing_one_shot)
            for iteration in range(1, iterations):
                active = [i for i, f in enumerate(failing) if f > 0]
                if not active:
                    break
                round_states = [
                    State(level_cases[i].program, current[i], None, iteration) for i in active
                ]
                proposed, _ = predict_round(
                    model, environment, round_states, device=device, use_feedback=True
                )
                new_failing = failing_counts(
                    environment, proposed, [level_cases[i] for i in active]
                )
                for i, source, fails in zip(active, proposed, new_failing):
                    if mode == "raw" or fails < failing[i]:
                        current[i], failing[i] = source, fails
            hits, _ = _accuracy(current, level_cases)
            row[f"iterative_{mode}"] = hits / max(1, total)
            row[f"programs_passing_{mode}"] = sum(f == 0 for f in failing) / max(1, len(failing))
        row["programs_passing_one_shot"] = sum(f == 0 for f in failing_one_shot) / max(
            1, len(level_cases)
        )
        row["programs_failing_before"] = sum(f > 0 for f in failing_before) / max(
            1, len(level_cases)
        )
        table[level] = row
    return table


def frequency_baseline(
    train_programs: Sequence[Program], cases: Sequence[Case]
) -> dict[float, float]:
    """Trivial baseline: at each corrupted position (given, as an oracle would), write the
    same-class candidate most frequent in the training programs. "Leave it unchanged" scores 0."""
    counts: Counter[str] = Counter()
    for program in train_programs:
        source = program.source.encode()
        counts.update(t.text for t in repair_targets(tokens(source, parse(source))))
    result: dict[float, float] = {}
    for level in sorted({c.level for c in cases}):
        hits = total = 0
        for case in (c for c in cases if c.level == level):
            token_list = tokens(case.corruption.source, parse(case.corruption.source))
            for position in case.corruption.positions:
                token = token_list[position]
                options = candidates(token, token_list)
                guess = max(options, key=lambda text: counts[text]) if options else token.text
                hits += guess == case.original[position]
                total += 1
        result[level] = hits / max(1, total)
    return result


def format_table(
    table: dict[float, dict[str, float]], baseline: dict[float, float] | None, split: str
) -> str:
    lines = [
        f"split: {split}",
        "| Corruption | Cases | One-shot | Iterative (safe) | Change | Iterative (raw) | Change | Programs passing (safe) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for level, row in table.items():
        lines.append(
            f"| {level:.0%} | {row['cases']} | {row['one_shot']:.1%} | {row['iterative_safe']:.1%} | "
            f"{row['iterative_safe'] - row['one_shot']:+.1%} | {row['iterative_raw']:.1%} | "
            f"{row['iterative_raw'] - row['one_shot']:+.1%} | {row['programs_passing_safe']:.1%} |"
        )
    if baseline:
        for level, value in baseline.items():
            lines.append(
                f"| {level:.0%} baseline: most frequent same-class token at the corrupted position | | "
                f"{value:.1%} | | | | | |"
            )
        lines.append("| any level, baseline: leave the program unchanged | | 0.0% | 0.0% | | | | |")
    return "\n".join(lines)


def evaluate_checkpoint(
    path: str,
    *,
    levels: Sequence[float] = (0.2, 0.5, 0.75),
    iterations: int = 5,
    per_program: int = 3,
    seed: int = 0,
    device: str = "auto",
    workers: int = 0,
) -> dict:
    """The log's table for one checkpoint, on the held-out HumanEval split (never trained on)."""
    from repair.checkpoint import load_checkpoint
    from training.config import TrainConfig
    from training.data import load_splits
    from training.train import resolve_device

    torch_device = resolve_device(device)
    checkpoint = load_checkpoint(path, torch_device)
    train_config = (
        TrainConfig.from_dict(checkpoint.train_config) if checkpoint.train_config else TrainConfig()
    )
    splits = load_splits(train_config)
    cases = make_cases(splits.held_out, levels, per_program, seed)
    environment = Environment(
        splits.held_out,
        checkpoint.vocabulary,
        train_config.signal,
        workers=workers,
        timeout=train_config.test_timeout,
        lanes=3,
    )
    try:
        table = evaluate_cases(
            checkpoint.model,
            environment,
            cases,
            iterations=iterations,
            device=torch_device,
            feedback_at_first_step=train_config.feedback_at_first_step,
        )
    finally:
        environment.close()
    baseline = frequency_baseline(splits.train, cases)
    split = f"held-out HumanEval ({len(splits.held_out)} programs, {per_program} corruptions each, seed {seed})"
    return {
        "checkpoint": str(path),
        "experiment": train_config.experiment,
        "split": split,
        "iterations": iterations,
        "table": {f"{level:g}": row for level, row in table.items()},
        "baseline_most_frequent": {f"{level:g}": value for level, value in baseline.items()},
        "text": format_table(table, baseline, split),
    }
