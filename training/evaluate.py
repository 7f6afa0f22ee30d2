"""One-shot and iterative accuracy on corrupted programs, with trivial baselines.

One-shot accuracy: share of corrupted positions one forward pass restores exactly. Iterative: the
same after K rounds of predict → apply → run the tests → recompute signals → predict again.
"Iterative (safe)" keeps a round only if fewer tests fail than before (the repair loop's rule);
"iterative (raw)" keeps every round, as the log did. Cases are fixed by a seed, so every row is
measured on the same programs and corruptions.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from repair.source import apply_edits, candidates, parse, repair_targets, tokens
from training.corruption import Corruption, corrupt
from training.programs import Program
from training.rounds import RAW, SAFE, Predictor, RoundPolicy, refine
from training.trajectory import Environment, State


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


def failing_counts(
    environment: Environment, sources: Sequence[bytes], cases: Sequence[Case]
) -> list[int]:
    if not sources:
        return []
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
    policies: Sequence[RoundPolicy] = (SAFE, RAW),
) -> dict[float, dict[str, float]]:
    """Per level: one-shot accuracy, and after each policy's rounds (`training.rounds`) the
    iterative accuracy, programs passing, rounds kept and tokens changed."""
    model.eval()
    predictor = Predictor(model, environment, device)
    table: dict[float, dict[str, float]] = {}
    for level in sorted({c.level for c in cases}):
        level_cases = [c for c in cases if c.level == level]
        states = [State(c.program, c.corruption.source, None, 0) for c in level_cases]
        first = predictor.predict(states, use_feedback=feedback_at_first_step)
        one_shot = [apply_edits(s.source, p.edits()) for s, p in zip(states, first)]
        edited = [p.edited_tokens(p.edits()) for p in first]
        row = {"cases": len(level_cases)}
        hits, total = _accuracy(one_shot, level_cases)
        row["one_shot"] = hits / max(1, total)
        row["positions"] = total
        row["tokens_changed_one_shot"] = sum(len(p.edits()) for p in first)
        failing_one_shot = failing_counts(environment, one_shot, level_cases)

        def failing_of(indices: list[int], sources: list[bytes], of=level_cases) -> list[int]:
            return failing_counts(environment, sources, [of[i] for i in indices])

        for policy in policies:
            refined = refine(
                predictor,
                [c.program for c in level_cases],
                one_shot,
                failing_one_shot,
                policy,
                iterations=iterations,
                failing_of=failing_of,
                edited=edited,
            )
            hits, _ = _accuracy(refined.sources, level_cases)
            row[f"iterative_{policy.name}"] = hits / max(1, total)
            row[f"programs_passing_{policy.name}"] = sum(f == 0 for f in refined.failing) / max(
                1, len(level_cases)
            )
            row[f"rounds_kept_{policy.name}"] = refined.rounds_kept
            row[f"tokens_changed_{policy.name}"] = refined.tokens_changed
        row["programs_passing_one_shot"] = sum(f == 0 for f in failing_one_shot) / max(
            1, len(level_cases)
        )
        row["programs_failing_before"] = sum(p.failing > 0 for p in first) / max(
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
    others = [
        k[len("iterative_") :] for k in next(iter(table.values()), {}) if k.startswith("iterative_")
    ]
    others = [name for name in others if name not in ("safe", "raw")]
    if others:
        lines += ["", "| Corruption | Policy | Iterative | Change | Rounds kept | Tokens changed |"]
        lines.append("|---|---|---|---|---|---|")
        for level, row in table.items():
            for name in others:
                value = row[f"iterative_{name}"]
                lines.append(
                    f"| {level:.0%} | {name} | {value:.1%} | {value - row['one_shot']:+.1%} | "
                    f"{row[f'rounds_kept_{name}']} | {row[f'tokens_changed_{name}']} |"
                )
    return "\n".join(lines)


SPLITS = ("held_out", "validation", "development")


def split_programs_of(splits, name: str) -> list[Program]:
    """The programs of a named split: `held_out` (29 HumanEval problems, never trained on or
    validated on), `validation` (the run's validation programs) or `development` (the validation
    programs and every other non-held-out HumanEval problem the run did not train on)."""
    if name == "held_out":
        return list(splits.held_out)
    if name == "validation":
        return list(splits.validation)
    if name != "development":
        raise ValueError(f"split {name!r}: expected one of {', '.join(SPLITS)}")
    from training.data import _humaneval

    seen = {p.source_hash for p in [*splits.train, *splits.held_out, *splits.validation]}
    unused = [p for p in _humaneval() if p.source_hash not in seen]
    return [*splits.validation, *unused]


def evaluate_checkpoint(
    path: str,
    *,
    levels: Sequence[float] = (0.2, 0.5, 0.75),
    iterations: int = 5,
    per_program: int = 3,
    seed: int = 0,
    device: str = "auto",
    workers: int = 0,
    first_step_feedback: bool | None = None,
    split: str = "held_out",
    policies: Sequence[RoundPolicy] = (SAFE, RAW),
    programs: int = 0,
) -> dict:
    """The log's table for one checkpoint, by default on the held-out HumanEval split.

    `first_step_feedback`: give a guided model its test feedback in the one-shot pass (round 0);
    None: as it was trained (the log evaluated one-shot "at iteration 0, no test feedback").
    `programs`: only the split's first N programs (0: all)."""
    from repair.checkpoint import load_checkpoint
    from training.config import TrainConfig
    from training.data import load_splits
    from training.train import resolve_device

    torch_device = resolve_device(device)
    checkpoint = load_checkpoint(path, torch_device)
    train_config = (
        TrainConfig.from_dict(checkpoint.train_config) if checkpoint.train_config else TrainConfig()
    )
    if first_step_feedback is None:
        first_step_feedback = train_config.feedback_at_first_step
    splits = load_splits(train_config)
    chosen = split_programs_of(splits, split)
    chosen = chosen[:programs] if programs else chosen
    cases = make_cases(chosen, levels, per_program, seed)
    environment = Environment(
        chosen,
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
            feedback_at_first_step=first_step_feedback,
            policies=policies,
        )
    finally:
        environment.close()
    baseline = frequency_baseline(splits.train, cases)
    origin = "held-out HumanEval" if split == "held_out" else f"{split} split"
    described = f"{origin} ({len(chosen)} programs, {per_program} corruptions each, seed {seed})"
    return {
        "checkpoint": str(path),
        "experiment": train_config.experiment,
        "split": described,
        "split_name": split,
        "iterations": iterations,
        "feedback_at_first_step": first_step_feedback,
        "policies": [dataclasses.asdict(policy) for policy in policies],
        "table": {f"{level:g}": row for level, row in table.items()},
        "baseline_most_frequent": {f"{level:g}": value for level, value in baseline.items()},
        "text": format_table(table, baseline, described),
    }
