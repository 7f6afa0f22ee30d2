"""Does the model rank the structural and real-fix edits? The dev mined fixes that one such edit
makes (no test runs needed), each edit's place among every such edit of the fix's region:

- prior: the kind's prior only (the model-free baseline: every token equally likely wrong);
- focus: the kind's prior times the highest P(wrong) among the tokens the edit touches (what
  `repair.rank` does with a model today);
- edited: the `--top` best by `focus` re-ranked by how wrong the model finds the EDITED function
  (the highest P(wrong) among its repair targets, lower first), then the rest by `focus`;
- blend: `focus` times (1 - P(wrong) of the edited function) ** `--power`, on the same `--top`.

Every score is times (floor + the line's signal), the signal a seeded stand-in
(`training.realcorrupt.noisy_signal`, as `training.evaluate_real`). Dev split only.

    python bench/operator_rank.py --model models/realcode.pt [--limit N] [--out FILE]
    python bench/operator_rank.py --no-model        # the prior order only (no torch graphs)
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch_geometric.data import Batch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from operator_reach import Target, squash, structure  # noqa: E402
from realbugs_env import git, git_dir  # noqa: E402

from repair.checkpoint import load_checkpoint  # noqa: E402
from repair.naturalness import NgramCache  # noqa: E402
from repair.operators import search_operations  # noqa: E402
from repair.policy import SearchPolicy  # noqa: E402
from repair.rank import operation_prior  # noqa: E402
from repair.source import apply_edits, is_repair_target, parse, tokens  # noqa: E402
from training.realcorrupt import noisy_signal  # noqa: E402
from training.realgraph import function_graph  # noqa: E402

CORPUS = ROOT / "training" / "data" / "realfixes.jsonl.gz"


def hits_of(fix: dict, policy: SearchPolicy):
    """The region's structural / real-fix operations, and which of them make the fix."""
    before, after = fix["before"].encode(), fix["after"].encode()
    tree = parse(before)
    operations = search_operations(before, tree, None, policy)
    target = Target(after)
    squashed, offsets = squash(before)
    hits = []
    for operation in operations:
        edit = operation.edit
        new = squashed[: offsets[edit.start]] + squash(edit.new.encode())[0]
        new += squashed[offsets[edit.end] :]
        hits.append(new == target.squashed and structure(apply_edits(before, [edit])) == target.key)
    return operations, hits


def signal_of(fix: dict) -> dict[int, float]:
    before = fix["before"].encode()
    starts = [edit["before_at"][0] for edit in fix["edits"]]
    lines = sorted({before.count(b"\n", 0, start) + 1 for start in starts})
    rng = random.Random(f"0:{fix['repo']}:{fix['commit']}:{fix['path']}")
    return noisy_signal(lines, before.count(b"\n") + 1, rng)


def shifted(signal: dict[int, float], line: int, delta: int) -> dict[int, float]:
    """The signal of the edited text: lines after an edit that adds `delta` lines move down."""
    if not delta:
        return signal
    moved = {k: v for k, v in signal.items() if k <= line}
    for k, v in signal.items():
        if k > line and k + delta > line:
            moved[k + delta] = v
    for k in range(line + 1, line + delta + 1):
        moved.setdefault(k, signal.get(line, 0.0))
    return moved


@torch.no_grad()
def wrongness(checkpoint, sources: list[bytes], signals: list[dict[int, float]]) -> list[float]:
    """Per text, the highest P(wrong) among its function's repair targets (1.0 if unparsable)."""
    graphs, keep = [], []
    for source, signal in zip(sources, signals):
        tree = parse(source)
        built = (
            None
            if tree.root_node.has_error
            else function_graph(source, checkpoint.vocabulary, signal=signal, tree=tree)
        )
        keep.append(built)
        if built is not None:
            graphs.append(built.graph)
    result, at = [], 0
    if graphs:
        batch = Batch.from_data_list(graphs)
        output = checkpoint.model(batch)
        wrong = torch.sigmoid(output.wrong_logits.float())
        mask = batch.target_mask
        ptr = batch.ptr.tolist()
    for built in keep:
        if built is None:
            result.append(1.0)
            continue
        low, high = ptr[at], ptr[at + 1]
        chosen = wrong[low:high][mask[low:high]]
        result.append(float(chosen.max()) if len(chosen) else 0.0)
        at += 1
    return result


