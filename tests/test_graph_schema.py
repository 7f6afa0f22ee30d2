"""The graph builder and the models agree on edge types and feature ranges (repair.graph_schema):
a graph with deep nesting, many siblings and every edge type runs through both model kinds."""

from __future__ import annotations

import torch

from repair.graph import build_graph
from repair.graph_schema import (
    DEPTH_VALUES,
    EDGE_TYPES,
    MAX_DEPTH,
    MAX_SIBLING,
    NUM_EDGE_TYPES,
    SIBLING_VALUES,
)
from repair.models import build_model
from repair.models.config import ModelConfig
from repair.source import tokens
from repair.vocabulary import Vocabulary, node_types

# 70 nested parentheses put leaves deeper than MAX_DEPTH; 80 call arguments give a node more
# children than MAX_SIBLING; the function uses names twice (same-identifier edges).
DEEP = "(" * 70 + "x" + ")" * 70
WIDE = ", ".join(f"a{i}" for i in range(80))
SOURCE = f"def f(x, a0):\n    y = {DEEP}\n    return g({WIDE}) + y + x\n".encode()


def _graph():
    token_list = tokens(SOURCE)
    vocabulary = Vocabulary.build([t.text for t in token_list], min_count=1)
    graph, _ = build_graph(SOURCE, token_list, vocabulary)
    return graph, vocabulary


def test_graph_features_stay_inside_the_models_embeddings() -> None:
    graph, _ = _graph()
    depth, sibling = graph.x[:, 3], graph.x[:, 4]
    assert int(depth.max()) == MAX_DEPTH < DEPTH_VALUES  # clipped, and the clip is reached
    assert int(sibling.max()) == MAX_SIBLING < SIBLING_VALUES
    assert NUM_EDGE_TYPES == len(EDGE_TYPES)
    assert set(graph.edge_attr.tolist()) == set(range(NUM_EDGE_TYPES))  # every type, no other


def test_both_model_kinds_embed_such_a_graph() -> None:
    graph, vocabulary = _graph()
    graph.batch = torch.zeros(graph.num_nodes, dtype=torch.long)
    for architecture, features in (("iterative", "exp1"), ("guided", "exp3")):
        config = ModelConfig(
            architecture=architecture,
            features=features,
            vocab_size=len(vocabulary),
            num_parent_types=len(node_types()) + 1,
            hidden=16,
            heads=2,
            attention_heads=2,
        )
        model = build_model(config).eval()
        assert model.encoder.depth.num_embeddings == DEPTH_VALUES
        with torch.no_grad():
            output = model(graph)
        assert output.wrong_logits.shape == (graph.num_nodes,)
