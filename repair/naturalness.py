"""How natural an edit reads where it is made: the share of the token n-grams an edit creates that
its function already holds elsewhere. A cache language model reduced to one feature (Tu, Su and
Devanbu, "On the localness of software", FSE 2014: code repeats itself locally, and a model of the
file's own n-grams predicts its next token well). Real fixes often make a line look like its
neighbours (`value == 'AS'` -> `value.upper() == 'AS'` two lines below `value.upper() ==
'TABLE'`), so among a region's structural edits those whose new n-grams the function has
are tried first (`repair.rank`, `SearchPolicy.natural_floor`; off: measured on the dev split, it
moved as many fixes down as up).

Tokens here are a plain lexer's (names, numbers, single punctuation marks), not tree-sitter's:
an edit's text is scored without parsing the edited file, in microseconds per candidate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from repair.source import Edit

_LEXEME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*|[0-9][A-Za-z0-9_.]*|\S")
_CONTEXT_BYTES = 160  # enough source on each side of an edit for n - 1 tokens of context


def lex(text: bytes) -> list[bytes]:
    return _LEXEME.findall(text)


class NgramCache:
    """The n-grams of `source[start:end]` (`repair.rank` passes a region, a function), to score
    edits of `source`."""

    def __init__(self, source: bytes, start: int = 0, end: int | None = None, n: int = 3):
        self.source = source
        self.n = n
        lexemes = lex(source[start:end])
        self.grams = {tuple(lexemes[i : i + n]) for i in range(len(lexemes) - n + 1)}

    def seen_share(self, edit: Edit) -> float:
        """The share of the n-grams that `edit` creates (each one touches a new token, or spans
        the place where tokens were deleted) that the file already holds; 1.0 for an edit that
        creates none (its tokens rearranged into n-grams the file has)."""
        n = self.n
        low, high = edit.start - _CONTEXT_BYTES, edit.end + _CONTEXT_BYTES
        left = lex(self.source[max(0, low) : edit.start])[1 if low > 0 else 0 :][-(n - 1) :]
        right = lex(self.source[edit.end : high])
        right = (right[:-1] if high < len(self.source) else right)[: n - 1]
        old, new = lex(edit.old.encode()), lex(edit.new.encode())
        sequence = left + new + right
        changed = _changed(old, new, offset=len(left))
        if not changed:
            return 1.0
        grams = [
            tuple(sequence[i : i + n])
            for i in range(len(sequence) - n + 1)
            if any(first < i + n and i < last for first, last in changed)
        ]
        if not grams:
            return 1.0
        return sum(gram in self.grams for gram in grams) / len(grams)


def _changed(old: Sequence[bytes], new: Sequence[bytes], offset: int) -> list[tuple[int, int]]:
    """Spans of the new sequence (from `offset`) that differ from the old: inserted or replaced
    tokens, and for a deletion the pair of tokens it joins."""
    spans = []
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, _, _, low, high in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            spans.append((offset + low, offset + high))
        elif tag == "delete":
            spans.append((offset + low - 1, offset + low + 1))
    return spans


def natural_factors(shares: Sequence[float], floor: float | None) -> list[float]:
    """Multipliers for a region's edits from their seen shares: `floor + share`, divided by their
    mean, so the region's edits keep their total weight against the token replacements and only
    their order among themselves changes. `floor` None leaves them all at 1."""
    if not shares or floor is None:
        return [1.0] * len(shares)
    raw = [floor + share for share in shares]
    mean = sum(raw) / len(raw)
    return [value / mean for value in raw]
