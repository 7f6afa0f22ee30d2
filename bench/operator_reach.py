"""Which share of the mined real fixes the edit operators reach, one application or two.

    python bench/operator_reach.py --split dev [--limit N] [--jobs 2]     # the report
    python bench/operator_reach.py --split train --sample 4000 --write-priors   # the priors

For each fix of `training/data/realfixes.jsonl.gz` (one split; never test unless asked), every
candidate edit of the buggy region (`before`) is generated as `repair fix` generates them: the
same-class token replacements (`repair.source.candidates`, the region's names and builtins; the
file's other module-level names are not in the corpus, so identifier reach is a lower bound),
`repair.edits`' structural edits and the real-fix operators (`repair.operators`). A fix is
reached in one application when one candidate turns `before` into `after` (same syntax tree, else
same tokens and statement indentation), in two when a candidate that brings `before` closer to
`after` (a longer common beginning and end, whitespace ignored) is followed by one that does.
Two searches of the second step are bounded: the `--frontier` closest first steps are expanded.

Columns: the operator kinds' shares of fixes (one application; two, with the kind in the path),
each kind's candidates per fix and hits per candidate, and the share reached in <= 1 / <= 2
applications, with the default policy's caps (`--generous`: the caps raised, the operators' own
reach). `--write-priors` (train split only) freezes the hits per candidate of each kind against
those of `repair.edits`' kinds (shrunk towards theirs by PSEUDO_CANDIDATES candidates), and the
string-unit table (from a pass with the caps raised, so every unit is offered), into
`repair/operator_priors.py`. The ceiling: the share of fixes whose new text has a name, string or
number found nowhere in the region nor among builtins and keywords (no operator drawing on the
region makes it).
"""

from __future__ import annotations

import argparse
import ast
import builtins
import dataclasses
import gzip
import json
import keyword
import multiprocessing
import random
import sys
import textwrap
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from repair.edits import EditKind  # noqa: E402
from repair.operator_priors import STRING_UNITS  # noqa: E402
from repair.operators import lines_around, search_operations  # noqa: E402
from repair.policy import SearchPolicy  # noqa: E402
from repair.source import (  # noqa: E402
    Edit,
    apply_edits,
    candidates,
    is_repair_target,
    parse,
    tokens,
)

CORPUS = ROOT / "training" / "data" / "realfixes.jsonl.gz"
OLD_KINDS = frozenset(kind.value for kind in EditKind if kind.value in {
    "swap_operands", "swap_arguments", "insert_not", "remove_not", "add_one", "subtract_one",
    "remove_offset", "insert_slice_bound", "remove_slice_bound", "replace_attribute",
})  # fmt: skip
PSEUDO_CANDIDATES = 1000  # a kind's hit rate is shrunk towards the old kinds' by this many
GENEROUS = dict(
    max_candidates_per_kind=100_000,
    max_generated_per_kind=100_000,
    max_inserted_arguments=20,
    max_wrap_functions=20,
    max_method_options=10,
    max_statement_edit_lines=6,
    max_statement_ingredients=40,
    max_edits_per_string=400,
)


def squash(data: bytes) -> tuple[bytes, list[int]]:
    """`data` without whitespace, and for each byte offset the squashed length before it."""
    out = bytearray()
    before = [0] * (len(data) + 1)
    for index, byte in enumerate(data):
        before[index] = len(out)
        if byte not in b" \t\r\n\f":
            out.append(byte)
    before[len(data)] = len(out)
    return bytes(out), before


def common_ends(a: bytes, b: bytes) -> tuple[int, int]:
    limit = min(len(a), len(b))
    low, high = 0, limit
    while low < high:  # longest common prefix, by bisection on slices
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    prefix = low
    low, high = 0, limit - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return prefix, low


class Target:
    """The fixed region: its squashed text and its structure for the final comparison."""

    def __init__(self, after: bytes):
        self.text = after
        self.squashed, _ = squash(after)
        self.key = structure(after)

    def distance(self, squashed: bytes) -> int:
        prefix, suffix = common_ends(squashed, self.squashed)
        return len(squashed) + len(self.squashed) - 2 * (prefix + suffix)


def structure(source: bytes):
    text = source.decode("utf-8", "replace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ast", ast.dump(ast.parse(textwrap.dedent(text))))
        except (SyntaxError, ValueError):
            pass
    found = []
    for token in tokens(source):
        if token.node_type == "comment":
            continue
        start = source.rfind(b"\n", 0, token.start) + 1
        first = not source[start : token.start].strip()
        found.append((token.text, token.start - start if first else -1))
    return ("tokens", tuple(found))


