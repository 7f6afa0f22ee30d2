"""`SearchPolicy`: every knob that shapes which candidate edits `repair fix` tries, and in what order.

One frozen dataclass, passed down explicitly (`RepairConfig.policy` → ranking, scoring, search), so
a run is reproducible from its policy alone and a benchmark result can record the policy that
produced it (`to_json()`, `key()`), as black's `Mode.get_cache_key()` does for its settings.
Change a knob with `dataclasses.replace(policy, name=value)` or `with_settings(policy,
["name=value"])` (strings converted to the field's type, as `repair fix --set` and
`bench/rank_dev.py --set` do); nothing reads a module global at call time.

Each default says how it was chosen; "development split" means `bench/rank_dev.py` (the bundled
model's validation programs, or bugs seeded in six and tabulate with `--oss`), never the repair
benchmark's bugs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass
from typing import Any

PRIOR_SCOPES = ("file", "project")
NATURAL_SCOPES = ("function", "file")  # whose n-grams `repair.naturalness` counts


@dataclass(frozen=True)
class SearchPolicy:
    # --- the search's shape -----------------------------------------------------------------
    rounds: int = 4  # refinement rounds; round k feeds the model iteration k
    beam: int = 4  # partial states (fewest failing tests) kept and expanded per round
    top_functions: int = 5  # most suspicious functions whose edits are considered
    # Replacements tried first per token, best first by the scorer (the model, or the model-free
    # prior): every same-class option is a candidate for both, and those beyond the first
    # max_options of their token are deferred (`Candidate.deferred`): ranked after every other
    # candidate and tried only in the last round once the rest is tried, or when the search would
    # otherwise stop for want of candidates (`repair.candidate_pool`). None: no option deferred.
    # So the model and the baseline search the same candidate set under the same rules, and the
    # model's search is what it was with the old cap until that search would have stopped.
    # Development splits, the bundled pair (`bench/rank_dev.py --repair [--tokens 2]
    # --set max_options=...`, 40 validation programs): single-token bugs, 10 and None try the
    # same candidates; two-token bugs, None 34 / 30 plausible / exact and 174 test runs per bug
    # against 36 / 32 and 141 at 10: a round with no partial fix goes on through the tail of
    # every token's options (hundreds of names and builtins) instead of ending where its top
    # options end, and the next round starts late. Cost of ranking every option: gradebook's
    # first round 779 -> 4554 candidates, 0.64 -> 0.75 s with the pair (`bench/rank_speed.py`).
    max_options: int | None = 10
    # The reserve's order: by score alone (False), or by kind in turns (True: every kind's best
    # deferred candidate, then every kind's second..., by score within a turn), so the tail of
    # hundreds of replacement options per token does not hold back a deferred insertion or wrap.
    # Dev real bugs, the human fix's first-round position (`bench/realbugs_rank.py --no-model`,
    # bench/results/realbugs_rank_reserve.txt): the 6 deferred fixes all earlier (more-itertools-4
    # 941 -> 313, -6 2706 -> 624, pyrsistent-1 2710 -> 2295, click-1, sqlparse-2, attrs-2), the 5
    # others unchanged; 34 two-token seeded dev bugs (`bench/repair_bench_ab.py --size
    # two-token`, the bundled models, 30 s): 26 / 20 plausible / exact against 25 / 19, none lost.
    reserve_by_kind: bool = True
    # Candidates from the model's order per candidate from the model-free order (None: the
    # model's order alone). Chosen on the bundled model's validation programs, not on the repair
    # benchmark: `bench/rank_dev.py --repair --model-turns 2 4 0` (40 seeded bugs, `repair fix` on
    # each) needed a mean of 8.05 / 7.3 / 6.3 candidates per fix (90th percentile 30 / 28 / 22) at
    # 2:1 / 4:1 / the model alone, all 40 fixed. 4:1 rather than the model alone: a bug the model
    # misjudges then costs at most 5x the suspiciousness order's position (in the ranking alone,
    # `bench/rank_dev.py`, one such bug sat at 164 by the model and 4 by suspiciousness).
    # With the bundled pair of models (`repair.score.EnsembleScorer`) the model's order alone: on
    # the validation programs the same fixes (40 / 37 single-token, 36 / 32 two-token) for a mean
    # of 8.3 and 189 test runs per bug against 8.9 and 220 at 4:1; on bugs seeded in six and
    # tabulate (`--oss six,tabulate --repair --oss-bugs 6 --model-turns 4 0`) the same 7 / 6
    # fixes, each one 0-20 % cheaper (median 57 test runs per fix against 69).
    model_turns: int | None = None
    # A partial fix's signals: from its own coverage run (True), or from the first run's coverage
    # with the partial fix's test outcomes (False). On 12 held-out two-token HumanEval bugs both
    # fixed 9; fresh coverage needed a median of 57 test runs per fix against 130, in 9.7 s
    # against 9.0 s (one coverage run costs a pytest process; `bench/fresh_coverage_ab.py`).
    fresh_coverage: bool = True
    # Which suspiciousness picks the regions and weighs each candidate: "spectrum", the line
    # scores of `RepairConfig.formula`; "combined", `repair localize`'s statement scores
    # (`repair.combine.LocalizePolicy`: spectrum, traceback and text evidence), spread to their
    # lines. The model's graphs carry the spectrum signal either way: it is what it was trained
    # with. Development splits: see `bench/README.md` (localization in the repair loop).
    localization: str = "spectrum"
    # A partial fix's candidates: the suspiciousness of the lines within `near_edit_lines` of
    # its earlier edits (same file) is weighed `near_edit_factor` times (`repair.localize.
    # near_edits`), so the second half of a two-part fix beside the first is tried before edits
    # elsewhere that the tests score the same. The model reads the unweighed signal. 1.0: off.
    # Off until the real-bug dev split has run with it: on 34 seeded two-token dev bugs, 2.0 made
    # HumanEval_131 exact and lost none (22 exact against 21, with `last_round_to_the_end`; 20
    # against 21 without it), 146 -> 172 candidates per fix (`repair_bench_ab_last_round.txt`).
    near_edit_lines: int = 2
    near_edit_factor: float = 1.0

    # --- ranking (`repair.rank`) --------------------------------------------------------------
    # A structural edit's prior, in the units of P(option) of a token replacement: it is tried
    # after a token's likeliest replacements and before its unlikely ones. Untuned.
    operation_prior: float = 0.2
    # The model's P(wrong) in a statement run at import is scaled by this: such a region is a
    # graph of a few tokens, and the model, trained on whole functions that each hold a bug, is
    # sure of some token in almost any of them (`_moved_attributes = [...]` in six: 0.99, at the
    # top for every six bug). Development split (`bench/rank_dev.py --oss six`, with
    # option_smoothing 0.3): the exact fix's median position at 4:1 is 66.5 at 0.3, 63.5 at 0.1
    # and 0.03; 0.1 keeps statements in reach of the model's order. The validation programs have
    # no such statements.
    statement_prior: float = 0.1
    # A swap of call arguments: this prior (not operation_prior) times the highest P(wrong) among
    # its tokens. The model cannot say that two arguments trade places, only that their tokens
    # look wrong, so a swap needs more weight than the other structural edits to come before
    # unlikely replacements. Chosen on development splits (`bench/rank_dev.py`,
    # `bench/results/rank_dev.txt`), the exact fix's position at 4:1 for 0.2 (before) / 0.4 / 0.8
    # / 2: 55 swaps seeded in the validation programs (`--swaps`), mean 18.5 / 8.1 / 3.0 / 1.7;
    # the 40 token bugs there, mean 7.33 / 7.38 / 7.45 / 7.53 (median 2 throughout); six 1.17.0
    # (`--oss six`, 20 bugs, 5 of them swaps), median 63.5 / - / 50 / 50: its swaps from 44, 24,
    # 73, 19, 5 (0.2 with a swap's replacements scored too, since dropped) to 1, 1, 4, 1, 2, and
    # of its token bugs four moved (1 -> 8, 9 -> 11, 76 -> 78, 45 -> 40); at 2, five later.
    swap_prior: float = 0.8
    suspiciousness_floor: float = 0.05  # lines no failing test ran still rank, far behind
    module_statements_per_file: int = 20  # top-level statements of a suspicious file ranked
    max_statement_lines: int = 20  # ... each at most this long

    # --- scoring (`repair.predict`, `repair.score`) -------------------------------------------
    # P(option) is smoothed towards uniform: (1 - s) * P_model + s / len(options). A replacement
    # the vocabulary lacks (`is not` in the bundled model's) has P_model 0 and would otherwise sit
    # behind every option the model knows, however unlikely; and on real code the model is
    # overconfident. Chosen with statement_prior on development splits, not on the repair
    # benchmark (first-round position of the exact fix at 4:1, `bench/rank_dev.py`): six 1.17.0,
    # 20 seeded bugs, median 109 at 0 / 69.5 at 0.1 / 63.5 at 0.3 / 45 at 0.5; the 40 validation
    # programs, median 2 throughout, mean 7.5 / 7.3 / 7.3 / 7.8. 0.3: the most that costs the
    # validation programs nothing.
    option_smoothing: float = 0.3

    # --- the model-free baseline's probabilities (`repair.prior.PriorScorer`) ------------------
    # P(option) = (occurrences of its text + prior_pseudocount) / the same summed over the
    # token's options; occurrences counted in the token's file ("file") or in every file ranked
    # ("project"). Chosen on development splits, never the repair benchmark (`bench/rank_dev.py
    # --variant max_options=none,prior_pseudocount=X`, the baseline's first-round position of the
    # exact fix): 176 validation programs, median / p90 / top 10 at 1: 36 / 113 / 29, 0.1: 27 /
    # 120 / 40, 0.01: 23 / 122 / 45, 0.001: 23 / 152 / 44, 172 of 176 fixes ranked (the earlier
    # baseline, suspiciousness and the first 10 options in file order: 49.5 / 176 / 21, 163
    # ranked; bench/results/rank_dev.txt); six +
    # tabulate (40 bugs), median 64 / 61.5 / 59.5 at 1 / 0.1 / 0.01, top 10 14 / 15 / 15. The
    # scope changes nothing there (six is one file, tabulate's bugs are in one module), so the
    # file, the cheaper count.
    prior_pseudocount: float = 0.01
    prior_scope: str = "file"

    # --- structural edits (`repair.edits`) ----------------------------------------------------
    max_swapped_arguments: int = 4  # calls with more positional arguments only swap neighbours
    max_attribute_options: int = 8  # other attribute names offered per attribute, most used first

    # --- the real-fix operators (`repair.operators`) ------------------------------------------
    # Offer the operators read off the real-fix corpus (insertions, wraps, statements, strings)
    # besides the token replacements and `repair.edits`' structural edits.
    real_operators: bool = True
    # Each such candidate's prior is `operation_prior` times its kind's entry in
    # `repair.operator_priors.KIND_PRIORS` (the train split's hits per candidate of the kind,
    # against those of `repair.edits`' kinds), times this scale. Development splits, never the
    # repair benchmark: the exact fix's first-round position on the 40 validation programs
    # (`bench/rank_dev.py --variant real_operators=true,real_operator_scale=S`), model median /
    # p90 / top 10: operators off 2 / 13 / 34, S=1 11.5 / 41 / 19, 0.3 6.5 / 23 / 28, 0.1 2.5 /
    # 19 / 31, 0.03 2 / 14 / 33, 0.01 2 / 13 / 34; eight real dev bugs the operators reach
    # (`bench/realbugs_variant.py`, 60 s, loaded machine): off 0 correct / 2 plausible, 0.01 1 / 4,
    # 0.1 2 / 4 (freezegun-1 `is not None`, freezegun-2 an unwrap). Two-token repairs on the
    # validation programs (`rank_dev.py --repair --tokens 2 --timeout 120`): off 37 / 33
    # plausible / exact, 0.03 with partial states 35 / 30, 0.03 without them (real_partial_fixes)
    # and with plausible_share 0.25: 36 / 32 (lost: HumanEval/66, found at 1851 of 2000
    # candidates without the operators).
    real_operator_scale: float = 0.03
    # Per region, the likeliest max_real_candidates real-fix candidates (at most
    # max_candidates_per_kind of a kind) are ranked with the rest; those beyond wait in the
    # reserve, as options beyond `max_options` do (`Candidate.deferred`).
    # Whether a real-fix candidate that makes fewer (or no more) tests fail becomes a partial
    # state the next round builds on; off, such a candidate counts only when every test passes
    # (a deleted statement or a dropped operand passes some tests by chance, and then fills the
    # beam: bench/rank_dev.py --repair --tokens 2, synthetic/0/177 fixed in 178 candidates
    # without the operators, not within 2000 with them and partial states).
    real_partial_fixes: bool = False
    max_real_candidates: int = 24
    max_candidates_per_kind: int = 8
    # Among a region's structural and real-fix edits, those whose new token n-grams their
    # function already holds first (`repair.naturalness`): each edit's weight times
    # (natural_floor + the share of its new trigrams seen in the function), over the region's
    # mean. None: off, on the dev split: on 324 mined fixes one edit makes
    # (`bench/operator_rank.py --no-model --natural 1`) the median rank 27.5 -> 24 and top 24
    # 47.5 -> 50.3 %, but 120 fixes rank worse and 104 better; on the real dev bugs
    # (`bench/realbugs_rank.py --set natural_floor=1.0`) 5 human fixes move up, 5 down, none
    # into a 60 s run's reach. The whole file's n-grams did better on the mined fixes (median
    # 23, top 24 50.3 %, 154 better and 88 worse; `bench/results/operator_rank_natural.txt`),
    # but not on the real dev bugs (natural_scope "file", floor 1: 5 better, 6 worse; floor 0.5:
    # 6 and 5; none into reach; `bench/results/realbugs_rank_natural.txt`).
    natural_floor: float | None = None
    natural_scope: str = "function"  # whose n-grams: "function" (the region's) or "file"
    max_generated_per_kind: int = 4000  # ... and at most this many generated per region
    max_inserted_arguments: int = 6  # arguments offered per call (file's keywords, constants)
    max_wrap_functions: int = 10  # functions offered to wrap an expression in
    max_method_options: int = 3  # methods offered to append to an expression
    # ... the file's own first, then these (space-separated; "" none) while fewer than that: the
    # three zero-argument methods real fixes append most (train split: lower 34, copy 27, strip
    # 19 of 172 such fixes in 29,730). Dev: mined fixes' reach within the ceiling 35.6 -> 35.7 %;
    # the 102 seeded bugs (`repair_bench_ab.py --size all --a common_methods=`): no outcome differs
    # reproducibly; real-bug dev human fixes (`realbugs_rank.py --no-model`): more-itertools-4
    # 313 -> 447, sqlparse-2 4089 -> 4069, no other moves.
    common_methods: str = "lower copy strip"
    max_statement_edit_lines: int = 3  # statements longer than this are not deleted or swapped
    max_statement_ingredients: int = 8  # copies of the file's statements offered per position
    max_edits_per_string: int = 30  # edits offered inside one string literal
    # A statement made like a neighbour that differs by one run of tokens
    # (`repair.sibling_edits`): neighbours at most this many statements away (0: none). Dev
    # mined fixes (`bench/operator_reach.py --split dev`): reach 18.0 -> 18.1 % in <= 2; seeded
    # two-token dev bugs (`repair_bench_ab.py --a max_sibling_distance=0`): 26 / 21 either way.
    max_sibling_distance: int = 6
    # `+ 1` / `- 1` on an operand of `*`, `/`, `//`, `%`, `**`, in parentheses (`(page - 1) *
    # size`; `repair.edits`), besides the whole expression. Dev: mined fixes' reach 18.1 -> 18.2 %
    # in <= 2; the 102 seeded bugs (`repair_bench_ab.py --size all --a offset_operands=false`):
    # no outcome differs, median candidates per fix 40 -> 41.
    offset_operands: bool = True
    # A literal table (list, set, tuple, dict of strings) gets an entry it lacks from the failing
    # tests' strings (`repair.collection_entries`), at most this many per table.
    test_literal_entries: bool = True
    max_entries_per_table: int = 8
    # Such an entry's prior, in the units of P(option), without `statement_prior` (a test names
    # what the table lacks, in the table's own style: strong evidence). Dev real bugs
    # (`bench/realbugs_rank.py --no-model`, the human fix's first-round position, sqlparse-1 /
    # sqlparse-3 / freezegun-4): the rarest corpus kind's prior 3520 / 4431 / 2538; 1.0 with
    # statement_prior 533 / 1134 / 251; 1.0 without it 42 / 50 / 8 (15 / 22 / 19 once words come
    # only from groups that share the table's entries, ec78f8d).
    entry_prior: float = 1.0
    # ... times this for an entry appended to a table not in order (`append_entry`): when the
    # same word fits two tables, the sorted one's place is the likelier fix (dev real bug
    # sqlparse-1: MATERIALIZED passes in KEYWORDS, in order, and appended to KEYWORDS_COMMON;
    # tied, the search kept the second)
    append_share: float = 0.5

    # --- the search (`repair.search` and its parts) -------------------------------------------
    # A plausible patch is a candidate, not the answer: after the first verified passing patch
    # the search goes on through its queue (no new rounds) for this share of the candidates
    # spent until then (at least plausible_min_candidates) and of the time left, and every passing
    # patch it finds is verified too, at most max_plausible; `repair.patch_choice` then ranks
    # them (model probability, size, removed behaviour). 0 stops at the first verified patch.
    # Development split (`rank_dev.py --repair --tokens 2 --timeout 120`, 40 validation programs):
    # 0 and 0.25 both 37 / 33 plausible / exact, median test runs per fix 33 -> 53; with the
    # real-fix operators on, 0.25 turns fizzbuzz's plausible `drop_operand` patch back into the
    # exact fix (a removal, scored 0.0007 against 0.27).
    plausible_share: float = 0.25
    plausible_min_candidates: int = 20
    max_plausible: int = 4
    # The ranking of passing patches (`repair.patch_choice`): a patch's score is the product of
    # its edits' model probabilities, times size_penalty per changed token beyond the first, times
    # removal_penalty if it removes behaviour (a dropped call or statement, a recursion replaced).
    size_penalty: float = 0.7
    removal_penalty: float = 0.3
    # ... and the first patch found (the search's order weighs the line's suspiciousness too)
    # stays the answer unless another scores at least this many times as much. Repair benchmark
    # dev split, paired A/B (`bench/repair_bench_ab.py`): without it the tail's likelier `1 -> 0`
    # (0.022) displaced HumanEval_76-b's exact `2 -> 1` (0.014), the one exact fix lost.
    incumbent_margin: float = 2.0
    # The best patch is reported as doubtful when it removes behaviour, when the runner-up scores
    # at least doubt_margin of its score, or when its edits' probability is below doubt_probability.
    doubt_margin: float = 0.5
    doubt_probability: float = 0.01
    # Failing tests that timed out, run first: a still-looping candidate stops there.
    looping_first: int = 2
    # When a candidate passes every test, up to this many untried candidates of the same state
    # that the scorer finds likelier (a higher model probability) are validated too, and the
    # likeliest passing one is kept: weak tests pass several edits, and the one the model finds
    # most natural is most often the intended fix (`x <= y` rather than `x < y + 1`). One batch at
    # two jobs; 0 turns it off.
    natural_alternatives: int = 2
    # Earlier rounds' untried candidates are taken by score alone, not fewest failing tests
    # first: a spurious partial fix (fewer failing tests by coincidence) would otherwise push the
    # candidates of the state that holds the real fix behind those of every state derived from it.
    older_by_score: bool = True
    # A round that finds no partial fix goes on from the least worse of its candidates whose runs
    # finished (fewest failing tests, then score): a two-token bug can hide behind a test that
    # passes only by coincidence (`a[i] + a[i * 1]` is right for `[11, 11]`), and each half of its
    # fix then fails one more test than the bug does.
    worse_fallback: bool = True
    # The beam keeps one state per behaviour (its failing tests and their messages): `x if
    # hexdigest` with `hexdigest` replaced by six different names that all happen to be truthy
    # fails the same test the same way six times, and filled the beam of four.
    distinct_beam: bool = True
    # After a round's first partial fix with fewer failing tests, this many more candidates are
    # tried before the round ends and the partial fixes are expanded (their untried siblings stay
    # queued).
    round_patience: int = 16
    # The last round does not end early for better states (patience, beam): no round comes
    # after it to expand them, so it validates the queue until the budget is spent or the
    # queue is empty, instead of stopping with "rounds exhausted" and time left. Development
    # split: 34 seeded two-token dev bugs, no outcome changed (`bench/results/
    # repair_bench_ab_last_round.txt`); with `near_edit_factor` 2 it keeps HumanEval_76 and 126,
    # which stopped with rounds exhausted. No real dev bug's run stopped that way.
    last_round_to_the_end: bool = True
    # ... but the round ends sooner once no untried candidate of this round is at least this
    # fraction as likely (model probability) as the edit that made the first partial fix. The
    # patience is there to find a likelier half of the fix than the first one found, and a
    # candidate the model finds far less likely seldom is. 0 turns it off. Development split
    # (`rank_dev.py --repair --tokens 2`, 40 bugs, exp4): 35 / 31 plausible / exact at 0 and
    # 0.25 (0.5 loses two exact), median test runs per fix 33 -> 30; with the bundled pair 0.1 /
    # 0.5 (`bench/results/rank_dev.txt`): 0.5 loses an exact fix, 0.1 costs more.
    patience_probability: float = 0.25

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not _is_a(value, hints[field.name]):
                raise TypeError(
                    f"SearchPolicy.{field.name}: {value!r} is not a {_type_name(hints[field.name])}"
                )
            if hints[field.name] is float:  # 1 and 1.0 are one policy, with one key
                object.__setattr__(self, field.name, float(value))
        if self.prior_scope not in PRIOR_SCOPES:
            raise ValueError(
                f"SearchPolicy.prior_scope: {self.prior_scope!r} not in {PRIOR_SCOPES}"
            )
        if self.natural_scope not in NATURAL_SCOPES:
            raise ValueError(
                f"SearchPolicy.natural_scope: {self.natural_scope!r} not in {NATURAL_SCOPES}"
            )

    def to_json(self) -> dict[str, Any]:
        """Every field by name: what a benchmark result records."""
        return dataclasses.asdict(self)

    def key(self) -> str:
        """A short digest of every field, equal for equal policies (a cache or result key)."""
        text = json.dumps(self.to_json(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def changes(self) -> dict[str, Any]:
        """The fields that differ from the defaults: a readable name for a variant."""
        default = SearchPolicy()
        return {
            name: value for name, value in self.to_json().items() if value != getattr(default, name)
        }


def with_settings(policy: SearchPolicy, assignments: typing.Iterable[str]) -> SearchPolicy:
    """`policy` with `name=value` strings applied, each value converted to the field's type
    ("none" for an optional field's None); ValueError names the known fields otherwise."""
    hints = typing.get_type_hints(SearchPolicy)
    changes: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        name = name.strip()
        if not sep or name not in hints:
            known = ", ".join(field.name for field in dataclasses.fields(SearchPolicy))
            raise ValueError(f"{assignment!r}: expected NAME=VALUE with NAME one of: {known}")
        changes[name] = _convert(name, raw.strip(), hints[name])
    return dataclasses.replace(policy, **changes)


def _options(kind: Any) -> tuple[Any, ...]:
    """The types a hint allows: (int, NoneType) for `int | None`."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return typing.get_args(kind)
    return (kind,)


def _is_a(value: Any, kind: Any) -> bool:
    for option in _options(kind):
        if option is type(None) and value is None:
            return True
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if option in (bool, str) and isinstance(value, option):
            return True
    return False


def _type_name(kind: Any) -> str:
    return " or ".join(getattr(option, "__name__", str(option)) for option in _options(kind))


def _convert(name: str, raw: str, kind: Any) -> Any:
    options = _options(kind)
    if type(None) in options and raw.lower() == "none":
        return None
    for option in options:
        try:
            if option is bool:
                if raw.lower() in ("1", "true", "yes", "on"):
                    return True
                if raw.lower() in ("0", "false", "no", "off"):
                    return False
            elif option in (int, float, str):
                return option(raw)
        except ValueError:
            continue
    raise ValueError(f"{name}={raw}: not a valid {_type_name(kind)}")
