"""A function cut out of real code → its graph, with training targets when the clean version is
known: the one path by which pre-training, fine-tuning and the dev evaluation see a function.

The graph covers the function's `def` (as `repair fix`'s region graphs do, so depths match), its
file's module-level names ride along for the copy head, and the test signal is given per line.
Targets follow `training.environment.observe`: `is_wrong` per node, the right token's vocabulary id
(`target_vocab`, -100 where nothing is to learn) and its copy-head name (`target_copy_group`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import tree_sitter

from repair.graph import CodeGraph, GraphNodes, build_graph
from repair.source import Token, TokenClass, is_repair_target, parse, tokens
from repair.vocabulary import Vocabulary
from training.realfixes import function_region


@dataclass
class FunctionGraph:
    graph: CodeGraph
    nodes: GraphNodes
    token_list: list[Token]
    node_of: dict[int, int]  # token index -> graph node


def function_graph(
    source: bytes,
    vocabulary: Vocabulary,
    *,
    names: Sequence[str] = (),
    signal: Mapping[int, float] | None = None,
    original: Sequence[str] | None = None,
    tree: tree_sitter.Tree | None = None,
    cover: Sequence[int] = (),
) -> FunctionGraph | None:
    """The graph of the function in `source` (the whole text when it holds no function, or when
    the function misses a token of `cover`); with `original` (the clean token texts, aligned
    index by index), its targets. None if `original` is not token-aligned with `source`."""
    tree = tree or parse(source)
    token_list = tokens(source, tree)
    if original is not None and len(original) != len(token_list):
        return None
    region = function_region(tree)
    if region is not None and any(not region[0] <= token_list[i].start < region[1] for i in cover):
        region = None
    graph, nodes = build_graph(
        source,
        token_list,
        vocabulary,
        tree=tree,
        line_signal=signal or {},
        region=region,
        context_names=list(names),
    )
    node_of = {token: node for node, token in enumerate(nodes.node_token) if token >= 0}
    graph.target_mask = torch.tensor(
        [token >= 0 and is_repair_target(token_list[token]) for token in nodes.node_token],
        dtype=torch.bool,
    )
    if original is not None:
        _attach_targets(graph, nodes, token_list, original, vocabulary)
    return FunctionGraph(graph, nodes, token_list, node_of)


def _attach_targets(
    graph: CodeGraph,
    nodes: GraphNodes,
    token_list: Sequence[Token],
    original: Sequence[str],
    vocabulary: Vocabulary,
) -> None:
    count = graph.num_nodes
    is_wrong = torch.zeros(count)
    target_vocab = torch.full((count,), -100, dtype=torch.long)
    group_of = {name: group for group, name in enumerate(nodes.ident_names)}
    row_of = {int(node): row for row, node in enumerate(graph.ident_index.tolist())}
    copy_group = torch.zeros(len(row_of), dtype=torch.long)
    copy_valid = torch.zeros(len(row_of), dtype=torch.bool)
    for node in graph.target_mask.nonzero().flatten().tolist():
        token = token_list[nodes.node_token[node]]
        want = original[token.index]
        if want == token.text:
            continue
        is_wrong[node] = 1.0
        if want in vocabulary:
            target_vocab[node] = vocabulary[want]
        if token.token_class == TokenClass.IDENTIFIER and want in group_of and node in row_of:
            copy_group[row_of[node]] = group_of[want]
            copy_valid[row_of[node]] = True
    graph.is_wrong = is_wrong
    graph.target_vocab = target_vocab
    graph.target_copy_group = copy_group
    graph.target_copy_valid = copy_valid


def attach_span_targets(built: FunctionGraph, span: tuple[int, int]) -> None:
    """Targets of a structural bug: the repair targets inside the byte range `span` (the fixing
    operation's focus, which `repair.rank` reads P(wrong) from) are wrong, with nothing for the
    token head to learn."""
    graph, nodes = built.graph, built.nodes
    count, low, high = graph.num_nodes, span[0], span[1]
    is_wrong = torch.zeros(count)
    for node in graph.target_mask.nonzero().flatten().tolist():
        token = built.token_list[nodes.node_token[node]]
        if token.start >= low and token.end <= high:
            is_wrong[node] = 1.0
    rows = graph.ident_index.numel()
    graph.is_wrong = is_wrong
    graph.target_vocab = torch.full((count,), -100, dtype=torch.long)
    graph.target_copy_group = torch.zeros(rows, dtype=torch.long)
    graph.target_copy_valid = torch.zeros(rows, dtype=torch.bool)
