"""The dev evaluation on mined real fixes, no execution needed (BugLab's measures):

- localization: the edited token is ranked first among the function's repair targets by P(wrong);
- repair given the location: at the edited token, the best same-class option is the human's;
- joint: both.

On the dev split's single-token fixes the model's edit space can express (`training.realfixes`),
side by side for any checkpoints (several averaged as `repair.score.EnsembleScorer` does), the
bundled pair, and a frequency baseline; each function gets the same noisy localization signal
(`training.realcorrupt.noisy_signal`, seeded per fix). Localization is also reported on every
aligned dev fix (the human's replacement need not be expressible to be found).

    python -m training.evaluate_real --model runs/realcode/last.pt --bundled --baseline \
        --git-root /work/.mirror --data runs/realdata
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch_geometric.data import Batch

from repair.checkpoint import default_model_paths, load_checkpoint
from repair.models.guided_unet import GuidedIterativeGraphUNet
from repair.predict import propose
from repair.source import TokenClass, is_repair_target
from training.realcode import RealCodePolicy, cache_dir
from training.realcorrupt import FixDistribution, noisy_signal
from training.realfixes import FixExample, fix_examples, options_for
from training.realgraph import function_graph

# Per example: {token index: P(wrong)} over the repair targets, and the best option per target.
View = tuple[dict[int, float], dict[int, str]]


@dataclass(frozen=True)
class Case:
    """One example as every scorer sees it: the buggy function, its signal, the answer."""

    example: FixExample
    signal: dict[int, float]


def make_cases(examples: Sequence[FixExample], seed: int = 0) -> list[Case]:
    cases = []
    for example in examples:
        source = example.before.encode()
        lines = source.count(b"\n") + 1
        edited = _edited_lines(example)
        rng = random.Random(f"{seed}:{example.repo}:{example.commit}:{example.path}")
        cases.append(Case(example, noisy_signal(edited, lines, rng)))
    return cases


def _edited_lines(example: FixExample) -> list[int]:
    from repair.source import tokens

    token_list = tokens(example.before.encode())
    return sorted({token_list[index].line for index, _, _ in example.edits})


class ModelViews:
    """Models' views of cases, averaged: mean P(wrong) per token, mean P(option). Members are
    anything with `model` and `vocabulary` (a `repair.checkpoint.Checkpoint`)."""

    def __init__(self, members: Sequence, batch_size: int = 16, device: str | torch.device = "cpu"):
        self.checkpoints = list(members)
        self.batch_size = batch_size
        self.device = device

    @classmethod
    def load(cls, paths: Sequence[str | Path], device: str = "cpu") -> ModelViews:
        return cls([load_checkpoint(path, device) for path in paths], device=device)

    @torch.no_grad()
    def views(self, cases: Sequence[Case]) -> list[View]:
        share = 1.0 / len(self.checkpoints)
        wrong: list[dict[int, float]] = [{} for _ in cases]
        options: list[dict[int, dict[str, float]]] = [{} for _ in cases]
        for checkpoint in self.checkpoints:
            for start in range(0, len(cases), self.batch_size):
                chunk = cases[start : start + self.batch_size]
                for offset, (w, o) in enumerate(self._score(checkpoint, chunk)):
                    for token, p in w.items():
                        wrong[start + offset][token] = (
                            wrong[start + offset].get(token, 0) + share * p
                        )
                    into = options[start + offset]
                    for token, ranked in o.items():
                        slot = into.setdefault(token, {})
                        for text, p in ranked:
                            slot[text] = slot.get(text, 0.0) + share * p
        return [
            (w, {token: max(by_text, key=by_text.get) for token, by_text in o.items() if by_text})
            for w, o in zip(wrong, options)
        ]

    def _score(self, checkpoint, cases: Sequence[Case]):
        built, caches = [], []
        for case in cases:
            example = case.example
            graph = function_graph(
                example.before.encode(),
                checkpoint.vocabulary,
                names=example.names,
                signal=case.signal,
                cover=[index for index, _, _ in example.edits],
            )
            # the options `repair fix` would offer in the whole file (its module-level names too)
            cache = {}
            for token in graph.token_list:
                key = (token.token_class, token.scope, token.text)
                if is_repair_target(token) and key not in cache:
                    cache[key] = options_for(token, graph.token_list, example.names)
            built.append(graph)
            caches.append(cache)
        batch = Batch.from_data_list([g.graph for g in built]).to(self.device)
        model = checkpoint.model
        output = model(batch, None) if isinstance(model, GuidedIterativeGraphUNet) else model(batch)
        proposals = propose(
            output,
            batch.ptr.cpu(),
            [g.nodes for g in built],
            [g.token_list for g in built],
            checkpoint.vocabulary,
            ident_index=batch.ident_index.cpu(),
            smoothing=0.0,
            option_caches=caches,
        )
        return [
            ({p.token.index: p.wrong for p in found}, {p.token.index: p.options for p in found})
            for found in proposals
        ]


def frequency_views(cases: Sequence[Case], distribution: FixDistribution) -> list[View]:
    """The baseline: P(wrong) = the line's signal times how often the train fixes edit a token
    of that class; the option the train fixes most often turned that text into, else the name
    the function uses most, else the first option."""
    from repair.source import tokens

    fixed_to: dict[str, dict[str, int]] = {}
    for table in distribution.transitions.values():
        for clean, buggy in table.items():
            for old, count in buggy.items():
                fixed_to.setdefault(old, {})[clean] = fixed_to.get(old, {}).get(clean, 0) + count
    views = []
    for case in cases:
        token_list = tokens(case.example.before.encode())
        uses: dict[str, int] = {}
        for token in token_list:
            uses[token.text] = uses.get(token.text, 0) + 1
        wrong, best = {}, {}
        for token in token_list:
            if not is_repair_target(token):
                continue
            options = options_for(token, token_list, case.example.names)
            if not options:
                continue
            rate = distribution.edit_rates.get(token.token_class.value, 0.0)
            wrong[token.index] = case.signal.get(token.line, 0.0) * rate + 1e-6 * rate
            known = {text: n for text, n in fixed_to.get(token.text, {}).items() if text in options}
            if known:
                best[token.index] = max(known, key=known.get)
            elif token.token_class == TokenClass.IDENTIFIER:
                best[token.index] = max(options, key=lambda text: uses.get(text, 0))
            else:
                best[token.index] = options[0]
        views.append((wrong, best))
    return views


def score(cases: Sequence[Case], views: Sequence[View]) -> dict[str, float]:
    """Shares of cases localized, repaired at the location, and both (single-edit cases); and
    over every case, the edited token (any of them) ranked first."""
    located = repaired = joint = 0
    for case, (wrong, best) in zip(cases, views):
        edited = {index: new for index, _, new in case.example.edits}
        top = max(wrong, key=lambda token: (wrong[token], -token)) if wrong else None
        hit = top in edited
        index, _, new = case.example.edits[0]
        fixed = best.get(index) == new
        located += hit
        repaired += fixed
        joint += hit and fixed and len(edited) == 1
    total = max(1, len(cases))
    return {
        "cases": len(cases),
        "localization": located / total,
        "repair_at_location": repaired / total,
        "joint": joint / total,
    }


def dev_examples(git_root: Path | None, split: str = "dev") -> tuple[list[FixExample], dict]:
    """The split's aligned fixes (cached: reading each file's names takes a minute)."""
    path = cache_dir() / f"{split}_examples-{RealCodePolicy().key()}.json.gz"
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            saved = json.load(handle)
        return [FixExample.from_json(item) for item in saved["examples"]], saved["counts"]
    examples, counts = fix_examples(split, git_root)
    if git_root is not None:  # only a complete build is cached
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            json.dump({"examples": [e.to_json() for e in examples], "counts": counts}, handle)
    return examples, counts


def interval(share: float, count: int) -> float:
    """Half-width of a 95 % normal interval for a share of `count` cases."""
    return 1.96 * math.sqrt(max(share * (1 - share), 1e-9) / max(1, count))


def evaluate(
    rows: Sequence[tuple[str, Callable[[Sequence[Case]], list[View]]]],
    examples: Sequence[FixExample],
    counts: dict,
) -> tuple[str, dict]:
    single = [e for e in examples if e.expressible and len(e.edits) == 1]
    cases_single, cases_aligned = make_cases(single), make_cases(examples)
    results: dict = {"counts": counts, "rows": {}}
    fixes = counts.get("fixes", 0) or 1
    lines = [
        f"dev mined fixes: {counts.get('fixes')} fixes, {len(examples)} aligned (every edit a "
        f"same-class replacement), {len(single)} single-token and expressible "
        f"({len(single) / fixes:.1%} of all fixes: the headline set)",
        "",
        f"{'scorer':<34} {'loc':>7} {'repair@loc':>11} {'joint':>7}   {'loc (all aligned)':>17}",
    ]
    for name, views_of in rows:
        headline = score(cases_single, views_of(cases_single))
        aligned = score(cases_aligned, views_of(cases_aligned))
        results["rows"][name] = {"expressible_single": headline, "aligned": aligned}
        half = interval(headline["joint"], headline["cases"])
        lines.append(
            f"{name:<34} {headline['localization']:>7.1%} {headline['repair_at_location']:>11.1%}"
            f" {headline['joint']:>7.1%}   {aligned['localization']:>17.1%}"
            f"   (joint ±{half:.1%})"
        )
    return "\n".join(lines), results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=[], help="a checkpoint (repeatable)")
    parser.add_argument(
        "--ensemble", action="append", default=[], help="checkpoints joined by '+', averaged"
    )
    parser.add_argument("--bundled", action="store_true", help="the pair repair fix loads")
    parser.add_argument("--baseline", action="store_true", help="the frequency baseline")
    parser.add_argument("--data", type=Path, default=Path("runs/realdata"))
    parser.add_argument("--git-root", type=Path, default=None)
    parser.add_argument("--split", default="dev", choices=["dev", "test"])
    parser.add_argument("--limit", type=int, default=0, help="first N aligned fixes (smoke runs)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    examples, counts = dev_examples(args.git_root, args.split)
    if args.limit:
        examples = examples[: args.limit]
    rows: list[tuple[str, Callable]] = []
    for path in args.model:
        rows.append((Path(path).name, ModelViews.load([path]).views))
    for joined in args.ensemble:
        rows.append((joined, ModelViews.load(joined.split("+")).views))
    if args.bundled:
        paths = default_model_paths()
        name = "bundled pair (" + " + ".join(p.name for p in paths) + ")"
        rows.append((name, ModelViews.load(paths).views))
    if args.baseline:
        distribution = FixDistribution.from_json(
            json.loads((args.data / "distribution.json").read_text())
        )
        rows.append(("frequency baseline", lambda cases: frequency_views(cases, distribution)))
    text, results = evaluate(rows, examples, counts)
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
