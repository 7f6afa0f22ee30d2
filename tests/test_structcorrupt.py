"""Structural corruption for training: each bug is undone by an operation the search offers, and
its labels sit on that operation's focus."""

from __future__ import annotations

import random

import torch

from repair.edits import EditKind
from repair.operators import search_operations
from repair.source import apply_edits, parse
from training.realdata import build_vocabulary
from training.realgraph import attach_span_targets, function_graph
from training.structcorrupt import FIX_OF, corrupt_structural, fix_ratio, kind_weights

SOURCE = b"""def total(items, limit):
    result = 0
    for item in items:
        if item is None:
            continue
        result += abs(item.size())
    if result > limit:
        raise ValueError("too large")
    return result
"""


def test_every_bug_parses_and_its_fix_is_an_operation_that_gives_the_clean_text_back():
    kinds, made = set(), 0
    for seed in range(40):
        bug = corrupt_structural(SOURCE, random.Random(seed))
        if bug is None:  # three draws the search could not undo
            continue
        made += 1
        assert bug.source != SOURCE and not parse(bug.source).root_node.has_error
        assert apply_edits(bug.source, [bug.fix.edit]) == SOURCE
        offered = search_operations(bug.source, bug.tree)
        assert any(op.edit == bug.fix.edit and op.kind == bug.fix.kind for op in offered)
        low, high = bug.fix.focus
        assert 0 <= low < high <= len(bug.source)
        kinds.add(bug.fix.kind)
    assert made >= 30 and len(kinds) >= 4  # not one kind only


def test_the_same_seed_gives_the_same_bug():
    first = corrupt_structural(SOURCE, random.Random(7))
    again = corrupt_structural(SOURCE, random.Random(7))
    assert first is not None and again is not None
    assert (first.source, first.fix) == (again.source, again.fix)


def test_kinds_are_weighted_by_the_fix_that_undoes_them():
    clean = search_operations(SOURCE)
    weights = kind_weights(clean)
    assert EditKind.INSERT_STATEMENT in weights  # undone by delete_statement
    assert EditKind.INSERT_RETURN not in weights  # no operator undoes it
    assert FIX_OF[EditKind.INSERT_STATEMENT] == EditKind.DELETE_STATEMENT
    offsets = {EditKind.ADD_ONE, EditKind.SUBTRACT_ONE, EditKind.REMOVE_OFFSET}
    assert all(FIX_OF[FIX_OF[kind]] == kind for kind in set(FIX_OF) - offsets)
    assert fix_ratio(EditKind.SWAP_OPERANDS) == 1.0  # repair.edits' kinds pooled are the unit
    assert fix_ratio(EditKind.DELETE_STATEMENT) > fix_ratio(EditKind.INSERT_STATEMENT)


def test_labels_are_the_repair_targets_inside_the_focus_and_nothing_for_the_token_head():
    bug = corrupt_structural(SOURCE, random.Random(3))
    assert bug is not None
    vocabulary = build_vocabulary([SOURCE.decode()], 200)
    built = function_graph(bug.source, vocabulary, tree=bug.tree)
    attach_span_targets(built, bug.fix.focus)
    graph, low, high = built.graph, *bug.fix.focus
    wrong = {
        built.token_list[built.nodes.node_token[node]].text
        for node in graph.is_wrong.nonzero().flatten().tolist()
    }
    inside = {
        built.token_list[built.nodes.node_token[node]].text
        for node in graph.target_mask.nonzero().flatten().tolist()
        if low <= built.token_list[built.nodes.node_token[node]].start
        and built.token_list[built.nodes.node_token[node]].end <= high
    }
    assert wrong == inside and wrong
    assert bool((graph.target_vocab == -100).all()) and not graph.target_copy_valid.any()
    assert graph.is_wrong.dtype == torch.float32