@torch.no_grad()
def token_wrong(checkpoint, source: bytes, signal: dict[int, float]) -> dict[int, float]:
    built = function_graph(source, checkpoint.vocabulary, signal=signal)
    output = checkpoint.model(Batch.from_data_list([built.graph]))
    wrong = torch.sigmoid(output.wrong_logits.float()).tolist()
    return {token: wrong[node] for token, node in built.node_of.items()}


def file_of(fix: dict, git_root: Path | None) -> tuple[bytes, int]:
    """The whole file the fix's function sat in before it (its parent commit's) and where the
    function starts in it, for the n-grams of `repair.naturalness`; the function alone (at 0)
    without `git_root`, or when the file or the function in it is not found."""
    before = fix["before"].encode()
    if git_root is not None:
        try:
            whole = git(git_dir(fix["repo"], git_root), "show", f"{fix['parent']}:{fix['path']}")
        except (subprocess.CalledProcessError, OSError):
            return before, 0
        if (at := whole.find(before)) >= 0:
            return whole, at
    return before, 0


def one_fix(
    fix: dict, checkpoint, policy: SearchPolicy, top: int, git_root: Path | None = None
) -> dict | None:
    """The fix's candidates with their scores; None when no one of them makes the fix.
    Without `checkpoint`, the prior only (every token equally likely wrong)."""
    operations, hits = hits_of(fix, policy)
    if not any(hits):
        return None
    before = fix["before"].encode()
    signal = signal_of(fix)
    scale = max(signal.values(), default=0.0) or 1.0
    token_list = tokens(before)
    source, at = file_of(fix, git_root)  # the operations' offsets are the function's
    cache = NgramCache(source)
    if checkpoint is None:
        wrong_of = {token.index: 1.0 for token in token_list}
        top = 0
    else:
        wrong_of = token_wrong(checkpoint, before, signal)
    rows = []
    for operation, hit in zip(operations, hits):
        low, high = operation.focus
        touched = [
            wrong_of.get(t.index, 0.0)
            for t in token_list
            if t.start >= low and t.end <= high and is_repair_target(t)
        ] or [wrong_of.get(t.index, 0.0) for t in token_list if t.start >= low and t.end <= high]
        line_weight = policy.suspiciousness_floor + signal.get(operation.line, 0.0) / scale
        prior = operation_prior(operation.kind, policy)
        rows.append(
            {
                "kind": operation.kind.value,
                "hit": hit,
                "prior": prior * line_weight,
                "focus": prior * max(touched, default=0.0) * line_weight,
                "edited": None,
                "seen": cache.seen_share(operation.edit.shifted(at)),
            }
        )
    order = sorted(range(len(rows)), key=lambda i: -rows[i]["focus"])[:top]
    sources, signals = [], []
    for i in order:
        edit = operations[i].edit
        sources.append(apply_edits(before, [edit]))
        delta = edit.new.count("\n") - edit.old.count("\n")
        signals.append(shifted(signal, operations[i].line, delta))
    if checkpoint is None:
        return {"repo": fix["repo"], "commit": fix["commit"], "original": None, "rows": rows}
    for i, value in zip(order, wrongness(checkpoint, sources, signals)):
        rows[i]["edited"] = value
    # the original function's highest P(wrong) among its repair targets, as `wrongness` reads it
    original = max(
        (wrong_of[t.index] for t in token_list if t.index in wrong_of and is_repair_target(t)),
        default=0.0,
    )
    return {"repo": fix["repo"], "commit": fix["commit"], "original": original, "rows": rows}


