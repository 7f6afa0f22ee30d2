"""Evidence from the failing test's nearest passing neighbour (Renieris and Reiss, "Fault
localization with nearest neighbor queries", ASE 2003).

A failing test usually has a passing twin: the same call with other data (`'... AS SELECT'`
passes, `'... as select'` fails). Where their runs part, a branch decided differently: a
statement one of them ran and the other did not sits in the block of a header (`if`, `elif`,
`while`, `for`, `except`, ...) that both ran, and that header is where the two took different
ways. For each failing test, its twin is the passing test with the longest node id prefix in
common (a test named after it, another case of its parametrized test), and among those the one
whose statements are most alike (Jaccard). Every header that decides a difference between the
two scores `1 / (the headers that do)`, so a sharp divergence counts more than a broad one;
averaged over failing tests. In [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping

import tree_sitter

from repair.evidence import UnitKey
from repair.statements import COMPOUND

_DECIDES = COMPOUND - {"function_definition", "class_definition"}


def controllers(tree: tree_sitter.Tree) -> dict[int, int]:
    """First line of each statement in a block -> first line of the compound statement whose
    block (or `else` / `finally` part) holds it; statements directly in a function, class or
    module body have none."""
    found: dict[int, int] = {}
    stack: list[tuple[tree_sitter.Node, int | None]] = [(tree.root_node, None)]
    while stack:
        node, owner = stack.pop()
        if node.type in ("function_definition", "class_definition"):
            owner = None
        elif node.type in _DECIDES:
            if owner is not None:
                found.setdefault(node.start_point[0] + 1, owner)
            owner = node.start_point[0] + 1
        elif node.is_named and owner is not None and node.parent is not None:
            if node.parent.type == "block":
                found.setdefault(node.start_point[0] + 1, owner)
        for child in node.children:
            stack.append((child, owner))
    return found


def twin_scores(
    spectra: Mapping[UnitKey, frozenset[str]],
    failed: frozenset[str],
    passed: frozenset[str],
    owners: Mapping[str, Mapping[int, int]],
) -> dict[UnitKey, float]:
    """Per header, the share of failing tests whose twin parts from them there (each test's
    headers splitting one point). `spectra`: the tests that ran each statement; `owners`: per
    path, `controllers` of its tree."""
    ran: dict[str, set[UnitKey]] = {}
    for key, nodeids in spectra.items():
        for nodeid in nodeids:
            ran.setdefault(nodeid, set()).add(key)
    candidates = [(nodeid, ran[nodeid]) for nodeid in sorted(passed) if nodeid in ran]
    totals: dict[UnitKey, float] = {}
    for nodeid in sorted(failed):
        mine = ran.get(nodeid)
        if not mine or not candidates:
            continue
        twin = max(candidates, key=lambda item: _likeness(nodeid, mine, item))[1]
        both = mine & twin
        deciding = set()
        for path, first in mine ^ twin:
            line = owners.get(path, {}).get(first)
            while line is not None and (path, line) not in both:
                line = owners[path].get(line)
            if line is not None:
                deciding.add((path, line))
        for key in deciding:
            totals[key] = totals.get(key, 0.0) + 1.0 / len(deciding)
    return {key: total / len(failed) for key, total in totals.items()} if failed else {}


def _likeness(nodeid: str, mine: set[UnitKey], item: tuple[str, set[UnitKey]]) -> tuple:
    """How alike a passing test is: first its shared node id prefix (a test named after this
    one, a case of the same parametrized test), then the Jaccard index of their statements."""
    other, theirs = item
    shared = next(
        (i for i, (a, b) in enumerate(zip(nodeid, other)) if a != b), min(len(nodeid), len(other))
    )
    return shared, len(mine & theirs) / len(mine | theirs)
