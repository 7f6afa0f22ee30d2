"""Source → graph: one `CodeGraph` (a PyG `Data`) per file or per function.

Nodes are tree-sitter nodes (punctuation dropped: it carries no information a model needs);
leaves carry their token text. Edge types reach the model as an edge feature. With a sub-token
vocabulary (`Vocabulary.subtokens`) identifier and string leaves also carry their words' ids
(`subtokens`), and the copy head's names are the region's own plus the file's module-level names
(`context_names`), each with its token and word ids (`name_tokens`): the names `repair.source.
candidates` offers a token, so every same-file name a fix may need can be pointed at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import tree_sitter
from torch_geometric.data import Data

from repair.graph_schema import (
    EDGE_TYPES,
    MAX_CONTEXT_NAMES,
    MAX_DEPTH,
    MAX_SIBLING,
    MAX_SUBTOKENS,
)
from repair.source import Token, TokenClass, is_leaf, parse
from repair.vocabulary import Vocabulary, node_type_ids, node_type_marker

_PARENT_TO_CHILD = EDGE_TYPES.index("parent_to_child")
_CHILD_TO_PARENT = EDGE_TYPES.index("child_to_parent")
_NEXT_TOKEN = EDGE_TYPES.index("next_token")
_PREVIOUS_TOKEN = EDGE_TYPES.index("previous_token")
_NEXT_SIBLING = EDGE_TYPES.index("next_sibling")
_PREVIOUS_SIBLING = EDGE_TYPES.index("previous_sibling")
_SAME_IDENTIFIER = EDGE_TYPES.index("same_identifier")

# Brackets, separators and the `=` of an assignment are structure, not choices a model makes.
PUNCTUATION = frozenset({"(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "->", "=", "\\"})
# leaves whose text is made of words worth splitting (sub-token vocabularies only)
_WORDY_TYPES = frozenset({"identifier", "string", "string_content"})


class CodeGraph(Data):
    """A PyG `Data` whose `ident_group` ids are offset per graph when batched."""

    def __inc__(self, key, value, *args, **kwargs):
        if key in ("ident_group", "target_copy_group"):
            return int(self.num_idents)
        return super().__inc__(key, value, *args, **kwargs)


@dataclass
class GraphNodes:
    """What each graph node stands for in the source, for mapping predictions back."""

    node_token: list[int]  # token index (into the token list) of a leaf node, -1 for inner nodes
    ident_names: list[str]  # the graph's distinct identifier names, by ident_group id
    region: tuple[int, int]  # byte range of the source the graph covers


def _keep(node: tree_sitter.Node) -> bool:
    return node.is_named or node.type not in PUNCTUATION


def build_graph(
    source: bytes,
    token_list: Sequence[Token],
    vocabulary: Vocabulary,
    *,
    tree: tree_sitter.Tree | None = None,
    line_signal: Mapping[int, float] | None = None,
    region: tuple[int, int] | None = None,
    iteration: int = 0,
    context_names: Sequence[str] | None = None,
) -> tuple[CodeGraph, GraphNodes]:
    """Build the graph of `source` (or of the nodes inside the byte range `region`).

    `token_list` must be `repair.source.tokens(source)`; `line_signal` maps 1-based lines to the
    test signal (Tarantula score, or 0/1 for the binary variant). `context_names` (sub-token
    vocabularies only): names the copy head covers beyond the region's own; None takes the
    file's module-level names from `token_list` (a function cut out of its file passes its
    file's names, as training does).
    """
    tree = tree or parse(source)
    line_signal = line_signal or {}
    start, end = region or (0, len(source))
    token_at = {(token.start, token.end): token for token in token_list}
    type_ids = node_type_ids()

    features: list[list[int]] = []
    signals: list[float] = []
    node_lines: list[int] = []
    node_token: list[int] = []
    edges: list[tuple[int, int, int]] = []
    leaves: list[int] = []  # graph node ids of leaves in source order
    ident_nodes: list[tuple[int, str, int]] = []  # (node, name, scope)
    texts: dict[int, str] = {}  # node -> text of identifier / string leaves (sub-tokens)

    root = tree.root_node
    if region is not None:
        root = root.descendant_for_byte_range(start, end) or root
        # Widen to the smallest node covering the whole region.
        while root.parent is not None and (root.start_byte > start or root.end_byte < end):
            root = root.parent

    # (node, parent graph id, depth, sibling index, scope)
    stack: list[tuple[tree_sitter.Node, int, int, int, int]] = [(root, -1, 0, 0, -1)]
    previous_sibling: dict[int, int] = {}  # parent graph id -> last child graph id
    while stack:
        node, parent_id, depth, sibling, scope = stack.pop()
        if node.type == "function_definition":
            scope = node.start_byte
        leaf = is_leaf(node)
        node_id = len(features)
        if leaf:
            token = token_at.get((node.start_byte, node.end_byte))
            text = token.text if token is not None else node.type
            node_token.append(token.index if token is not None else -1)
            leaves.append(node_id)
            if token is not None and token.token_class == TokenClass.IDENTIFIER:
                ident_nodes.append((node_id, token.text, scope))
            if token is not None and token.node_type in _WORDY_TYPES:
                texts[node_id] = token.text
        else:
            text = node_type_marker(node.type)
            node_token.append(-1)
        parent_type = node.parent.type if node.parent is not None else "<none>"
        features.append(
            [
                vocabulary[text],
                0,  # previous token: filled below once leaves are ordered
                type_ids.get(parent_type, 0),
                min(depth, MAX_DEPTH),
                min(sibling, MAX_SIBLING),
            ]
        )
        node_lines.append(node.start_point[0] + 1)
        signals.append(float(line_signal.get(node_lines[-1], 0.0)))
        if parent_id >= 0:
            edges.append((parent_id, node_id, _PARENT_TO_CHILD))
            edges.append((node_id, parent_id, _CHILD_TO_PARENT))
            if parent_id in previous_sibling:
                edges.append((previous_sibling[parent_id], node_id, _NEXT_SIBLING))
                edges.append((node_id, previous_sibling[parent_id], _PREVIOUS_SIBLING))
            previous_sibling[parent_id] = node_id
        if leaf:
            continue
        children = [child for child in node.children if _keep(child)]
        children = [c for c in children if c.end_byte > start and c.start_byte < end]
        for index in reversed(range(len(children))):
            stack.append((children[index], node_id, depth + 1, index, scope))

    # Depth-first pre-order visits leaves in source order, so `leaves` is ordered.
    previous_token = 0
    leaf_set = set(leaves)
    for node_id, row in enumerate(features):
        row[1] = previous_token
        if node_id in leaf_set:
            previous_token = row[0]
    for before, after in zip(leaves, leaves[1:]):
        edges.append((before, after, _NEXT_TOKEN))
        edges.append((after, before, _PREVIOUS_TOKEN))

    names: dict[str, int] = {}
    subtokens = vocabulary.subtokens
    last_use: dict[tuple[str, int], int] = {}
    ident_index, ident_group = [], []
    for node_id, name, scope in ident_nodes:
        group = names.setdefault(name, len(names))
        ident_index.append(node_id)
        ident_group.append(group)
        key = (name, scope)
        if key in last_use:
            edges.append((last_use[key], node_id, _SAME_IDENTIFIER))
            edges.append((node_id, last_use[key], _SAME_IDENTIFIER))
        last_use[key] = node_id

    if subtokens:
        if context_names is None:
            context_names = module_names(token_list, (start, end) if region else None)
        for name in context_names[:MAX_CONTEXT_NAMES]:
            names.setdefault(name, len(names))

    edge_tensor = torch.tensor(edges, dtype=torch.long).reshape(-1, 3)
    graph = CodeGraph(
        x=torch.tensor(features, dtype=torch.long).reshape(-1, 5),
        signal=torch.tensor(signals, dtype=torch.float),
        iteration=torch.tensor([iteration], dtype=torch.long),
        edge_index=edge_tensor[:, :2].t().contiguous(),
        edge_attr=edge_tensor[:, 2].contiguous(),
        ident_index=torch.tensor(ident_index, dtype=torch.long),
        ident_group=torch.tensor(ident_group, dtype=torch.long),
        num_idents=len(names),
        node_token=torch.tensor(node_token, dtype=torch.long),
        node_line=torch.tensor(node_lines, dtype=torch.long),
    )
    if subtokens:
        graph.subtokens = _word_ids(texts, len(features), vocabulary)
        name_words = _word_ids(dict(enumerate(names)), len(names), vocabulary)
        name_ids = torch.tensor([vocabulary[name] for name in names], dtype=torch.long)
        graph.name_tokens = torch.cat([name_ids.view(-1, 1), name_words], dim=1)
    return graph, GraphNodes(node_token=node_token, ident_names=list(names), region=(start, end))


def module_names(token_list: Sequence[Token], region: tuple[int, int] | None = None) -> list[str]:
    """Distinct module-level identifier names (scope -1: what `repair.source.candidates` offers
    beside a function's own names) outside `region`, in source order."""
    seen: dict[str, None] = {}
    for token in token_list:
        if token.token_class == TokenClass.IDENTIFIER and token.scope == -1:
            if region is None or not region[0] <= token.start < region[1]:
                seen[token.text] = None
    return list(seen)


def _word_ids(texts: Mapping[int, str], rows: int, vocabulary: Vocabulary) -> torch.Tensor:
    """(rows, MAX_SUBTOKENS) word ids of the rows `texts` names, 0-padded elsewhere."""
    table = [[0] * MAX_SUBTOKENS for _ in range(rows)]
    for row, text in texts.items():
        ids = vocabulary.subtoken_ids(text, MAX_SUBTOKENS)
        table[row][: len(ids)] = ids
    return torch.tensor(table, dtype=torch.long).reshape(rows, MAX_SUBTOKENS)