def rank_of_hit(rows: list[dict], key) -> int:
    ordered = sorted(range(len(rows)), key=lambda i: (key(rows[i]), i))
    return next(position for position, i in enumerate(ordered, 1) if rows[i]["hit"])


def summarize(
    results: list[dict], power: float, model: bool = True, floors: tuple[float, ...] = ()
) -> list[str]:
    def edited_key(row):
        return (row["edited"] is None, row["edited"] or 0.0, -row["focus"])

    def blend_key(row):
        if row["edited"] is None:
            return (1, -row["focus"])
        return (0, -row["focus"] * (1.0 - row["edited"]) ** power)

    orders = {
        "prior (no model)": lambda r: -r["prior"],
        "focus (today)": lambda r: -r["focus"],
        "edited (re-ranked)": edited_key,
        f"blend (power {power:g})": blend_key,
    }
    if not model:
        orders = {"prior (no model)": orders["prior (no model)"]}
    for floor in floors:  # `repair.naturalness`: times (floor + the share of new n-grams seen)
        base = "prior" if not model else "focus"
        orders[f"{base} x natural (floor {floor:g})"] = lambda r, f=floor, b=base: (
            -r[b] * (f + r["seen"])
        )
    lines = [
        "| order | fixes | median rank | top 1 | top 5 | top 24 |",
        "|---|---|---|---|---|---|",
    ]
    for name, key in orders.items():
        ranks = [rank_of_hit(item["rows"], key) for item in results]
        n = len(ranks)
        lines.append(
            f"| {name} | {n} | {statistics.median(ranks):g} | "
            + " | ".join(f"{100 * sum(r <= k for r in ranks) / n:.1f} %" for k in (1, 5, 24))
            + " |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--model")
    group.add_argument("--no-model", action="store_true", help="the prior order only")
    parser.add_argument("--split", choices=("dev",), default="dev")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--top", type=int, default=48, help="re-ranked by the edited function")
    parser.add_argument("--power", type=float, default=4.0)
    parser.add_argument("--json", type=Path, help="per-fix rows (for other orders)")
    parser.add_argument(
        "--natural", type=float, nargs="*", default=(), help="floors of repair.naturalness' factor"
    )
    parser.add_argument("--out", type=Path)
    parser.add_argument("--git-root", type=Path, help="the fixes' repositories (whole files)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    started = time.time()
    checkpoint = None if args.no_model else load_checkpoint(args.model)
    if checkpoint is not None:
        checkpoint.model.eval()
    policy = SearchPolicy()
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        fixes = [f for line in handle if (f := json.loads(line))["split"] == args.split]
    fixes = fixes[: args.limit] if args.limit else fixes
    results = []
    for number, fix in enumerate(fixes, 1):
        try:
            found = one_fix(fix, checkpoint, policy, args.top, args.git_root)
        except Exception as error:  # noqa: BLE001 - one bad record must not stop the count
            print(f"{fix['repo']} {fix['commit'][:8]}: {type(error).__name__}: {error}")
            continue
        if found:
            results.append(found)
        if number % 200 == 0:
            print(f"{number}/{len(fixes)} fixes, {len(results)} made by one edit", flush=True)
    minutes = (time.time() - started) / 60
    header = [
        "$ python bench/operator_rank.py "
        + ("--no-model" if args.no_model else f"--model {args.model}")
        + f" --top {args.top} --power {args.power:g}"
        + (f" --limit {args.limit}" if args.limit else "")
        + (f" --natural {' '.join(f'{f:g}' for f in args.natural)}" if args.natural else "")
        + (f" --git-root {args.git_root}" if args.git_root else ""),
        f"dev mined fixes {len(fixes)}; made by one structural / real-fix edit: {len(results)}; "
        f"{minutes:.1f} min",
        "",
    ]
    text = (
        "\n".join(header + summarize(results, args.power, not args.no_model, tuple(args.natural)))
        + "\n"
    )
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
