"""Candidate order on a development split: where does the exact fix land, by ordering policy?

    python bench/rank_dev.py [--programs 40] [--seed 0] [--model models/default.pt]

Seeds one single-token bug (a same-class replacement that makes a test fail) in each program of
the bundled model's *validation* split: programs it never trained on, and that are not in the repair
benchmark (`bench/repair_bench.py` uses held-out HumanEval, the fixtures and real projects). For
each bug it runs the suite under coverage once, ranks every candidate edit as `repair fix` does,
and reports the position of the exact fix under each ordering policy: the model's score, the
model-free baseline (`repair.prior`), and interleavings of the two. The position is the number of
candidates a search would validate before the fix, if it is found in the first round. Choosing the
product's policy here keeps the benchmark held out.

    python bench/rank_dev.py --model models/exp4.pt --also-model models/exp4.pt+models/exp3d.pt

ranks the same bugs with more checkpoints too (policies named after the file; A.pt+B.pt: the
average of the two models, as `repair fix --model A.pt --model B.pt` ranks).

    python bench/rank_dev.py --programs 176 --swaps

seeds swapped call arguments (`repair.edits`' swaps) instead of token bugs, one per program that
has such a swap that fails a test.

    python bench/rank_dev.py --repair [--model-turns 2 4 0] [--baseline] [--timeout 30]

runs `repair fix` itself on each seeded bug, once per ranking policy (model turns per
model-free turn; 0: the model's order alone; `--baseline`: the model-free search too), and reports plausible and exact fixes, candidates
and test runs per fix, and time: policies of the search, chosen on the same held-out-free split.

    python bench/rank_dev.py --oss tabulate,six [--oss-bugs 20] [--model models/default.pt]

ranks the candidates of single-token bugs (and argument swaps) seeded in real projects that the
default repair benchmark leaves out (`repair_bench.OSS_PROJECTS` entries not run by default,
fetched the same way), with bug keys of their own: the development split of real code, larger
than the validation programs, where a model or a policy is chosen before the benchmark runs.

    python bench/rank_dev.py --repair --tokens 2 --set patience_probability=0.5

sets a field of the search policy (`repair.policy.SearchPolicy`, repeatable; converted to the
field's type, so a typo or a wrong type stops the run), so a grid of a search policy is a loop of
commands; the split line names the policy's key and its fields that differ from the defaults.
The older form `--set repair.search.PATIENCE_PROBABILITY=0.5` names the same field.

    python bench/rank_dev.py --oss six,tabulate --variant max_options=none,prior_pseudocount=0.1

ranks the model and the baseline under more policies on the same coverage runs (repeatable):
rows named `[max_options=none,prior_pseudocount=0.1]`; a grid of ranking knobs in one pass.

    python bench/rank_dev.py --oss tabulate,six --repair [--tokens 2] [--oss-bugs 20] [--timeout 30]

runs `repair fix` on those bugs instead, as the repair benchmark runs its cases: a search policy
that adds coverage runs or model passes shows its cost here, where a coverage run takes seconds
(the validation programs' take milliseconds).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import random
import statistics
import sys
import tempfile
from pathlib import Path

from scoring import is_exact  # bench/: how the repair benchmark compares patches

from repair.edits import EditKind, edit_operations
from repair.executor import Executor
from repair.fix import FIXED, RepairConfig, _check_inputs, _load_scorer, _ranked, fix
from repair.patch import unified_diff
from repair.policy import SearchPolicy, with_settings
from repair.rank import interleave
from repair.search import State
from repair.source import Edit, apply_edits, candidates, repair_targets, tokens
from repair.testrun import run_suite
from training.config import preset
from training.data import load_splits

MISSING = 10**6  # the position of a fix that is not ranked at all


def seeded_bug(program, rng: random.Random, executor: Executor) -> tuple[bytes, Edit] | None:
    """A same-class replacement in `program` that makes a test fail, and the edit that undoes it."""
    source = program.source.encode()
    token_list = tokens(source)
    sites = [t for t in repair_targets(token_list) if candidates(t, token_list, False)]
    rng.shuffle(sites)
    for token in sites[:25]:
        new = rng.choice(candidates(token, token_list, include_builtins=False))
        buggy = apply_edits(source, [Edit(token.start, token.end, token.text, new)])
        if executor.run(buggy.decode(), program.tests).failed_count:
            return buggy, Edit(token.start, token.start + len(new), new, token.text)
    return None


def seeded_swap(program, rng: random.Random, executor: Executor) -> bytes | None:
    """`program` with two call arguments swapped (`repair.edits`' swaps), one that makes a test
    fail; None if no swap does."""
    source = program.source.encode()
    swaps = [op for op in edit_operations(source) if op.kind == EditKind.SWAP_ARGUMENTS]
    rng.shuffle(swaps)
    for operation in swaps[:25]:
        buggy = apply_edits(source, [operation.edit])
        if executor.run(buggy.decode(), program.tests).failed_count:
            return buggy
    return None


def write_project(folder: Path, source: bytes, tests) -> None:
    (folder / "tests").mkdir(parents=True)
    (folder / "solution.py").write_bytes(source)
    body = ["from solution import *  # noqa: F403", ""]
    for index, test in enumerate(tests):
        body += [f"def test_{index}():", *("    " + line for line in test.splitlines()), ""]
    (folder / "tests" / "test_solution.py").write_text("\n".join(body))


def position(order, fix: Edit) -> int | None:
    for index, candidate in enumerate(order):
        edit = candidate.edit
        if (edit.start, edit.end, edit.new) == (fix.start, fix.end, fix.new):
            return index + 1
    return None


def position_of_original(order, buggy: dict[str, bytes], original: dict[str, bytes]):
    """The rank of the first candidate that turns `buggy` back into `original` (one file)."""
    for index, candidate in enumerate(order):
        if candidate.path in buggy:
            try:
                if apply_edits(buggy[candidate.path], [candidate.edit]) == original[candidate.path]:
                    return index + 1
            except ValueError:
                continue
    return None


def orders(state, run, originals, config, scorer, others=(), variants=()) -> dict[str, list]:
    """The first round's candidates under each ordering policy; `others`: (label, scorer) of
    more models, each ranked by itself and at the repair's interleaving; `variants`: (label,
    policy) of more search policies, the model and the baseline ranked under each."""
    alone = _with_policy(config, model_turns=None)
    turns = config.policy.model_turns
    by_model = _ranked(state, run, originals, alone, scorer, 0)
    by_prior = _ranked(state, run, originals, config, None, 0)  # repair.prior
    found = {
        "model": by_model,
        "baseline (model-free prior)": by_prior,
        "interleave 1:1": interleave(by_model, by_prior, 1),
        "interleave 2:1": interleave(by_model, by_prior, 2),
        f"{_policy(turns)} (repair fix)": _ranked(state, run, originals, config, scorer, 0),
    }
    for label, other in others:
        found[f"model {label}"] = _ranked(state, run, originals, alone, other, 0)
        found[f"{_policy(turns)} {label}"] = _ranked(state, run, originals, config, other, 0)
    for label, policy in variants:
        variant = dataclasses.replace(config, policy=policy)
        found[f"{_policy(policy.model_turns)} [{label}]"] = _ranked(
            state, run, originals, variant, scorer, 0
        )
        found[f"baseline [{label}]"] = _ranked(state, run, originals, variant, None, 0)
    return found


def _with_policy(config: RepairConfig, **changes) -> RepairConfig:
    """`config` with fields of its search policy changed (type-checked by SearchPolicy)."""
    return dataclasses.replace(config, policy=dataclasses.replace(config.policy, **changes))


def record(policies, name, run, originals, config, scorer, locate, others=(), variants=()):
    """Each policy's first-round order for the failing state of `run`: where `locate` finds the
    fix in it, appended to `policies` and printed as one row."""
    state = State(files={}, edits=(), failing=tuple(run.failed), messages={})
    ranked = orders(state, run, originals, config, scorer, others, variants)
    found = {policy: locate(order) for policy, order in ranked.items()}
    for policy, rank in found.items():
        policies.setdefault(policy, []).append(rank)
    print(f"{name:40s} " + "  ".join(f"{k}={v}" for k, v in found.items()))
    sys.stdout.flush()


def print_positions(policies: dict[str, list], split: str) -> None:
    print(f"\nsplit: {split}")
    print(
        "| policy | bugs | exact fix ranked | median position | 90th percentile | top 10 | top 50 |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, ranks in policies.items():
        hit = [r for r in ranks if r is not None]
        filled = sorted(r if r is not None else MISSING for r in ranks)
        median = statistics.median(filled)
        p90 = filled[min(len(filled) - 1, int(0.9 * len(filled)))]
        show = lambda value: value if value < MISSING else "not ranked"  # noqa: E731
        print(
            f"| {name} | {len(ranks)} | {len(hit)} | {show(median)} | {show(p90)} "
            f"| {sum(r <= 10 for r in hit)} | {sum(r <= 50 for r in hit)} |"
        )


def oss_positions(args) -> None:
    """`--oss`: where the exact fix lands, by policy, on bugs seeded in the dev projects; with
    `--repair`, how `repair fix` does on them (as the repair benchmark runs its cases)."""
    from repair_bench import DEFAULT_CACHE, OSS_PROJECTS, _Project, fetch_sdist, run_case

    known = {project.name: project for project in OSS_PROJECTS if not project.default}
    wanted = [name.strip() for name in args.oss.split(",") if name.strip()]
    if any(name not in known for name in wanted):
        sys.exit(f"--oss: development projects are {sorted(known)} (the others are benchmark)")
    config = RepairConfig(model_paths=model_spec_paths(args.model), policy=args.policy)
    scorer, model_name = _load_scorer(config)
    others = _other_scorers(args)
    policies: dict[str, list] = {}
    repairs: dict[str, list[dict]] = {}
    repair_configs = dict(_repair_configs(args))
    with tempfile.TemporaryDirectory() as tmp:
        for project in (known[name] for name in wanted):
            clean = _Project(fetch_sdist(project, DEFAULT_CACHE), project.sources, project.tests)
            sizes = (args.tokens,) * args.oss_bugs
            seeded_bugs = clean.seed(sizes, f"dev:{project.name}", args.seed)
            for number, seeded in enumerate(seeded_bugs):
                name = f"{project.name}-{number:02d}-{seeded.bug_class.replace(' ', '_')}"
                case = clean.case(name, "dev", seeded, Path(tmp) / name)
                if args.repair:
                    outcomes = []
                    for policy, repair_config in repair_configs.items():
                        row = run_case(case, repair_config)
                        repairs.setdefault(policy, []).append(row)
                        outcomes.append(f"{policy}: {_outcome(row)}")
                    print(f"{name:40s}  " + "  ".join(outcomes))
                    sys.stdout.flush()
                    continue
                root, originals = _check_inputs(case.sources, case.tests, config)
                run = run_suite(root, case.tests, case.sources, total_timeout=600)
                if not run.failed:
                    continue
                record(
                    policies, name, run, originals, config, scorer,
                    lambda order, case=case: position_of_original(order, case.buggy, case.original),
                    others, args.variants,
                )  # fmt: skip
    split = f"bugs seeded in {', '.join(wanted)} ({model_name}); seed {args.seed}; {_named(args)}"
    if args.repair:
        print_repairs(repairs, split)
    else:
        print_positions(policies, split)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--programs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="")
    parser.add_argument(
        "--also-model", nargs="*", default=[], help="more checkpoints ranked on the same bugs"
    )
    parser.add_argument("--repair", action="store_true", help="run `repair fix` on each bug")
    parser.add_argument(
        "--baseline", action="store_true", help="--repair: the model-free search too"
    )
    parser.add_argument(
        "--model-turns", type=int, nargs="*", default=None,
        help="model turns per model-free turn to compare (0: the model alone; default: the "
        "policy's model_turns)",
    )  # fmt: skip
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per repair")
    parser.add_argument("--oss", default="", help="dev projects: rank seeded bugs in them")
    parser.add_argument("--oss-bugs", type=int, default=20, help="bugs seeded per --oss project")
    parser.add_argument("--tokens", type=int, choices=(1, 2), default=1, help="bugs per program")
    parser.add_argument(
        "--swaps", action="store_true", help="seed swapped call arguments, not token bugs"
    )
    parser.add_argument(
        "--older-by-score", type=int, nargs="*", default=None,
        help="SearchPolicy.older_by_score values to compare (1 / 0; default: the policy's)",
    )  # fmt: skip
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE",
        help="set a field of the search policy, e.g. patience_probability=0.5 (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--variant", action="append", default=[], metavar="NAME=VALUE[,NAME=VALUE]",
        help="ranking only: also rank the model and the baseline under the policy with these "
        "fields changed (repeatable), on the same coverage runs",
    )  # fmt: skip
    args = parser.parse_args()
    args.policy = policy_from(args.set)
    args.variants = [
        (variant, with_settings(args.policy, variant.split(","))) for variant in args.variant
    ]
    if args.model_turns is None:
        args.model_turns = [args.policy.model_turns or 0]
    if args.older_by_score is None:
        args.older_by_score = [int(args.policy.older_by_score)]
    print(f"# policy {_named(args)}")
    if args.oss:
        oss_positions(args)
        return
    splits = load_splits(preset("default"))
    humaneval = [p for p in splits.validation if p.origin == "humaneval"]
    synthetic = [p for p in splits.validation if p.origin != "humaneval"]
    programs = (humaneval + synthetic)[: args.programs]
    if args.repair:
        repair_policies(programs, args)
        return
    config = RepairConfig(model_paths=model_spec_paths(args.model), policy=args.policy)
    scorer, model_name = _load_scorer(config)
    others = _other_scorers(args)
    rng = random.Random(args.seed)
    policies: dict[str, list] = {}
    with Executor(workers=1) as executor, tempfile.TemporaryDirectory() as tmp:
        for number, program in enumerate(programs):
            if args.swaps:
                buggy = seeded_swap(program, rng, executor)
                if buggy is None:
                    continue
                files = ({"solution.py": buggy}, {"solution.py": program.source.encode()})
                locate = lambda order, files=files: position_of_original(order, *files)  # noqa: E731
            else:
                seeded = seeded_bug(program, rng, executor)
                if seeded is None:
                    continue
                buggy, fix = seeded
                locate = lambda order, fix=fix: position(order, fix)  # noqa: E731
            root = Path(tmp) / f"p{number}"
            write_project(root, buggy, program.tests)
            run = run_suite(root, [root / "tests"], [root], total_timeout=60)
            if not run.failed:
                continue
            originals = {"solution.py": buggy}
            record(
                policies, program.name, run, originals, config, scorer, locate, others,
                args.variants,
            )  # fmt: skip
    kind = "swapped arguments" if args.swaps else "single-token bugs"
    print_positions(
        policies,
        f"{kind} in validation programs of the default preset ({model_name}); seed {args.seed}; "
        f"{_named(args)}",
    )


def repair_policies(programs, args) -> None:
    rows: dict[str, list[dict]] = {}
    with Executor(workers=1) as executor, tempfile.TemporaryDirectory() as tmp:
        rng = random.Random(args.seed)
        for number, program in enumerate(programs):
            seeded = seeded_bug(program, rng, executor)
            if seeded is None:
                continue
            buggy, fix_edit = seeded
            expected = apply_edits(buggy, [fix_edit])
            if args.tokens == 2:  # a second bug elsewhere, one that fails a test on its own
                second = _second_bug(program, rng, executor, buggy, fix_edit)
                if second is None:
                    continue
                buggy, expected = second, program.source.encode()
            line = f"{program.name:40s}"
            for name, config in _repair_configs(args):
                root = Path(tmp) / f"p{number}-{len(rows)}-{name.replace(' ', '_')}"
                write_project(root, buggy, program.tests)
                result = fix([root / "solution.py"], [root / "tests"], config)
                fixed = result.status == FIXED
                after = (root / "solution.py").read_bytes()
                row = {
                    "fixed": fixed,
                    "exact": is_exact(
                        fixed,
                        result.diff,
                        unified_diff({"solution.py": buggy}, {"solution.py": expected}),
                    ),
                    "candidates": result.candidates_tried,
                    "test_runs": result.test_runs,
                    "seconds": result.seconds,
                }
                assert after == buggy  # fix() without apply writes nothing
                rows.setdefault(name, []).append(row)
                line += f"  {name}: {_outcome(row)}"
            print(line)
            sys.stdout.flush()
    print_repairs(
        rows, f"validation programs of the default preset; seed {args.seed}; {_named(args)}"
    )


def _repair_configs(args) -> list[tuple[str, RepairConfig]]:
    """`--repair`: (name, config) of each search to run on a bug: one per --model-turns and
    --older-by-score value, and with --baseline the model-free search."""
    base = RepairConfig(
        model_paths=model_spec_paths(args.model),
        timeout=args.timeout,
        test_timeout=1.0,
        policy=args.policy,
    )
    configs = []
    for turns, older in itertools.product(args.model_turns, args.older_by_score):
        name = _policy(turns) + ("" if len(args.older_by_score) < 2 else f" older={older}")
        config = _with_policy(base, model_turns=turns or None, older_by_score=bool(older))
        configs.append((name, config))
    if args.baseline:
        configs.append(("baseline", dataclasses.replace(base, use_model=False)))
    return configs


def _outcome(row: dict) -> str:
    """exact / plausible / - and candidates / test runs, for a bug's line."""
    found = "exact" if row["exact"] else row["fixed"] and "plausible" or "-"
    return f"{found} {row['candidates']}/{row['test_runs']}"


