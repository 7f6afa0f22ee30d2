"""A program state → the model's view of it: run its tests, score lines, build the graph + targets.

This is the step a trajectory repeats: predict → apply → run the tests → recompute test signals.
It runs in worker processes, so everything here is plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from repair.executor import ExecutionResult
from repair.graph import CodeGraph, GraphNodes, build_graph
from repair.localize import FORMULAS
from repair.source import Token, TokenClass, is_repair_target, parse, tokens
from repair.vocabulary import Vocabulary
from training.decode import OptionTable, option_table


@dataclass
class Observation:
    graph: CodeGraph  # with targets attached when `original` was given
    nodes: GraphNodes
    token_list: list[Token]
    failing: int  # tests failing in this state
    total_tests: int
    failed_tests: tuple[int, ...]
    test_lines: tuple[frozenset[int], ...]  # lines each test executed (for the guided model)
    options: OptionTable  # the repair targets' same-class options, for batched decoding


def line_signal(result: ExecutionResult, kind: str) -> dict[int, float]:
    """Per-line test signal from one execution: Tarantula/Ochiai/DStar score or binary."""
    if kind == "none":
        return {}
    outcomes = result.outcomes
    failed = [o for o in outcomes if not o.passed]
    if not failed:
        return {}
    passed = [o for o in outcomes if o.passed]
    formula = FORMULAS[kind]
    lines: set[int] = set(result.module_lines)
    for outcome in outcomes:
        lines |= outcome.lines
    scores = {}
    for line in lines:
        at_import = line in result.module_lines  # run by every test, once, at import
        ef = len(failed) if at_import else sum(line in o.lines for o in failed)
        ep = len(passed) if at_import else sum(line in o.lines for o in passed)
        scores[line] = float(formula(ef, ep, len(failed), len(passed)))
    top = max(scores.values(), default=0.0)
    if top > 1.0:  # DStar is unbounded: scale into [0, 1] like the others
        scores = {line: score / top for line, score in scores.items()}
    return scores


def observe(
    source: bytes,
    result: ExecutionResult,
    vocabulary: Vocabulary,
    *,
    signal: str,
    iteration: int,
    original: Sequence[str] | None = None,
) -> Observation:
    """The graph of `source` with test signals from `result`.

    With `original` (the clean program's token texts, index-aligned with `source`'s tokens), the
    graph also carries training targets: `is_wrong` per node, `target_vocab` per node (-100 where
    there is nothing to learn), and `target_copy_group` / `target_copy_valid` per identifier query.
    """
    tree = parse(source)
    token_list = tokens(source, tree)
    graph, nodes = build_graph(
        source,
        token_list,
        vocabulary,
        tree=tree,
        line_signal=line_signal(result, signal),
        iteration=iteration,
    )
    count = graph.num_nodes
    target_mask = torch.zeros(count, dtype=torch.bool)
    for node, token_index in enumerate(nodes.node_token):
        if token_index >= 0 and is_repair_target(token_list[token_index]):
            target_mask[node] = True
    graph.target_mask = target_mask
    if original is not None:
        if len(original) != len(token_list):
            raise ValueError("corrupted and original programs are not token-aligned")
        is_wrong = torch.zeros(count)
        target_vocab = torch.full((count,), -100, dtype=torch.long)
        names = {name: group for group, name in enumerate(nodes.ident_names)}
        copy_group = torch.zeros(graph.ident_index.numel(), dtype=torch.long)
        copy_valid = torch.zeros(graph.ident_index.numel(), dtype=torch.bool)
        row_of = {int(node): row for row, node in enumerate(graph.ident_index.tolist())}
        for node, token_index in enumerate(nodes.node_token):
            if not target_mask[node]:
                continue
            token = token_list[token_index]
            want = original[token_index]
            if want == token.text:
                continue
            is_wrong[node] = 1.0
            if want in vocabulary:
                target_vocab[node] = vocabulary[want]
            if token.token_class == TokenClass.IDENTIFIER and want in names and node in row_of:
                copy_group[row_of[node]] = names[want]
                copy_valid[row_of[node]] = True
        graph.is_wrong = is_wrong
        graph.target_vocab = target_vocab
        graph.target_copy_group = copy_group
        graph.target_copy_valid = copy_valid
    failed = tuple(i for i, o in enumerate(result.outcomes) if not o.passed)
    return Observation(
        graph=graph,
        nodes=nodes,
        token_list=token_list,
        failing=len(failed),
        total_tests=len(result.outcomes),
        failed_tests=failed,
        test_lines=tuple(o.lines | result.module_lines for o in result.outcomes),
        options=option_table(token_list, nodes, graph, vocabulary),
    )