@dataclasses.dataclass(frozen=True)
class Move:
    kind: str
    edit: Edit


def moves(source: bytes, policy: SearchPolicy, window: tuple[int, int] | None) -> list[Move]:
    """Every candidate edit of `source` as `repair fix` offers them (region: the whole text);
    with `window`, only those whose span touches it."""
    tree = parse(source)
    token_list = tokens(source, tree)
    found: list[Move] = []
    low, high = window or (0, len(source))
    for token in token_list:
        if token.end < low or token.start > high or not is_repair_target(token):
            continue
        for option in candidates(token, token_list):
            found.append(Move("replace_token", Edit(token.start, token.end, token.text, option)))
    region = lines_around(source, low, high) if window else None
    for operation in search_operations(source, tree, region, policy):
        edit = operation.edit
        if window is None or (edit.end >= low and edit.start <= high):
            found.append(Move(operation.kind.value, edit))
    return found


def window_of(source: bytes, target: bytes) -> tuple[int, int]:
    prefix, suffix = common_ends(source, target)
    suffix = min(suffix, len(source) - prefix, len(target) - prefix)
    return prefix, len(source) - suffix


def reach(fix: dict, policy: SearchPolicy, frontier: int, depth: int) -> dict:
    before, after = fix["before"].encode(), fix["after"].encode()
    target = Target(after)
    squashed, offsets = squash(before)
    start_distance = target.distance(squashed)
    all_moves = moves(before, policy, None)
    generated = Counter(move.kind for move in all_moves)
    one: set[str] = set()
    units: list[str] = []
    progress: list[tuple[int, int, Move, bytes]] = []
    for index, move in enumerate(all_moves):
        edit = move.edit
        new_squashed = (
            squashed[: offsets[edit.start]]
            + squash(edit.new.encode())[0]
            + squashed[offsets[edit.end] :]
        )
        if new_squashed == target.squashed:
            changed = apply_edits(before, [edit])
            if structure(changed) == target.key:
                one.add(move.kind)
                if move.kind == "string_edit":
                    units.append(_string_unit(edit))
                continue
        if depth > 1 and not one:
            distance = target.distance(new_squashed)
            if distance < start_distance:
                progress.append((distance, index, move, new_squashed))
    two: set[tuple[str, str]] = set()
    if depth > 1 and not one:
        progress.sort(key=lambda item: item[:2])
        for _, _, move, _ in progress[:frontier]:
            first = apply_edits(before, [move.edit])
            if parse(first).root_node.has_error:
                continue
            for second in _one_step(first, target, policy):
                two.add((move.kind, second))
            if two:
                break
    return {
        "novel": _novel(fix),
        "one": sorted(one),
        "two": sorted({" + ".join(sorted(pair)) for pair in two}),
        "generated": dict(generated),
        "tokens": len(fix["edits"]),
        "fix_like": fix["fix_like"],
        "string_units": units,
    }


_KNOWN = frozenset(dir(builtins)) | frozenset(keyword.kwlist)
_CONTENT = frozenset({"identifier", "string", "number", "constant"})


def new_texts(fix: dict) -> list[tuple[str, str]]:
    """(text, class) of the names, strings, numbers and constants the fix's edits bring, builtins
    and keywords left out: what an operator must find somewhere to make the fix."""
    return [
        (edit["new"], edit.get("new_class", edit["class"]))
        for edit in fix["edits"]
        if edit["op"] != "delete"
        and edit.get("new_class", edit["class"]) in _CONTENT
        and edit["new"] not in _KNOWN
    ]


def _novel(fix: dict) -> bool:
    """The fix's new text holds a name, string or number found nowhere in its region."""
    present = {token.text for token in tokens(fix["before"].encode())}
    return any(text not in present for text, _ in new_texts(fix))


def _string_unit(edit: Edit) -> str:
    if not edit.old:
        return f"insert {edit.new}"
    if not edit.new:
        return f"delete {edit.old}"
    if edit.old.swapcase() == edit.new:
        return f"case {edit.old}"
    return f"replace {edit.new}"


def _one_step(source: bytes, target: Target, policy: SearchPolicy) -> set[str]:
    squashed, offsets = squash(source)
    window = window_of(source, target.text)
    kinds = set()
    for move in moves(source, policy, window):
        edit = move.edit
        new_squashed = (
            squashed[: offsets[edit.start]]
            + squash(edit.new.encode())[0]
            + squashed[offsets[edit.end] :]
        )
        if new_squashed == target.squashed and move.kind not in kinds:
            if structure(apply_edits(source, [edit])) == target.key:
                kinds.add(move.kind)
    return kinds


