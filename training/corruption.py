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


CorruptionSpace = list[tuple[Token, list[str]]]


def corruption_space(source: bytes, token_list: list[Token] | None = None) -> CorruptionSpace:
    """The tokens a corruption may change, each with its same-class options (in-scope names for
    identifiers, not builtins). Computing it costs most of a corruption: cache it per program."""
    token_list = token_list if token_list is not None else tokens(source)
    space = []
    for token in repair_targets(token_list):
        options = candidates(token, token_list, include_builtins=False)
        if options:
            space.append((token, options))
    return space


def corrupt(
    source: bytes,
    rate: float,
    rng: random.Random,
    token_list: list[Token] | None = None,
    space: CorruptionSpace | None = None,
) -> Corruption:
    """Replace round(rate · n) of the n repair-target tokens (at least one) with same-class tokens.

    Identifiers are replaced by other names in scope (not builtins): the realistic bug is the wrong
    variable, and the model must also learn to restore names its vocabulary lacks.
    """
    space = space if space is not None else corruption_space(source, token_list)
    if not space:
        return Corruption(source, (), ())
    count = max(1, round(rate * len(space)))
    chosen = sorted(rng.sample(space, min(count, len(space))), key=lambda item: item[0].start)
    edits = tuple(Edit(t.start, t.end, t.text, rng.choice(options)) for t, options in chosen)
    return Corruption(apply_edits(source, edits), edits, tuple(t.index for t, _ in chosen))
