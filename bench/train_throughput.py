"""Training throughput: graphs per second end to end (tests executed at every trajectory step),
and where the time goes per program state.

    python bench/train_throughput.py [--programs 64] [--hidden 256] [--device cpu] [--workers 0]

Prints the cost of each stage on the same states (median of 3 passes), the end-to-end figure of a
one-epoch training run in the same process, and the H200 figures recorded in models/curves/.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

import torch

from repair.models import build_model
from repair.source import parse, tokens
from training.config import apply_overrides, preset
from training.corruption import corrupt
from training.data import build_vocabulary, load_splits
from training.decode import decode
from training.train import train
from training.trajectory import Environment, State, collate, run_model, trajectory_loss


def median_time(function, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--programs", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    config = apply_overrides(
        preset("exp4"), [f"train_samples={args.programs}", "val_samples=8", f"hidden={args.hidden}"]
    )
    splits = load_splits(config)
    vocabulary = build_vocabulary([p.source for p in splits.train], config.vocab_size)
    rng = random.Random(0)
    states = []
    for index, program in enumerate(splits.train):
        source = program.source.encode()
        original = tuple(t.text for t in tokens(source, parse(source)))
        states.append(State(index, corrupt(source, 0.5, rng).source, original, 0))
    device = torch.device(args.device)
    model = build_model(config.model_config(len(vocabulary))).to(device)
    n = len(states)
    print(f"{n} program states (HumanEval training split, 50 % corruption), device {device}")
    with Environment(
        splits.train, vocabulary, "tarantula", workers=args.workers, timeout=config.test_timeout
    ) as env:
        jobs = [(s.source.decode(), splits.train[s.program].tests) for s in states]
        execute = median_time(lambda: (env.clear_cache(), env.run_tests(jobs)))
        results = env.run_tests(jobs)
        tasks = [(s.source, r, 0, s.original) for s, r in zip(states, results)]
        build = median_time(lambda: env.observe_tasks(tasks))
        observations = env.observe_tasks(tasks)
        batch = collate(observations, device)

        def step():
            output = run_model(model, observations, batch, use_feedback=True)
            loss, _ = trajectory_loss(output, batch, 9.0)
            loss.backward()
            if device.type == "cuda":
                torch.cuda.synchronize()

        model_time = median_time(step)
        with torch.no_grad():
            output = run_model(model, observations, batch, use_feedback=True)
        tables = [o.options for o in observations]
        propose_time = median_time(lambda: decode(output, batch, tables))
    per = lambda seconds: f"{seconds / n * 1000:7.2f} ms/state"  # noqa: E731
    print(f"run tests (executor, uncached)  {per(execute)}")
    print(f"build graphs (+targets)         {per(build)}")
    print(f"model forward+backward          {per(model_time)}")
    print(f"decode (best option per token)  {per(propose_time)}")
    total = execute + build + model_time + propose_time
    print(
        f"sum of stages                   {per(total)}  -> {n / total:.1f} graphs/s if run one after another"
    )

    # End to end: the same one-epoch run with one batch in flight (stages one after another) and
    # with several (tests, graphs and model steps overlapping), in this process.
    for lanes in (1, 3):
        summary = train(
            apply_overrides(
                config,
                [
                    "epochs=1",
                    f"device={args.device}",
                    f"workers={args.workers}",
                    "val_corruptions=1",
                    f"batch_size={args.batch_size}",
                    f"lanes={lanes}",
                ],
            ),
            f"/tmp/repair-bench-train-{lanes}",
            progress=lambda line: None,
        )
        print(
            f"end to end, one epoch of training, {lanes} batch(es) in flight: "
            f"{summary['graphs_per_second']:.1f} graphs/s (training steps; validation excluded)"
        )
    curves = Path(__file__).resolve().parent.parent / "models" / "curves"
    for path in sorted(curves.glob("*.summary.json")):
        recorded = json.loads(path.read_text())
        print(
            f"recorded by the bundled run {path.name.split('.')[0]} (H200; machine and sharing in "
            "training/RESULTS.md): "
            f"{recorded['graphs_per_second']:.1f} graphs/s"
        )


if __name__ == "__main__":
    main()
