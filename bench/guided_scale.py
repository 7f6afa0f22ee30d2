"""The guided model at scale: time and memory at 10,000+ nodes and 1,000+ tests.

    python bench/guided_scale.py [--device cuda] [--nodes 10000] [--tests 1000] [--repeats 3]

The graph is a real program (standard-library files parsed until the node count is reached); the
tests are synthetic: each covers a random run of lines, a tenth of them fail. Prints the median
forward and forward+backward time over `--repeats` runs, for the guided model and for the same
model with guidance off (Exp 3b) in the same process, and the peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sysconfig
import time
from pathlib import Path

import torch
from torch_geometric.data import Batch

from repair.graph import build_graph
from repair.models import build_model
from repair.models.guided_unet import TestFeedback
from repair.source import parse, tokens
from repair.vocabulary import Vocabulary
from training.config import apply_overrides, preset


def big_graph(nodes: int):
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    # about ten bytes of source per node: start from files of roughly the right size
    files = [p for p in stdlib.glob("*.py") if p.stat().st_size >= nodes * 8]
    for path in sorted(files, key=lambda p: p.stat().st_size):
        source = path.read_bytes()
        token_list = tokens(source, parse(source))
        vocabulary = Vocabulary.build([t.text for t in token_list], min_count=2)
        graph, _ = build_graph(source, token_list, vocabulary, line_signal={}, iteration=1)
        if graph.num_nodes >= nodes:
            return path.name, graph, vocabulary
    raise SystemExit(f"no standard-library file has {nodes} graph nodes")


def feedback_for(graph, tests: int, device, generator) -> TestFeedback:
    lines = graph.node_line
    top = int(lines.max())
    covers_tests, covers_nodes = [], []
    for test in range(tests):
        start = int(torch.randint(1, top, (1,), generator=generator))
        length = int(torch.randint(20, 400, (1,), generator=generator))
        nodes = ((lines >= start) & (lines < start + length)).nonzero().flatten()
        covers_nodes.append(nodes)
        covers_tests.append(torch.full_like(nodes, test))
    failed = (torch.rand(tests, generator=generator) < 0.1).float()
    return TestFeedback(
        test_failed=failed,
        test_batch=torch.zeros(tests, dtype=torch.long),
        test_id=torch.arange(tests).clamp(max=127),
        test_cover_index=torch.stack([torch.cat(covers_tests), torch.cat(covers_nodes)]),
    ).to(device)


def timed(function, repeats: int, device) -> float:
    times = []
    for _ in range(repeats + 1):  # the first run warms up (allocator, kernels)
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        function()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--tests", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    device = torch.device(args.device)
    name, graph, vocabulary = big_graph(args.nodes)
    generator = torch.Generator().manual_seed(0)
    feedback = feedback_for(graph, args.tests, device, generator)
    batch = Batch.from_data_list([graph]).to(device)
    print(
        f"{name}: {graph.num_nodes} nodes, {graph.edge_index.size(1)} edges, {args.tests} tests "
        f"({int(feedback.test_failed.sum())} failing), "
        f"{feedback.test_cover_index.size(1):,} (test, node) coverage pairs, device {device}"
    )
    for guided in (True, False):
        forward_s, train_s, peak, where = measure(
            guided, len(vocabulary), batch, feedback, device, args.repeats
        )
        label = "guided (exp3)        " if guided else "guidance off (exp3b) "
        print(
            f"{label} forward {forward_s * 1000:9.1f} ms   forward+backward "
            f"{train_s * 1000:9.1f} ms   peak {where} {peak:.2f} GiB"
        )
        if device.type == "cuda":  # the next model's peak must not count this one's memory
            torch.cuda.empty_cache()


def measure(guided: bool, vocab_size: int, batch, feedback, device, repeats: int):
    config = apply_overrides(preset("exp3"), [f"use_test_guidance={guided}"])
    torch.manual_seed(0)
    model = build_model(config.model_config(vocab_size)).to(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

    def forward():
        with torch.no_grad():
            model(batch, feedback)

    def forward_backward():
        output = model(batch, feedback)
        (output.token_logits.float().mean() + output.wrong_logits.float().mean()).backward()
        model.zero_grad(set_to_none=True)

    forward_s = timed(forward, repeats, device)
    train_s = timed(forward_backward, repeats, device)
    if device.type == "cuda":
        return forward_s, train_s, torch.cuda.max_memory_allocated(device) / 2**30, "GPU"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return forward_s, train_s, peak, "process RSS"


if __name__ == "__main__":
    main()