def _job(args):
    fix, policy, frontier, depth = args
    try:
        return reach(fix, policy, frontier, depth)
    except Exception as error:  # noqa: BLE001 - one bad record must not stop the count
        return {"error": f"{type(error).__name__}: {error}"}


def read(split: str) -> list[dict]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        return [fix for line in handle if (fix := json.loads(line))["split"] == split]


def run(
    fixes: list[dict], policy: SearchPolicy, frontier: int, depth: int, jobs: int
) -> list[dict]:
    work = [(fix, policy, frontier, depth) for fix in fixes]
    if jobs <= 1:
        return [_job(item) for item in work]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return pool.map(_job, work, chunksize=8)


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    - "


def report(rows: list[dict], title: str) -> list[str]:
    good = [row for row in rows if "error" not in row]
    total = len(good)
    lines = [title, "", f"fixes {total} (errors {len(rows) - total})", ""]
    reached1 = [row for row in good if row["one"]]
    reached2 = [row for row in good if row["one"] or row["two"]]
    novel = sum(1 for row in good if row["novel"])
    lines.append(
        f"ceiling: {_percent(total - novel, total).strip()} of the fixes bring no name, string or "
        "number absent from their region (and builtins, keywords); the rest no operator drawing "
        "on the region can make"
    )
    lines.append("")
    lines.append(f"{'reached':<44}{'<= 1':>10}{'<= 2':>10}{'fixes':>8}")
    groups = {
        "all fixes": good,
        "fix-like message": [row for row in good if row["fix_like"]],
        "1 token": [row for row in good if row["tokens"] == 1],
        "2 tokens": [row for row in good if row["tokens"] == 2],
        "3-4 tokens": [row for row in good if 3 <= row["tokens"] <= 4],
        "5-8 tokens": [row for row in good if row["tokens"] >= 5],
        "within the ceiling": [row for row in good if not row["novel"]],
    }
    for name, group in groups.items():
        one = sum(1 for row in group if row["one"])
        two = sum(1 for row in group if row["one"] or row["two"])
        lines.append(
            f"{name:<44}{_percent(one, len(group)):>10}{_percent(two, len(group)):>10}{len(group):>8}"
        )
    lines += [
        "",
        f"{'operator kind':<24}{'1 app.':>9}{'in 2':>9}{'cands/fix':>11}{'hits/1000 cands':>17}",
    ]
    kinds = sorted({kind for row in good for kind in row["generated"]} | {"replace_token"})
    one_hits = Counter(kind for row in good for kind in row["one"])
    two_hits = Counter(
        kind
        for row in good
        if not row["one"]
        for kind in {k for p in row["two"] for k in p.split(" + ")}
    )
    generated = Counter()
    for row in good:
        generated.update(row["generated"])
    for kind in sorted(kinds, key=lambda k: -one_hits[k] - two_hits[k]):
        rate = 1000 * one_hits[kind] / generated[kind] if generated[kind] else 0.0
        lines.append(
            f"{kind:<24}{_percent(one_hits[kind], total):>9}{_percent(two_hits[kind], total):>9}"
            f"{generated[kind] / max(1, total):>11.1f}{rate:>17.3f}"
        )
    lines += ["", "most common two-application paths (share of fixes):"]
    paths = Counter(row["two"][0] for row in good if not row["one"] and row["two"])
    for path, count in paths.most_common(15):
        lines.append(f"  {_percent(count, total)}  {path}")
    del reached1, reached2
    return lines


def priors(rows: list[dict], generous_rows: list[dict] | None) -> tuple[dict, dict]:
    """Per kind: hits per candidate over those of `repair.edits`' kinds pooled; per string unit:
    its share of the string edits that hit (from the generous run, where every unit is offered)."""
    good = [row for row in rows if "error" not in row]
    hits = Counter(kind for row in good for kind in row["one"])
    generated = Counter()
    for row in good:
        generated.update(row["generated"])
    old_rate = sum(hits[k] for k in OLD_KINDS) / max(1, sum(generated[k] for k in OLD_KINDS))
    kind_priors = {}
    for kind in sorted(generated):
        if kind in OLD_KINDS or kind == "replace_token":
            continue
        # shrunk towards the old kinds' rate by PSEUDO_CANDIDATES candidates at that rate
        rate = (hits[kind] + PSEUDO_CANDIDATES * old_rate) / (generated[kind] + PSEUDO_CANDIDATES)
        kind_priors[kind] = round(rate / old_rate, 4)
    units = Counter(
        unit for row in generous_rows or good if "error" not in row for unit in row["string_units"]
    )
    total = sum(units.values())
    table = {unit: round(count / total, 4) for unit, count in units.most_common() if count >= 2}
    for op in ("insert", "delete", "replace", "case"):  # an unseen unit: half the rarest seen
        seen = [v for k, v in table.items() if k.startswith(op + " ")]
        table[op] = round(min(seen, default=1 / max(1, total)) / 2, 5)
    return kind_priors, table


