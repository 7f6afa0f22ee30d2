"""Evaluation variants `repair evaluate` does not offer: round-0 feedback, the split, round policies.

    python -m training.variants CHECKPOINT [--first-step-feedback on|off] [--split development]
        [--policy NAME:keep=fewer,min_wrong=0.5,stop_below=0,patience=0,max_iteration=2,freeze=1 ...] [--json OUT]

`--first-step-feedback off` evaluates a guided model's one-shot pass the log's way ("iteration 0,
no test feedback"); `on` gives it the tests' feedback in that pass. Policies (training/rounds.py)
are named rules for the rounds after it; `safe` and `raw` are the results page's two. Choose rules
on `--split development` (validation programs plus the HumanEval problems the run did not train
on); report `held_out` once.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.evaluate import SPLITS, evaluate_checkpoint
from training.rounds import RAW, SAFE, RoundPolicy


def parse_policy(text: str) -> RoundPolicy:
    """`NAME:key=value,...` (keys of RoundPolicy); `safe` and `raw` alone name the two defaults."""
    name, _, settings = text.partition(":")
    if not settings and name in ("safe", "raw"):
        return SAFE if name == "safe" else RAW
    values: dict = {}
    for item in filter(None, settings.split(",")):
        key, _, raw = item.partition("=")
        if key == "keep":
            values[key] = raw
        elif key in ("min_wrong", "stop_below"):
            values[key] = float(raw)
        elif key in ("patience", "max_iteration"):
            values[key] = int(raw)
        elif key == "freeze":
            values[key] = raw.lower() in ("1", "true", "yes", "on")
        else:
            raise ValueError(f"--policy {text!r}: unknown setting {key!r}")
    return RoundPolicy(name, **values)


def _switch(text: str) -> bool | None:
    return {"on": True, "off": False, "trained": None}[text]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument(
        "--first-step-feedback", choices=("on", "off", "trained"), default="trained"
    )
    parser.add_argument("--split", choices=SPLITS, default="held_out")
    parser.add_argument("--policy", action="append", default=[], help="repeatable")
    parser.add_argument("--levels", default="0.2,0.5,0.75")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--per-program", type=int, default=3)
    parser.add_argument("--programs", type=int, default=0, help="first N programs (0: all)")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    policies = [parse_policy(text) for text in args.policy] or [SAFE, RAW]
    if not any(p.name == "safe" for p in policies) or not any(p.name == "raw" for p in policies):
        policies = [SAFE, RAW, *[p for p in policies if p.name not in ("safe", "raw")]]
    result = evaluate_checkpoint(
        args.checkpoint,
        levels=tuple(float(x) for x in args.levels.split(",") if x),
        iterations=args.iterations,
        per_program=args.per_program,
        device=args.device,
        workers=args.workers,
        first_step_feedback=_switch(args.first_step_feedback),
        split=args.split,
        policies=policies,
        programs=args.programs,
    )
    print(result["text"])
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in result.items() if k != "text"}, indent=2))


if __name__ == "__main__":
    main()
