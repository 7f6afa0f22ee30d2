"""Corruption at rate r: replace r of a program's repair-target tokens by another of their class."""

from __future__ import annotations

import random
from dataclasses import dataclass

from repair.source import Edit, Token, apply_edits, candidates, repair_targets, tokens


@dataclass(frozen=True)
class Corruption:
    source: bytes  # the corrupted program
    edits: tuple[Edit, ...]  # clean → corrupted, in source order
    positions: tuple[int, ...]  # token indices changed (token indices are the same before/after)


def corrupt(
    source: bytes, rate: float, rng: random.Random, token_list: list[Token] | None = None
) -> Corruption:
    """Replace round(rate · n) of the n repair-target tokens (at least one) with same-class tokens.

    Identifiers are replaced by other names in scope (not builtins): the realistic bug is the wrong
    variable, and the model must also learn to restore names its vocabulary lacks.
    """
    token_list = token_list if token_list is not None else tokens(source)
    pool = [
        t for t in repair_targets(token_list) if candidates(t, token_list, include_builtins=False)
    ]
    if not pool:
        return Corruption(source, (), ())
    count = max(1, round(rate * len(pool)))
    chosen = sorted(rng.sample(pool, min(count, len(pool))), key=lambda t: t.start)
    edits = tuple(
        Edit(t.start, t.end, t.text, rng.choice(candidates(t, token_list, include_builtins=False)))
        for t in chosen
    )
    return Corruption(apply_edits(source, edits), edits, tuple(t.index for t in chosen))
