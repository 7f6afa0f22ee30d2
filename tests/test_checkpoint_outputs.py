"""Every committed checkpoint loads and gives the outputs it gave before the sub-token options
existed: tests/data/checkpoint_outputs.json was written by the code of commit 01f7d53 (the model
and graph code before them) on two fixture files, a fixed per-line signal, refinement round 1.
exp2.pt's entry is the full-schedule Exp 2 of 2026-12-06, written by the code of 00c5368."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch_geometric.data import Batch

from repair.checkpoint import load_checkpoint
from repair.graph import build_graph
from repair.models.guided_unet import GuidedIterativeGraphUNet
from repair.source import parse, tokens

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = json.loads((ROOT / "tests" / "data" / "checkpoint_outputs.json").read_text())
FILES = [
    "fixtures/leaderboard_wrong_constant/leaderboard.py",
    "fixtures/interval_merge_wrong_comparison/intervals.py",
]


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_committed_checkpoint_outputs_are_unchanged(name: str):
    checkpoint = load_checkpoint(ROOT / "models" / name)
    graphs = []
    for file in FILES:
        source = (ROOT / file).read_bytes()
        tree = parse(source)
        graph, _ = build_graph(
            source,
            tokens(source, tree),
            checkpoint.vocabulary,
            tree=tree,
            line_signal={line: (line % 5) / 5 for line in range(400)},
            iteration=1,
        )
        graphs.append(graph)
    batch = Batch.from_data_list(graphs)
    model = checkpoint.model
    with torch.no_grad():
        output = model(batch, None) if isinstance(model, GuidedIterativeGraphUNet) else model(batch)
    golden = GOLDEN[name]
    assert (batch.num_nodes, batch.ident_index.numel()) == (golden["nodes"], golden["names"])
    assert output.wrong_logits[:40].tolist() == pytest.approx(golden["wrong_logits"], abs=2e-3)
    assert output.copy_gate[:20].tolist() == pytest.approx(golden["copy_gate"], abs=2e-3)
    top = output.token_logits.argmax(-1).tolist()
    assert sum(a != b for a, b in zip(top, golden["top_token"])) <= 2  # float ties may flip
    assert float(output.token_logits.double().sum()) == pytest.approx(
        golden["token_logits_sum"], rel=1e-5
    )
    copy_sum = float(output.copy_logits.double().nan_to_num(0, 0, 0).sum())
    assert copy_sum == pytest.approx(golden["copy_logits_sum"], rel=1e-5)
