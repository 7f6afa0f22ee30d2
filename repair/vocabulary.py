"""Token vocabulary: built from a corpus, saved inside a checkpoint as a plain list of strings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import tree_sitter
import tree_sitter_python

PAD, UNKNOWN = "<pad>", "<unk>"
SPECIALS = (PAD, UNKNOWN)
MAX_TOKEN_LENGTH = 40  # longer literals are all <unk>: they are never predicted from the vocabulary


class Vocabulary:
    """Maps token texts (leaf texts and `<node_type>` markers for inner nodes) to ids."""

    def __init__(self, itos: Sequence[str]):
        if tuple(itos[: len(SPECIALS)]) != SPECIALS:
            raise ValueError("vocabulary must start with the special tokens")
        self.itos = list(itos)
        self.stoi = {token: index for index, token in enumerate(self.itos)}

    @classmethod
    def build(
        cls,
        corpus: Iterable[str],
        max_size: int = 5000,
        min_count: int = 2,
        always: Iterable[str] = (),
    ) -> Vocabulary:
        """Most frequent tokens first; node-type markers and the `always` tokens are included."""
        counts = Counter(token for token in corpus if len(token) <= MAX_TOKEN_LENGTH)
        for marker in (*node_type_markers(), *always):
            counts[marker] += min_count  # every inner node type gets an id, even if unseen
        ranked = sorted(
            (
                token
                for token, count in counts.items()
                if count >= min_count and token not in SPECIALS
            ),
            key=lambda token: (-counts[token], token),
        )
        return cls([*SPECIALS, *ranked[: max_size - len(SPECIALS)]])

    def __len__(self) -> int:
        return len(self.itos)

    def __getitem__(self, token: str) -> int:
        return self.stoi.get(token, 1)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def lookup(self, index: int) -> str:
        return self.itos[index]

    def to_list(self) -> list[str]:
        return list(self.itos)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)})"


@lru_cache(maxsize=1)
def node_types() -> tuple[str, ...]:
    """Every visible node kind of the Python grammar, in a fixed order (ids for parent types)."""
    language = tree_sitter.Language(tree_sitter_python.language())
    kinds = {
        language.node_kind_for_id(kind_id)
        for kind_id in range(language.node_kind_count)
        if language.node_kind_is_visible(kind_id)
    }
    kinds |= {"is not", "not in"}
    return ("<none>", *sorted(kinds))


@lru_cache(maxsize=1)
def node_type_ids() -> dict[str, int]:
    return {kind: index for index, kind in enumerate(node_types())}


def node_type_marker(node_type: str) -> str:
    return f"<{node_type}>"


def node_type_markers() -> list[str]:
    return [node_type_marker(kind) for kind in node_types()[1:]]
