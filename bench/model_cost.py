"""What a model costs in a cold `repair fix` (#8 item 5): per model choice, in a fresh process each
time, the wall time of `repair.fix` on a fixture, and inside it the model's parts: importing torch and
loading the checkpoint(s) (in a thread beside the first test run), what the search waits for
them, and the rankings (graphs and the model; the first one apart). The model's share of the
wall is (wait + rankings) / wall.

    python bench/model_cost.py --fixture fixtures/leaderboard_wrong_constant --runs 3 \
        --choice none --choice bundled --choice runs/realcode/realcode.pt
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(fixture: Path, choice: str) -> dict:
    """In this (fresh) process: fix a copy of `fixture` with `choice` timed part by part.

    `repair fix` imports torch and loads the checkpoint in a thread while the first test run
    goes on; `background` is that thread's time, `wait` what the search then waits for it."""
    began = time.perf_counter()
    timings = {"background": 0.0, "wait": 0.0, "rankings": 0.0, "first_ranking": 0.0, "calls": 0}
    import repair.fix as fix_module

    load_scorer, result = fix_module._load_scorer, fix_module._ModelLoader.result

    def timed_load_scorer(*args, **kwargs):
        start = time.perf_counter()
        try:
            return load_scorer(*args, **kwargs)
        finally:
            timings["background"] = time.perf_counter() - start
            _time_scoring(timings)

    def timed_result(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return result(self, *args, **kwargs)
        finally:
            timings["wait"] += time.perf_counter() - start

    fix_module._load_scorer = timed_load_scorer
    fix_module._ModelLoader.result = timed_result
    from repair.fix import RepairConfig, fix

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / fixture.name
        shutil.copytree(fixture, root)
        options = {"use_model": False} if choice == "none" else {}
        if choice not in ("none", "bundled"):
            options["model_paths"] = tuple(Path(part) for part in choice.split("+"))
        result = fix([root], [root / "tests"], RepairConfig(jobs=2, **options))
    wall = time.perf_counter() - began
    model = timings["wait"] + timings["rankings"]
    return {
        "choice": choice,
        "status": result.status,
        "candidates": result.candidates_tried,
        "wall": wall,
        **timings,
        "model_share": model / wall,
    }


def _time_scoring(timings: dict) -> None:
    """Time every model ranking (`score` of the scorer classes, once torch is in)."""
    import repair.score as score

    for cls in (score.ModelScorer, score.EnsembleScorer):
        original = cls.score

        def timed_score(self, *args, _original=original, **kwargs):
            start = time.perf_counter()
            try:
                return _original(self, *args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                if timings["calls"] == 0:
                    timings["first_ranking"] = spent
                timings["rankings"] += spent
                timings["calls"] += 1

        cls.score = timed_score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fixture", type=Path, default=ROOT / "fixtures/leaderboard_wrong_constant"
    )
    parser.add_argument(
        "--choice", action="append", default=[], help="none, bundled, or A.pt[+B.pt]"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # a child's single run
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(one_run(args.fixture.resolve(), args.one)))
        return 0
    for choice in args.choice or ["none", "bundled"]:
        runs = []
        for _ in range(args.runs):  # alternate processes: each run is cold
            command = [sys.executable, __file__, "--fixture", str(args.fixture), "--one", choice]
            output = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
            runs.append(json.loads(output.stdout.strip().splitlines()[-1]))
        median = {
            k: statistics.median(r[k] for r in runs)
            for k in runs[0]
            if k not in ("choice", "status")
        }
        print(
            f"{choice}: {runs[0]['status']}, {median['candidates']:.0f} candidates, wall "
            f"{median['wall']:.2f} s; torch import + checkpoint load {median['background']:.2f} s "
            f"(in a thread, beside the first test run), then waited for {median['wait']:.2f} s, "
            f"first ranking {median['first_ranking']:.3f} s, all {median['calls']:.0f} rankings "
            f"{median['rankings']:.3f} s; model share {median['model_share']:.1%} "
            f"(medians of {len(runs)} cold runs)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