def print_repairs(rows: dict[str, list[dict]], split: str) -> None:
    print(f"\nsplit: {split}")
    print(
        "| policy | bugs | plausible | exact | median candidates / fix | median test runs / fix "
        "| median s |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, found in rows.items():
        fixed = [r for r in found if r["fixed"]]
        print(
            f"| {name} | {len(found)} | {len(fixed)} | {sum(r['exact'] for r in found)} "
            f"| {_median([r['candidates'] for r in fixed])} "
            f"| {_median([r['test_runs'] for r in fixed])} "
            f"| {_median([r['seconds'] for r in found]):.1f} |"
        )


def _second_bug(program, rng, executor, buggy: bytes, first: Edit) -> bytes | None:
    """`buggy` with one more seeded bug (one that fails a test in the original) at another
    token; the two together fail a test too."""
    original = program.source.encode()
    for _ in range(5):
        seeded = seeded_bug(program, rng, executor)
        if seeded is None:
            return None
        _, edit = seeded  # edit undoes the bug: its inverse makes it in the original
        if edit.start == first.start:
            continue
        bug = edit.inverse()
        old = original[bug.start : bug.end].decode()
        shift = len(first.new.encode()) - len(first.old.encode())  # `first` undoes bug one
        start = bug.start if bug.start < first.start else bug.start - shift
        both = apply_edits(buggy, [Edit(start, start + len(old.encode()), old, bug.new)])
        if executor.run(both.decode(), program.tests).failed_count:
            return both
    return None


def _other_scorers(args) -> list[tuple[str, object]]:
    """`--also-model` checkpoints, each (its file name, its scorer); A.pt+B.pt: their average."""
    return [
        (
            "+".join(path.stem for path in model_spec_paths(spec)),
            _load_scorer(RepairConfig(model_paths=model_spec_paths(spec), policy=args.policy))[0],
        )
        for spec in args.also_model
    ]


def model_spec_paths(spec: str) -> tuple[Path, ...]:
    """`--model` and `--also-model` values: A.pt, or A.pt+B.pt for the average of A and B;
    "": the bundled models."""
    return tuple(Path(part) for part in spec.split("+") if part)


def policy_from(assignments: list[str]) -> SearchPolicy:
    """The default policy with `--set NAME=VALUE` applied (type-checked); the older
    `MODULE.CONSTANT=VALUE` form of a knob that is now a field names that field."""
    fields = []
    for assignment in assignments:
        target, sep, value = assignment.partition("=")
        fields.append(target.rpartition(".")[2].lower() + sep + value)
    try:
        return with_settings(SearchPolicy(), fields)
    except (TypeError, ValueError) as error:
        sys.exit(f"--set: {error}")


def _named(args) -> str:
    """The policy of this run: its key, and the fields that differ from the defaults."""
    changed = ", ".join(f"{name}={value!r}" for name, value in args.policy.changes().items())
    return f"policy {args.policy.key()}" + (f" ({changed})" if changed else " (defaults)")


def _policy(turns: int) -> str:
    return "model only" if not turns else f"interleave {turns}:1"


def _median(values):
    return statistics.median(values) if values else float("nan")


if __name__ == "__main__":
    main()
