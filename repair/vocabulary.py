"""Token vocabulary: built from a corpus, saved inside a checkpoint as a plain list of strings.

A vocabulary for real code also splits identifiers and string literals into sub-tokens (on case,
underscores and digits: `parseHTTPResponse_v2` -> parse, http, response, v, 2), so a name it has
never seen is still represented by the words it is made of. Such a vocabulary carries the marker
`SUBTOKEN_MARKER` right after the special tokens: graphs built with it get sub-token ids per node
and the file's names for the copy head (`repair.graph`), and the list of strings stays the whole
description, so checkpoints keep their format and older vocabularies behave as before.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import tree_sitter
import tree_sitter_python

PAD, UNKNOWN = "<pad>", "<unk>"
SPECIALS = (PAD, UNKNOWN)
MAX_TOKEN_LENGTH = 40  # longer literals are all <unk>: they are never predicted from the vocabulary
SUBTOKEN_MARKER = "<subtokens>"  # third entry of a vocabulary whose graphs carry sub-tokens
# camelCase humps, ACRONYMS before a capitalised word, digit runs; underscores and other
# characters separate words
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def split_subtokens(text: str) -> list[str]:
    """The lower-cased words of an identifier or a string literal's text (quotes, prefixes and
    punctuation dropped): `getHTTPValue_2` -> ["get", "http", "value", "2"]."""
    return [word.lower() for word in _WORDS.findall(text)]


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
        subtokens: Iterable[str] | None = None,
        subtoken_share: float = 0.4,
    ) -> Vocabulary:
        """Most frequent tokens first; node-type markers and the `always` tokens are included.

        With `subtokens` (the words of the corpus's identifiers and strings, `split_subtokens`),
        the vocabulary is a sub-token vocabulary: about `subtoken_share` of its entries are the
        most frequent words that are not already whole tokens, and it carries the marker.
        """
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
        if subtokens is None:
            return cls([*SPECIALS, *ranked[: max_size - len(SPECIALS)]])
        room = max_size - len(SPECIALS) - 1
        words = Counter(word for word in subtokens if len(word) <= MAX_TOKEN_LENGTH)
        whole = ranked[: room - int(room * subtoken_share)]
        taken = set(whole)
        extra = sorted(
            (w for w, count in words.items() if count >= min_count and w not in taken),
            key=lambda word: (-words[word], word),
        )
        return cls([*SPECIALS, SUBTOKEN_MARKER, *whole, *extra[: room - len(whole)]])

    @property
    def subtokens(self) -> bool:
        """A sub-token vocabulary (graphs carry sub-token ids and the file's names)."""
        return len(self.itos) > len(SPECIALS) and self.itos[len(SPECIALS)] == SUBTOKEN_MARKER

    def subtoken_ids(self, text: str, limit: int) -> list[int]:
        """Ids of the first `limit` words of `text` the vocabulary knows (unknown words skipped:
        an <unk> would say nothing the missing id does not)."""
        ids = []
        for word in split_subtokens(text):
            index = self.stoi.get(word)
            if index is not None:
                ids.append(index)
                if len(ids) == limit:
                    break
        return ids

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