def _literal(table: dict) -> str:
    """A dict as ruff formats it: one entry a line, trailing commas."""
    entries = "".join(
        f"    {json.dumps(key)}: {json.dumps(value)},\n" for key, value in table.items()
    )
    return "{\n" + entries + "}"


def write_priors(kind_priors: dict, units: dict, provenance: dict) -> None:
    path = ROOT / "repair" / "operator_priors.py"
    body = [
        '"""Frozen priors of the edit operators, estimated on the TRAIN split of the real-fix corpus',
        "(`training/data/realfixes.jsonl.gz`) by `bench/operator_reach.py --write-priors`; written by",
        'that script, not by hand (PROVENANCE says how)."""',
        "",
        f"PROVENANCE: dict[str, object] = {_literal(dict(sorted(provenance.items())))}",
        "# kind -> prior of one candidate of that kind, in the units of `SearchPolicy.operation_prior`:",
        "# its hits per candidate on the train sample over those of `repair.edits`' kinds pooled",
        f"KIND_PRIORS: dict[str, float] = {_literal(dict(sorted(kind_priors.items())))}",
        '# "op unit" (op: insert / delete / replace / case) -> share of the string edits that hit; "op"',
        "# alone: the weight of a unit not in the table",
        f"STRING_UNITS: dict[str, float] = {_literal(units)}",
        "",
    ]
    path.write_text("\n".join(body))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("train", "dev", "test"), default="dev")
    parser.add_argument("--limit", type=int, default=0, help="the first N fixes of the split")
    parser.add_argument("--sample", type=int, default=0, help="N fixes drawn with --seed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--frontier", type=int, default=12, help="first steps expanded")
    parser.add_argument("--depth", type=int, choices=(1, 2), default=2)
    parser.add_argument("--generous", action="store_true", help="the caps raised")
    parser.add_argument("--no-real", action="store_true", help="without the real-fix operators")
    parser.add_argument("--out", type=Path, help="write the report there too")
    parser.add_argument("--write-priors", action="store_true", help="train split only")
    args = parser.parse_args(argv)
    if args.split == "test":
        print("operator_reach: the test split is for a final table only; pass it knowingly")
    fixes = read(args.split)
    if args.sample:
        fixes = random.Random(args.seed).sample(fixes, min(args.sample, len(fixes)))
    if args.limit:
        fixes = fixes[: args.limit]
    policy = SearchPolicy(real_operators=not args.no_real)
    if args.generous:
        policy = dataclasses.replace(policy, **GENEROUS)
    started = time.monotonic()
    generous = None
    if args.write_priors:  # the string-unit table first: the default pass ranks string edits by it
        if args.split != "train":
            print("--write-priors: the train split only")
            return 2
        generous = run(fixes, dataclasses.replace(policy, **GENEROUS), args.frontier, 1, args.jobs)
        STRING_UNITS.clear()
        STRING_UNITS.update(priors(generous, generous)[1])
    rows = run(fixes, policy, args.frontier, args.depth, args.jobs)
    seconds = time.monotonic() - started
    command = "python bench/operator_reach.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    title = (
        f"Operator reach on the {args.split} split of training/data/realfixes.jsonl.gz "
        f"({len(fixes)} fixes{', sampled' if args.sample else ''}; "
        f"{'generous caps' if args.generous else 'the default policy caps'}"
        f"{'; real-fix operators off' if args.no_real else ''}); {seconds / 60:.1f} min\n"
        f"command: {command}"
    )
    lines = report(rows, title)
    print("\n".join(lines))
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")
    if args.write_priors:
        kind_priors, units = priors(rows, generous)
        provenance = {
            "command": command,
            "split": args.split,
            "fixes": len(fixes),
            "seed": args.seed,
            "policy_key": policy.key(),
        }
        write_priors(kind_priors, units, provenance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
