"""Evaluation rounds: predict → apply → run the tests → keep or drop the round, by a policy.

The one-shot pass is round 0. Every later round is governed by a `RoundPolicy`: which of the
model's proposals it applies (the one-shot rule, or only tokens whose P(wrong) clears a threshold),
when a program stops (no failing test; the model sure nothing is wrong; rounds dropped in a row),
and whether a round is kept (always: "raw", the log's way; only if fewer tests fail: "safe", the
repair loop's rule; or if no more tests fail). Predictions are cached by state, so policies that
reach the same state share one forward pass, and the executor caches test runs by source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from repair.source import Edit, Token, apply_edits
from training.decode import Decoded, decide, decode
from training.trajectory import Environment, State, collate, run_model

KEEP_RULES = ("all", "fewer", "not_more")


@dataclass(frozen=True)
class RoundPolicy:
    name: str
    keep: str = "fewer"  # "all" (raw), "fewer" (safe: fewer tests fail), "not_more"
    min_wrong: float = (
        0.0  # rounds ≥ 1 change only tokens with P(wrong) above this (0: one-shot rule)
    )
    stop_below: float = 0.0  # a program stops once no token's P(wrong) reaches this (0: never)
    patience: int = 0  # a program stops after this many dropped rounds in a row (0: never)
    max_iteration: int = 0  # the iteration feature the model sees, at most (0: no cap)
    freeze: bool = False  # rounds ≥ 1 leave alone the tokens earlier kept rounds changed

    def __post_init__(self) -> None:
        if self.keep not in KEEP_RULES:
            raise ValueError(f"keep={self.keep!r}: expected one of {', '.join(KEEP_RULES)}")

    def kept(self, before: int, after: int) -> bool:
        if self.keep == "all":
            return True
        return after < before if self.keep == "fewer" else after <= before


SAFE = RoundPolicy("safe", keep="fewer")
RAW = RoundPolicy("raw", keep="all")


@dataclass(frozen=True)
class Prediction:
    decoded: Decoded
    token_list: list[Token]
    failing: int  # tests failing in the state the model saw

    def confidence(self) -> float:
        """The model's largest P(wrong) over the state's repair targets."""
        return float(self.decoded.wrong.max()) if len(self.decoded.wrong) else 0.0

    def edits(self, min_wrong: float = 0.0, exclude: frozenset[int] = frozenset()) -> list[Edit]:
        """The one-shot rule (`decide`) or, with `min_wrong`, every token above that P(wrong);
        never the tokens (by index) in `exclude`."""
        if min_wrong > 0:
            chosen = np.flatnonzero(self.decoded.wrong > min_wrong).tolist()
        else:
            chosen = decide(self.decoded).tolist()
        edits = []
        for i in chosen:
            token = self.token_list[int(self.decoded.token_index[i])]
            if self.decoded.best_text[i] != token.text and token.index not in exclude:
                edits.append(Edit(token.start, token.end, token.text, self.decoded.best_text[i]))
        return edits

    def edited_tokens(self, edits: Sequence[Edit]) -> set[int]:
        starts = {edit.start for edit in edits}
        return {token.index for token in self.token_list if token.start in starts}


class Predictor:
    """The model's prediction for program states, each state computed once."""

    def __init__(self, model, environment: Environment, device, batch_size: int = 64):
        self.model, self.environment, self.device = model, environment, device
        self.batch_size = batch_size
        self._cache: dict[tuple[int, bytes, int, bool], Prediction] = {}

    @torch.no_grad()
    def predict(self, states: Sequence[State], *, use_feedback: bool) -> list[Prediction]:
        key = lambda s: (s.program, s.source, s.iteration, use_feedback)  # noqa: E731
        missing = list({key(s): s for s in states if key(s) not in self._cache}.values())
        chunks = [missing[i : i + self.batch_size] for i in range(0, len(missing), self.batch_size)]
        # every chunk is queued at once: its tests and graphs are ready while the model runs another
        pending = [self.environment.observe_async(chunk) for chunk in chunks]
        for chunk, future in zip(chunks, pending):
            observations = future.result()
            batch = collate(observations, self.device)
            output = run_model(self.model, observations, batch, use_feedback=use_feedback)
            decoded = decode(output, batch, [o.options for o in observations])
            for state, observation, choices in zip(chunk, observations, decoded):
                self._cache[key(state)] = Prediction(
                    choices, observation.token_list, observation.failing
                )
        return [self._cache[key(s)] for s in states]


@dataclass
class Refined:
    sources: list[bytes]
    failing: list[int]
    rounds_kept: int  # over all programs
    tokens_changed: int  # token edits in kept rounds, over all programs


def refine(
    predictor: Predictor,
    programs: Sequence[int],
    sources: Sequence[bytes],
    failing: Sequence[int],
    policy: RoundPolicy,
    *,
    iterations: int,
    failing_of,
    edited: Sequence[set[int]] | None = None,
) -> Refined:
    """Rounds 1 … iterations-1 from the one-shot `sources` (tests `failing` in each; `edited`:
    the tokens the one-shot pass changed, for `freeze`).

    `failing_of(indices, sources)` runs the tests of the programs at `indices` on new sources."""
    current, fails = list(sources), list(failing)
    frozen = [set(e) for e in edited] if edited is not None else [set() for _ in current]
    dropped = [0] * len(current)
    stopped = [False] * len(current)
    kept = changed = 0
    for iteration in range(1, iterations):
        active = [i for i, f in enumerate(fails) if f > 0 and not stopped[i]]
        if not active:
            break
        shown = min(iteration, policy.max_iteration) if policy.max_iteration else iteration
        states = [State(programs[i], current[i], None, shown) for i in active]
        predictions = predictor.predict(states, use_feedback=True)
        proposed, moving = [], []
        for i, prediction in zip(active, predictions):
            if prediction.confidence() < policy.stop_below:
                stopped[i] = True  # the model is sure enough that nothing is left to change
                continue
            exclude = frozenset(frozen[i]) if policy.freeze else frozenset()
            edits = prediction.edits(policy.min_wrong, exclude)
            if not edits:  # nothing this round; the next round's iteration feature differs
                continue
            proposed.append((apply_edits(current[i], edits), prediction.edited_tokens(edits)))
            moving.append(i)
        new_failing = failing_of(moving, [source for source, _ in proposed])
        for i, (source, tokens_changed), after in zip(moving, proposed, new_failing):
            if policy.kept(fails[i], after):
                current[i], fails[i], dropped[i] = source, after, 0
                kept, changed = kept + 1, changed + len(tokens_changed)
                frozen[i] |= tokens_changed
            else:
                dropped[i] += 1
                stopped[i] = policy.patience > 0 and dropped[i] >= policy.patience
    return Refined(current, fails, kept, changed)
