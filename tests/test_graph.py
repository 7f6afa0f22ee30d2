from __future__ import annotations

import torch
from torch_geometric.data import Batch

from repair.graph import EDGE_TYPES, build_graph
from repair.source import function_regions, parse, tokens
from repair.vocabulary import Vocabulary, node_types

SOURCE = b"""def area(width, height):
    total = width * height
    return total

def double(n):
    return n + n
"""


def make_graph(source: bytes = SOURCE, **kwargs):
    token_list = tokens(source)
    vocabulary = Vocabulary.build([t.text for t in token_list], min_count=1)
    graph, nodes = build_graph(source, token_list, vocabulary, **kwargs)
    return graph, nodes, token_list, vocabulary


def test_leaves_carry_their_token_and_previous_token() -> None:
    graph, nodes, token_list, vocabulary = make_graph()
    leaf_ids = [i for i, t in enumerate(nodes.node_token) if t >= 0]
    texts = [token_list[nodes.node_token[i]].text for i in leaf_ids]
    assert texts[:6] == ["def", "area", "width", "height", "total", "width"]
    # Punctuation is not a node.
    assert "(" not in texts and "," not in texts
    for before, after in zip(leaf_ids, leaf_ids[1:]):
        assert graph.x[after, 1] == graph.x[before, 0]
    assert vocabulary.lookup(int(graph.x[leaf_ids[1], 0])) == "area"


def test_edge_types_and_same_identifier_edges_stay_in_a_function() -> None:
    graph, nodes, token_list, _ = make_graph()
    assert int(graph.edge_attr.max()) < len(EDGE_TYPES)
    same = graph.edge_index[:, graph.edge_attr == EDGE_TYPES.index("same_identifier")]
    for a, b in same.t().tolist():
        ta, tb = token_list[nodes.node_token[a]], token_list[nodes.node_token[b]]
        assert ta.text == tb.text and ta.scope == tb.scope
    # width, height, total each used twice in area; n twice in double (+ its parameter)
    assert same.size(1) == 2 * (1 + 1 + 1 + 2)


def test_signal_follows_lines_and_regions_restrict_nodes() -> None:
    tree = parse(SOURCE)
    start, end, first, last = function_regions(tree)[1]
    graph, nodes, token_list, _ = make_graph(line_signal={6: 0.75}, tree=tree, region=(start, end))
    leaves = [token_list[t].text for t in nodes.node_token if t >= 0]
    assert leaves == ["def", "double", "n", "return", "n", "+", "n"]
    lines = {
        token_list[t].line: float(graph.signal[i]) for i, t in enumerate(nodes.node_token) if t >= 0
    }
    assert lines == {5: 0.0, 6: 0.75}
    assert (first, last) == (5, 6)


def test_batching_offsets_identifier_groups() -> None:
    g1, n1, *_ = make_graph()
    g2, n2, *_ = make_graph(b"x = y + x\n")
    batch = Batch.from_data_list([g1, g2])
    assert batch.ident_group.max().item() == len(n1.ident_names) + len(n2.ident_names) - 1
    assert batch.iteration.tolist() == [0, 0]
    assert torch.all(batch.x[:, 2] < len(node_types()))


def test_training_vocabulary_has_every_operator_even_unseen() -> None:
    from repair.source import OPERATOR_CLASSES
    from training.data import build_vocabulary

    vocabulary = build_vocabulary(["def f(a, b):\n    return a is b\n"] * 2, max_size=500)
    assert "is" in vocabulary and "f" in vocabulary  # seen twice
    for operators in OPERATOR_CLASSES.values():
        assert all(op in vocabulary for op in operators)  # `is not`, `**=`, ... never seen
