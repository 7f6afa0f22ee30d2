"""Sub-token vocabularies and the graphs built with them: words per identifier / string leaf,
and the copy head's names widened to the file's module-level names."""

from __future__ import annotations

import torch

from repair.graph import build_graph, module_names
from repair.graph_schema import MAX_SUBTOKENS
from repair.source import function_regions, parse, tokens
from repair.vocabulary import SUBTOKEN_MARKER, Vocabulary, split_subtokens

SOURCE = b"""import os
from pathlib import Path

DEFAULT_ROOT = "/tmp/cache"


def cache_path(name):
    base = Path(DEFAULT_ROOT)
    return base / name


def remove_cached(name):
    target = cache_path(name)
    os.remove(target)
"""


def vocabulary_of(source: bytes, subtokens: bool = True) -> Vocabulary:
    token_list = tokens(source)
    words = [w for t in token_list for w in split_subtokens(t.text)] if subtokens else None
    return Vocabulary.build([t.text for t in token_list], min_count=1, subtokens=words)


def test_split_subtokens_on_case_underscores_and_digits():
    assert split_subtokens("getHTTPValue_2") == ["get", "http", "value", "2"]
    assert split_subtokens("XMLParser") == ["xml", "parser"]
    assert split_subtokens("__init__") == ["init"]
    assert split_subtokens('"Hello, world"') == ["hello", "world"]
    assert split_subtokens("+=") == []


def test_a_subtoken_vocabulary_carries_its_marker_and_the_words():
    vocabulary = vocabulary_of(SOURCE)
    assert vocabulary.subtokens and vocabulary.itos[2] == SUBTOKEN_MARKER
    assert "remove" in vocabulary and "cached" in vocabulary  # words of remove_cached
    assert vocabulary.subtoken_ids("remove_cached", 4) == [
        vocabulary["remove"],
        vocabulary["cached"],
    ]
    assert vocabulary.subtoken_ids("unknownWordsOnly", 4) == []
    plain = vocabulary_of(SOURCE, subtokens=False)
    assert not plain.subtokens and SUBTOKEN_MARKER not in plain
    # a reloaded list is the same vocabulary, marker and all
    assert Vocabulary(vocabulary.to_list()).subtokens


def test_graphs_of_an_older_vocabulary_gain_nothing():
    plain = vocabulary_of(SOURCE, subtokens=False)
    graph, nodes = build_graph(SOURCE, tokens(SOURCE), plain)
    assert "subtokens" not in graph and "name_tokens" not in graph


def test_leaves_carry_their_words_and_the_copy_head_the_files_names():
    vocabulary = vocabulary_of(SOURCE)
    token_list = tokens(SOURCE)
    tree = parse(SOURCE)
    start, end, _, _ = function_regions(tree)[1]  # remove_cached
    graph, nodes = build_graph(SOURCE, token_list, vocabulary, tree=tree, region=(start, end))
    assert graph.subtokens.shape == (graph.num_nodes, MAX_SUBTOKENS)
    node = next(
        n for n, t in enumerate(nodes.node_token) if t >= 0 and token_list[t].text == "cache_path"
    )
    assert graph.subtokens[node, :2].tolist() == [vocabulary["cache"], vocabulary["path"]]
    assert graph.subtokens[node, 2:].eq(0).all()
    # the region's own names first, then module-level names it does not use
    own = ["remove_cached", "name", "target", "cache_path", "os", "remove"]
    assert nodes.ident_names[: len(own)] == own
    assert {"Path", "DEFAULT_ROOT", "pathlib"} <= set(nodes.ident_names[len(own) :])
    assert graph.num_idents == len(nodes.ident_names)
    assert graph.name_tokens.shape == (len(nodes.ident_names), 1 + MAX_SUBTOKENS)
    row = nodes.ident_names.index("DEFAULT_ROOT")
    assert graph.name_tokens[row, 0] == vocabulary["DEFAULT_ROOT"]
    assert graph.name_tokens[row, 1:3].tolist() == [vocabulary["default"], vocabulary["root"]]


def test_context_names_can_be_given_for_a_function_cut_out_of_its_file():
    function = SOURCE[SOURCE.index(b"def remove_cached") :]
    vocabulary = vocabulary_of(SOURCE)
    graph, nodes = build_graph(
        function, tokens(function), vocabulary, context_names=["Path", "os", "LATER"]
    )
    assert nodes.ident_names[-2:] == ["Path", "LATER"]  # os is the function's own already
    assert module_names(tokens(SOURCE))[:3] == ["os", "pathlib", "Path"]


def test_batched_graphs_keep_names_per_graph():
    from torch_geometric.data import Batch

    vocabulary = vocabulary_of(SOURCE)
    token_list = tokens(SOURCE)
    regions = function_regions(parse(SOURCE))
    built = [build_graph(SOURCE, token_list, vocabulary, region=(r[0], r[1])) for r in regions]
    batch = Batch.from_data_list([graph for graph, _ in built])
    total = sum(len(nodes.ident_names) for _, nodes in built)
    assert batch.name_tokens.size(0) == total == int(torch.as_tensor(batch.num_idents).sum())
    assert int(batch.ident_group.max()) < len(built[0][1].ident_names) + len(
        built[1][1].ident_names
    )
