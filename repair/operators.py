"""The edit operators read off the real-fix corpus, beyond `repair.edits`: token insertions and
deletions (`repair.token_inserts`), punctuation (`repair.punctuation_edits`), guards, dropped operands and
`.get` lookups (`repair.condition_edits`), call wraps and unwraps (`repair.call_edits`), statement
deletion, swaps, `if`/`while`/`elif` and a missing `return` (`repair.statement_edits`), statement
insertion from templates and the file's own statements (`repair.statement_inserts`), edits
inside string literals (`repair.string_edits`), and the exception a `raise`, `except` or class
names (`repair.exception_edits`), names qualified with `self.` or not and parameters passed
on (`repair.name_edits`), an entry a literal table lacks, taken from the failing tests'
strings (`repair.collection_entries`), and a statement made like its neighbour
(`repair.sibling_edits`). Every one is an `EditOperation`: an exact splice
with an inverse. At most `SearchPolicy.max_generated_per_kind` of a kind per region, in source
order; `repair.rank` then keeps the likeliest `max_candidates_per_kind` of each kind it ranks.
"""

from __future__ import annotations

from collections import Counter

import tree_sitter

from repair import (
    call_edits,
    collection_entries,
    condition_edits,
    exception_edits,
    name_edits,
    punctuation_edits,
    sibling_edits,
    statement_edits,
    statement_inserts,
    string_edits,
    token_inserts,
)
from repair.edits import EditOperation, edit_operations
from repair.file_facts import FileFacts, file_facts
from repair.operator_context import OperatorContext
from repair.policy import SearchPolicy
from repair.source import parse
from repair.test_literals import Literals

_MODULES = (
    token_inserts,
    condition_edits,
    exception_edits,
    name_edits,
    punctuation_edits,
    call_edits,
    statement_edits,
    statement_inserts,
    string_edits,
    collection_entries,
    sibling_edits,
)


def real_operations(
    source: bytes,
    tree: tree_sitter.Tree | None = None,
    region: tuple[int, int] | None = None,
    facts: FileFacts | None = None,
    policy: SearchPolicy | None = None,
    literals: Literals = (),
) -> list[EditOperation]:
    """Every operation of the corpus operators on `source` (or the byte range `region`), without
    duplicates, in source order. `facts`: the file's `file_facts`, if already known; `literals`:
    the failing tests' strings, ingredients for `repair.collection_entries`."""
    tree = tree or parse(source)
    policy = policy or SearchPolicy()
    facts = facts or file_facts(tree.root_node, source)
    ctx = OperatorContext(source, facts, policy, literals if policy.test_literal_entries else ())
    start, end = region or (0, len(source))
    limit = end + 1 if source[end : end + 1] == b"\n" else end  # a region's last line break
    seen: set[tuple[int, int, str]] = set()
    counts: Counter[str] = Counter()
    operations = []
    for node in _walk(tree.root_node, start, end):
        for module in _MODULES:
            for operation in module.operations_at(node, ctx):
                edit = operation.edit
                key = (edit.start, edit.end, edit.new)
                if key in seen or edit.new == edit.old or not start <= edit.start <= edit.end:
                    continue
                if edit.end > limit or counts[operation.kind] >= policy.max_generated_per_kind:
                    continue
                seen.add(key)
                counts[operation.kind] += 1
                operations.append(operation)
    operations.sort(key=lambda op: (op.edit.start, op.edit.end, op.kind, op.edit.new))
    return operations


def search_operations(
    source: bytes,
    tree: tree_sitter.Tree | None = None,
    region: tuple[int, int] | None = None,
    policy: SearchPolicy | None = None,
    attributes: dict[bool, list[str]] | None = None,
    facts: FileFacts | None = None,
    literals: Literals = (),
) -> list[EditOperation]:
    """Every edit `repair.rank` offers besides token replacements, on `source` (or the byte range
    `region`): `repair.edits`' structural edits, then, with `policy.real_operators`, the corpus
    operators. `attributes` / `facts`: the file's, if already known; `literals`: the failing
    tests' strings (`repair.test_literals`)."""
    tree = tree or parse(source)
    policy = policy or SearchPolicy()
    found = edit_operations(source, tree, region, attributes=attributes, policy=policy)
    if policy.real_operators:
        found += real_operations(source, tree, region, facts, policy, literals)
    return found


_NO_FACTS = FileFacts((), (), {}, frozenset(), (), {})  # entries read none of a file's facts


def table_operations(
    view, region: tuple[int, int], policy: SearchPolicy, literals: Literals
) -> list[EditOperation]:
    """The entries `repair.collection_entries` offers in the byte range `region` of a file
    (`view`: its `repair.rank.FileView`), the only edits tried in a data table."""
    if not (policy.real_operators and policy.test_literal_entries and literals):
        return []
    ctx = OperatorContext(view.source, _NO_FACTS, policy, literals)
    start, end = region
    return [
        operation
        for node in _walk(view.tree.root_node, start, end)
        if node.start_byte >= start and node.end_byte <= end
        for operation in collection_entries.operations_at(node, ctx)
    ]


def lines_around(source: bytes, low: int, high: int) -> tuple[int, int]:
    """The byte range of the lines from the one before `low`'s to the one after `high`'s."""
    start = source.rfind(b"\n", 0, max(0, source.rfind(b"\n", 0, low))) + 1
    end = source.find(b"\n", source.find(b"\n", high) + 1)
    return start, len(source) if end < 0 else end


def _walk(root: tree_sitter.Node, start: int, end: int):
    stack = [root]
    while stack:
        node = stack.pop()
        if node.end_byte <= start or node.start_byte >= end:
            continue
        yield node
        stack.extend(reversed(node.children))
