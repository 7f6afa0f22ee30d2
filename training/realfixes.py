"""Mined real fixes (`data/realfixes.jsonl.gz`) as examples for the model: the buggy function
(`before`), which of its tokens the human changed and to what, and its file's module-level names.

A fix is `aligned` when every edit replaces a repair target by a token of the same class (the
token sequences of before and after then match index by index: the only edits the model can
make). It is `expressible` when, besides, every new text is one of `repair.source.candidates` for
its token (with the file's module-level names among an identifier's options), so the model's
edit space holds the human fix. Train-split fixes fine-tune the model; dev-split fixes are the
evaluation (`training.evaluate_real`). The file's names are read at the fix's parent commit from
the repository's bare git directory; without it a fix has the function's own names only.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import tree_sitter

from repair.source import Token, TokenClass, candidates, is_repair_target, parse, tokens
from training.mining.gitlog import BlobReader
from training.realcode import RealCodePolicy, file_functions

CORPUS = Path(__file__).resolve().parent / "data" / "realfixes.jsonl.gz"


@dataclass(frozen=True)
class FixExample:
    repo: str
    commit: str
    path: str
    before: str  # the buggy function (or statement window), as mined
    edits: tuple[tuple[int, str, str], ...]  # (token index in `before`, old text, new text)
    classes: tuple[str, ...]  # each edit's token class
    names: tuple[str, ...]  # the file's module-level names (the copy head's context)
    expressible: bool  # every new text is among its token's same-class options

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, item: dict) -> FixExample:
        edits = tuple((int(i), old, new) for i, old, new in item["edits"])
        return cls(
            **{
                **item,
                "edits": edits,
                "classes": tuple(item["classes"]),
                "names": tuple(item["names"]),
            }
        )


def read_fixes(path: Path = CORPUS, split: str | None = None) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            fix = json.loads(line)
            if split is None or fix["split"] == split:
                yield fix


def function_region(tree: tree_sitter.Tree) -> tuple[int, int] | None:
    """The byte span of the text's first function definition: graphs of a function are built
    over this region, so their root is the `def` node as in `repair fix`'s region graphs."""
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            return node.start_byte, node.end_byte
        stack.extend(reversed(node.children))
    return None


def options_for(token: Token, token_list: list[Token], names: Iterable[str]) -> list[str]:
    """`repair.source.candidates` of a token in a function cut out of its file: an identifier
    also takes the file's module-level names, as it would in the whole file."""
    options = candidates(token, token_list, include_builtins=True)
    if token.token_class == TokenClass.IDENTIFIER:
        known = set(options) | {token.text}
        options += [name for name in names if name not in known and name.isidentifier()]
    return options


def aligned_example(fix: dict, names: tuple[str, ...]) -> FixExample | None:
    """The fix as an example if every edit is a same-class replacement of a repair target."""
    edits = fix["edits"]
    if not edits or any(e["op"] != "replace" or not e["target"] or "new_class" in e for e in edits):
        return None
    source = fix["before"].encode()
    tree = parse(source)
    if tree.root_node.has_error:
        return None
    token_list = tokens(source, tree)
    at = {(t.start, t.end): t for t in token_list}
    found, classes, expressible = [], [], True
    for edit in edits:
        token = at.get(tuple(edit["before_at"]))
        if token is None or token.text != edit["old"] or not is_repair_target(token):
            return None
        found.append((token.index, edit["old"], edit["new"]))
        classes.append(token.token_class.value)
        expressible &= edit["new"] in options_for(token, token_list, names)
    return FixExample(
        fix["repo"],
        fix["commit"],
        fix["path"],
        fix["before"],
        tuple(found),
        tuple(classes),
        names,
        expressible,
    )


def module_names_at(reader: BlobReader | None, fix: dict, policy: RealCodePolicy) -> tuple:
    """The file's module-level names at the fix's parent commit (empty without the git dir)."""
    if reader is None:
        return ()
    data = reader.read(fix["parent"], fix["path"])
    found = file_functions(data, fix["path"], policy) if data is not None else None
    return tuple(found.names) if found is not None else ()


def fix_examples(
    split: str,
    git_root: Path | None,
    corpus: Path = CORPUS,
    policy: RealCodePolicy = RealCodePolicy(),
) -> tuple[list[FixExample], dict[str, int]]:
    """The split's aligned fixes as examples, and counts of what was kept and why not."""
    examples: list[FixExample] = []
    counts = {"fixes": 0, "aligned": 0, "expressible": 0, "single_token_expressible": 0}
    readers: dict[str, BlobReader | None] = {}
    try:
        for fix in read_fixes(corpus, split):
            counts["fixes"] += 1
            if aligned_example(fix, ()) is None:  # cheap test before reading the file
                continue
            repo = fix["repo"]
            if repo not in readers:
                git_dir = git_root / repo.replace("/", "+") / "repo" if git_root else None
                readers[repo] = BlobReader(git_dir) if git_dir and git_dir.is_dir() else None
            example = aligned_example(fix, module_names_at(readers[repo], fix, policy))
            if example is None:
                continue
            examples.append(example)
            counts["aligned"] += 1
            counts["expressible"] += example.expressible
            counts["single_token_expressible"] += example.expressible and len(example.edits) == 1
    finally:
        for reader in readers.values():
            if reader is not None:
                reader.close()
    return examples, counts
