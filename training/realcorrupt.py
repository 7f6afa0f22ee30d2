"""Corruption drawn from the real fix distribution, and a test-signal stand-in.

`FixDistribution` is measured on the TRAIN split's aligned fixes (`training.realfixes`): which
classes humans replace (counted over the fixes the model's edit space can express, since a
corruption must be one the model can undo), what a clean token's buggy version was for the
closed classes (`True` for `False`, `>` for `>=`, `0` for `1`: P(buggy | clean)), how many tokens
one fix changes, and how often a wrong name shares a word with the right one. `corrupt_real` makes
bugs with those frequencies; `noisy_signal` marks the corrupted statement's block the way
Tarantula smears a failing test over the lines it runs, so the signal feature means at
pre-training what it means at repair time (high near the bug, never exactly on it alone).

What the model cannot learn here: fixes that insert or delete tokens (73 % of real fixes) or
replace a token by one of another class; `training.evaluate_real` reports the expressible share.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from repair.source import (
    Edit,
    Token,
    TokenClass,
    apply_edits,
    candidates,
    parse,
    repair_targets,
    tokens,
)
from repair.vocabulary import split_subtokens
from training.realfixes import FixExample, options_for


@dataclass(frozen=True)
class FixDistribution:
    class_weights: dict[str, float]  # share of replaced tokens per class (expressible fixes)
    transitions: dict[str, dict[str, dict[str, int]]]  # class -> clean text -> buggy text -> n
    edit_counts: dict[int, float]  # share of fixes changing this many tokens
    similar_names: float  # share of wrong names that share a word with the right one
    edit_rates: dict[str, float]  # per class: edited tokens / repair targets in the functions
    fixes: int  # train fixes measured

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, item: dict) -> FixDistribution:
        counts = {int(k): v for k, v in item["edit_counts"].items()}
        return cls(**{**item, "edit_counts": counts})


def fix_distribution(examples: Sequence[FixExample]) -> FixDistribution:
    """Measured on train-split examples (never dev or test)."""
    classes: Counter[str] = Counter()
    transitions: dict[str, dict[str, Counter[str]]] = {}
    counts: Counter[int] = Counter()
    similar = names = 0
    targets: Counter[str] = Counter()
    edited: Counter[str] = Counter()
    for example in examples:
        counts[len(example.edits)] += 1
        source = example.before.encode()
        targets.update(t.token_class.value for t in repair_targets(tokens(source, parse(source))))
        edited.update(example.classes)
        for (_, old, new), cls in zip(example.edits, example.classes):
            if example.expressible:
                classes[cls] += 1
            if cls not in (TokenClass.IDENTIFIER.value, TokenClass.STRING.value):
                transitions.setdefault(cls, {}).setdefault(new, Counter())[old] += 1
            elif cls == TokenClass.IDENTIFIER.value and example.expressible:
                names += 1
                similar += bool(set(split_subtokens(old)) & set(split_subtokens(new)))
    total = sum(classes.values()) or 1
    fixes = sum(counts.values()) or 1
    return FixDistribution(
        class_weights={cls: n / total for cls, n in sorted(classes.items())},
        transitions={
            cls: {clean: dict(buggy) for clean, buggy in sorted(table.items())}
            for cls, table in sorted(transitions.items())
        },
        edit_counts={k: n / fixes for k, n in sorted(counts.items())},
        similar_names=similar / max(1, names),
        edit_rates={cls: edited[cls] / n for cls, n in sorted(targets.items())},
        fixes=len(examples),
    )


@dataclass(frozen=True)
class SignalNoise:
    """How the stand-in signal smears: a block of lines around the bug shares one high score (as
    lines run only by failing tests share Tarantula's 1.0), lines before it (run by passing and
    failing tests) a lower one, lines after it less or nothing; sometimes the block misses."""

    block: int = 4  # lines the block reaches before and after the anchor, at most (uniform)
    top: tuple[float, float] = (0.6, 1.0)  # the block's score
    before: tuple[float, float] = (0.1, 0.6)  # lines before the block, as a share of `top`
    after_share: float = 0.5  # lines after the block: half the time nothing
    misplaced: float = 0.1  # the block sits around a random line instead of the bug
    none: float = 0.05  # no signal at all (a suite whose failure does not reach the function)


def noisy_signal(
    edited_lines: Sequence[int], lines: int, rng: random.Random, noise: SignalNoise = SignalNoise()
) -> dict[int, float]:
    """Per line (1-based, 1..lines) a stand-in test signal for a bug on `edited_lines`."""
    if rng.random() < noise.none or lines < 1:
        return {}
    anchor = rng.choice(list(edited_lines)) if edited_lines else rng.randint(1, lines)
    if rng.random() < noise.misplaced:
        anchor = rng.randint(1, lines)
    first = max(1, anchor - rng.randint(0, noise.block))
    last = min(lines, anchor + rng.randint(0, noise.block))
    top = rng.uniform(*noise.top)
    before = top * rng.uniform(*noise.before)
    after = 0.0 if rng.random() < noise.after_share else rng.uniform(0.0, before)
    signal = {}
    for line in range(1, lines + 1):
        signal[line] = top if first <= line <= last else before if line < first else after
    return signal


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def corruption_options(
    token_list: Sequence[Token], names: Iterable[str]
) -> dict[int, tuple[Token, list[str]]]:
    """Per repair target (by token index) its same-class options; identifiers also take the
    file's module-level names (`names`), as `training.realfixes.options_for` does, less builtins:
    a realistic wrong name is one the code could have meant."""
    names = [name for name in names if name.isidentifier()]
    space = {}
    for token in repair_targets(token_list):
        options = candidates(token, token_list, include_builtins=False)
        if token.token_class == TokenClass.IDENTIFIER:
            known = set(options) | {token.text}
            options += [name for name in names if name not in known]
        if options:
            space[token.index] = (token, options)
    return space


def _replacement(
    token: Token, options: list[str], distribution: FixDistribution, rng: random.Random
) -> str:
    cls = token.token_class.value
    table = distribution.transitions.get(cls, {}).get(token.text, {})
    seen = {buggy: n for buggy, n in table.items() if buggy in options}
    if seen and rng.random() < 0.8:  # the buggy versions humans fixed, by their frequency
        return _weighted(rng, seen)
    if token.token_class == TokenClass.IDENTIFIER and rng.random() < distribution.similar_names:
        words = set(split_subtokens(token.text))
        similar = [name for name in options if words & set(split_subtokens(name))]
        if similar:
            return rng.choice(similar)
    return rng.choice(options)


def corrupt_real(
    source: bytes,
    token_list: Sequence[Token],
    names: Iterable[str],
    distribution: FixDistribution,
    rng: random.Random,
) -> tuple[bytes, list[Edit]]:
    """Replace tokens of `source` as the real fixes' inverse would: a count drawn from the fixes'
    token counts, each token's class by the fixes' class shares (among the classes present),
    each replacement by `_replacement`. Returns the corrupted source and the edits (no edits: no
    token could be changed)."""
    space = corruption_options(token_list, names)
    by_class: dict[str, list[int]] = {}
    for index, (token, _) in space.items():
        by_class.setdefault(token.token_class.value, []).append(index)
    count = int(_weighted(rng, {str(k): v for k, v in distribution.edit_counts.items()}))
    edits: list[Edit] = []
    for _ in range(count):
        weights = {c: distribution.class_weights.get(c, 0.0) for c in by_class if by_class[c]}
        if not any(weights.values()):
            weights = {c: 1.0 for c in by_class if by_class[c]}
        if not weights:
            break
        cls = _weighted(rng, weights)
        index = by_class[cls].pop(rng.randrange(len(by_class[cls])))
        token, options = space[index]
        edits.append(
            Edit(
                token.start, token.end, token.text, _replacement(token, options, distribution, rng)
            )
        )
    return apply_edits(source, edits), sorted(edits, key=lambda edit: edit.start)


def corrupted_example(
    text: str, names: Sequence[str], distribution: FixDistribution, rng: random.Random
) -> FixExample | None:
    """A corrupted function as a fix example (the corruption's inverse is the fix), for
    validation: None when nothing could be corrupted."""
    source = text.encode()
    corrupted, edits = corrupt_real(source, tokens(source, parse(source)), names, distribution, rng)
    if not edits:
        return None
    token_list = tokens(corrupted, parse(corrupted))
    at = {token.start: token for token in token_list}
    shift, found, expressible = 0, [], True
    for edit in edits:  # in source order: each earlier edit moves the later ones by its growth
        token = at[edit.start + shift]
        found.append((token.index, edit.new, edit.old))
        expressible &= edit.old in options_for(token, token_list, names)
        shift += len(edit.new.encode()) - (edit.end - edit.start)
    classes = tuple(token_list[index].token_class.value for index, _, _ in found)
    return FixExample(
        "corrupted", "", "", corrupted.decode(), tuple(found), classes, tuple(names), expressible
    )
