"""Evidence from the failing test's nearest passing neighbour (`repair.twin_evidence`)."""

from __future__ import annotations

from repair.source import parse
from repair.twin_evidence import controllers, twin_scores

CODE = b"""\
def group(tokens):
    has_as = False
    for token in tokens:
        if token.upper() == 'CREATE':
            create = True
        if token == 'AS':
            has_as = True
    if not has_as:
        return None
    try:
        x = 1
    except KeyError:
        x = 2
    else:
        x = 3
    return group_rest(tokens)
"""


def test_each_statement_knows_the_header_whose_block_holds_it():
    owners = controllers(parse(CODE))
    assert owners[4] == 3 and owners[5] == 4  # an if in a for, its body in the if
    assert owners[7] == 6 and owners[9] == 8
    assert owners[13] == 12  # an except's body
    assert 2 not in owners and 16 not in owners  # directly in the function body
    assert owners.get(11) is None and owners.get(15) is None  # try / else decide nothing


def test_the_header_where_the_failing_test_and_its_twin_part_scores():
    def ran(*lines):
        return {("g.py", line) for line in lines}

    coverage = {
        "t.py::test_as_lower": ran(2, 3, 4, 6, 8, 9),  # 'as': has_as stays False
        "t.py::test_as": ran(2, 3, 4, 6, 7, 8, 10, 11, 16),  # 'AS': the same way until line 6
        "t.py::test_create": ran(2, 3, 4, 6, 8, 9),  # runs alike, but is named for another case
    }
    spectra: dict = {}
    for nodeid, keys in coverage.items():
        for key in keys:
            spectra.setdefault(key, set()).add(nodeid)
    spectra = {key: frozenset(ids) for key, ids in spectra.items()}
    owners = {"g.py": controllers(parse(CODE))}
    failed = frozenset({"t.py::test_as_lower"})
    scores = twin_scores(spectra, failed, frozenset(coverage) - failed, owners)
    # the twin is test_as (the longer shared name), not test_create (the same statements);
    # line 7 (run by the twin only) is decided by line 6, line 9 by line 8; 10, 11 and 16 sit
    # directly in the function: no header decides them
    assert scores == {("g.py", 6): 0.5, ("g.py", 8): 0.5}
    assert twin_scores(spectra, failed, frozenset(), owners) == {}
