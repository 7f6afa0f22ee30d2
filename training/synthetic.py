"""Synthetic programs with tests: small HumanEval-style functions written from templates.

A template writes one or two functions (loops with accumulators, string processing, dict counting,
index arithmetic, early returns, helpers called with several arguments) with identifiers from
per-domain name pools, random constants and operator choices, and an input generator. A program
holds one template, sometimes two. The expected outputs come from running the generated source, so
the tests pass on the clean program by construction; the input generators plant boundary values
(an element equal to the threshold, an empty list, zero) and the chosen inputs favour distinct
outputs, so that most single-token corruptions make some test fail (see `mutation_score`).

Generation is deterministic: program i of a seed is drawn from its own `random.Random`, seeded
by a string, so it depends on neither PYTHONHASHSEED nor the machine.
"""

from __future__ import annotations

import ast
import random
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from training.programs import Program, normalized_source_hash

if TYPE_CHECKING:
    from repair.executor import Executor

Args = tuple[object, ...]
T = TypeVar("T")

# --- name pools ----------------------------------------------------------------------------------

# (plural, singular): a list and its element, named after what they hold.
SEQUENCES = (
    ("nums", "num"), ("numbers", "number"), ("values", "value"), ("items", "item"),
    ("scores", "score"), ("readings", "reading"), ("amounts", "amount"), ("prices", "price"),
    ("temps", "temp"), ("heights", "height"), ("xs", "x"), ("ages", "age"), ("marks", "mark"),
    ("sizes", "size"), ("deltas", "delta"), ("costs", "cost"), ("weights", "weight"),
    ("samples", "sample"), ("lengths", "length"), ("votes", "vote"),
)  # fmt: skip
GENERIC_ELEMENTS = ("x", "v", "n", "elem", "e")
ACCUMULATORS = ("total", "acc", "result", "running", "s", "subtotal", "agg", "summed")
COUNTERS = ("count", "cnt", "hits", "matches", "found", "num_found", "tally")
THRESHOLDS = ("limit", "threshold", "bound", "cutoff", "t", "target", "level", "pivot")
INDICES = ("i", "idx", "pos", "k", "index", "p")
SECOND_INDICES = ("j", "q", "other", "m")
LOWS = ("lo", "low", "lower", "start", "left", "min_value")
HIGHS = ("hi", "high", "upper", "end", "right", "max_value")
BESTS = ("best", "top", "peak", "champion", "winner", "record")
OUTPUTS = ("out", "result", "res", "output", "collected", "kept", "answer", "parts")
TEXTS = ("text", "s", "sentence", "line", "phrase", "message", "string", "label", "word")
CHARS = ("ch", "c", "letter", "char", "symbol")
WORD_LISTS = ("words", "tokens", "pieces", "chunks")
WORD_NAMES = ("w", "word", "token", "piece", "chunk")
DICTS = ("counts", "freq", "table", "seen", "histogram", "tally", "lookup", "registry")
INTEGERS = ("n", "number", "value", "num", "x", "m")
SIZES = ("k", "size", "width", "span", "window", "step")

WORDS = (
    "a", "go", "at", "sun", "cat", "sky", "tree", "blue", "moon", "code", "data", "apple",
    "river", "stone", "hello", "world", "green", "table", "orange", "python", "garden", "eagle",
    "idea", "open", "under", "ice", "echo", "level", "noon", "radar", "bob", "zz", "ab", "ba",
)  # fmt: skip

# --- drawing names and constants -----------------------------------------------------------------


@dataclass
class _Entry:
    """A function the tests call: how to draw valid arguments, and edge-case arguments."""

    function: str
    draw: Callable[[random.Random], Args]
    edges: tuple[Args, ...] = ()


@dataclass
class _Built:
    source: str
    entries: list[_Entry]


class _Draw:
    """Random choices for one template: fresh names (unique in the template) and constants."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng = rng
        self._taken = taken  # names of the program's functions (and this template's variables)

    def _fresh(self, options: Sequence[str]) -> str:
        free = [name for name in options if name not in self._taken]
        name = self.rng.choice(free) if free else f"{self.rng.choice(options)}_{len(self._taken)}"
        self._taken.add(name)
        return name

    def function(self, *options: str) -> str:
        return self._fresh(options)

    def var(self, pool: Sequence[str]) -> str:
        return self._fresh(pool)

    def seq(self) -> tuple[str, str]:
        """A list name and its element name: `prices`/`price`, or sometimes a generic `x`."""
        free = [pair for pair in SEQUENCES if not set(pair) & self._taken]
        plural, singular = self.rng.choice(free)
        self._taken.add(plural)
        if self.rng.random() < 0.3:
            return plural, self.var(GENERIC_ELEMENTS)
        self._taken.add(singular)
        return plural, singular

    def reserve(self, *names: str) -> None:
        """Names a template spells out itself (`a`, `b`), kept from the other draws."""
        self._taken.update(names)

    def pick(self, *options: T) -> T:
        return self.rng.choice(options)

    def int(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability


def _src(*lines: str | bool | None) -> str:
    """Join source lines, skipping the optional ones that were not drawn (None or False)."""
    return "\n".join(line for line in lines if isinstance(line, str)) + "\n"


def _ints(
    rng: random.Random, low: int, high: int, max_len: int = 7, plant: Sequence[int] = ()
) -> list[int]:
    """A list of ints; the `plant` values (boundaries such as a threshold) often appear in it."""
    values = [rng.randint(low, high) for _ in range(rng.randint(0, max_len))]
    for value in plant:
        if values and rng.random() < 0.5:
            values[rng.randrange(len(values))] = value
    return values


def _sentence(rng: random.Random, max_words: int = 5) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, max_words)))


def _letters(rng: random.Random, alphabet: str, max_len: int = 8) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_len)))


TEMPLATES: dict[str, Callable[[_Draw], _Built]] = {}


def _template(build: Callable[[_Draw], _Built]) -> Callable[[_Draw], _Built]:
    TEMPLATES[build.__name__.lstrip("_")] = build
    return build


# --- lists: loops with accumulators, conditions, index arithmetic --------------------------------


@_template
def _sum_where(d: _Draw) -> _Built:
    cmp = d.pick(">", ">=", "<", "<=", "!=")
    names = {">": ("sum_above", "total_over"), ">=": ("sum_at_least", "total_from")}
    fn = d.function(*names.get(cmp, ("sum_matching", "filtered_total", "sum_where")))
    xs, x = d.seq()
    t, acc, k = d.var(THRESHOLDS), d.var(ACCUMULATORS), d.int(2, 5)
    term = d.pick(x, f"{x} * {k}", f"{x} - {k}")
    src = _src(
        f"def {fn}({xs}, {t}):",
        f"    {acc} = 0",
        f"    for {x} in {xs}:",
        f"        if {x} {cmp} {t}:",
        f"            {acc} += {term}",
        f"    return {acc}",
    )

    def draw(rng: random.Random) -> Args:
        limit = rng.randint(1, 9)
        return _ints(rng, -5, 15, plant=(limit, limit + 1, limit - 1)), limit

    return _Built(src, [_Entry(fn, draw, (([], 3), ([4], 4)))])


@_template
def _count_between(d: _Draw) -> _Built:
    inside = d.chance(0.6)
    options = ("count_between", "count_in_range", "num_within") if inside else ("count_outside",)
    fn = d.function(*options)
    xs, x = d.seq()
    lo, hi, cnt = d.var(LOWS), d.var(HIGHS), d.var(COUNTERS)
    c1, c2 = d.pick("<", "<="), d.pick("<", "<=")
    if inside:
        condition = f"{lo} {c1} {x} and {x} {c2} {hi}"
    else:
        condition = f"{x} {c1} {lo} or {x} {c2.replace('<', '>')} {hi}"
    src = _src(
        f"def {fn}({xs}, {lo}, {hi}):",
        f"    {cnt} = 0",
        f"    for {x} in {xs}:",
        f"        if {condition}:",
        f"            {cnt} += 1",
        f"    return {cnt}",
    )

    def draw(rng: random.Random) -> Args:
        low = rng.randint(-3, 5)
        high = low + rng.randint(1, 6)
        return _ints(rng, low - 3, high + 3, plant=(low, high)), low, high

    return _Built(src, [_Entry(fn, draw, (([], 1, 4), ([2, 2], 2, 5)))])


@_template
def _index_of_extreme(d: _Draw) -> _Built:
    cmp = d.pick(">", ">=", "<", "<=")
    fn = d.function(
        *(
            ("argmax", "index_of_max", "position_of_largest")
            if ">" in cmp
            else ("argmin", "index_of_min", "position_of_smallest")
        )
    )
    xs, x = d.seq()
    best, i, where = d.var(BESTS), d.var(INDICES), d.var(("best_index", "where", "found_at"))
    missing = d.pick("None", "-1")
    if d.chance(0.5):
        loop = [f"    for {i}, {x} in enumerate({xs}):"]
        item = x
    else:
        loop = [f"    for {i} in range(len({xs})):"]
        item = f"{xs}[{i}]"
    src = _src(
        f"def {fn}({xs}):",
        f"    {best} = None",
        f"    {where} = {missing}",
        *loop,
        f"        if {best} is None or {item} {cmp} {best}:",
        f"            {best} = {item}",
        f"            {where} = {i}",
        f"    return {where}",
    )
    return _Built(src, [_Entry(fn, lambda rng: (_ints(rng, 0, 5),), (([],), ([7],)))])


@_template
def _product_filtered(d: _Draw) -> _Built:
    fn = d.function("product_of", "multiply_matching", "filtered_product", "product_nonzero")
    xs, x = d.seq()
    acc = d.var(("product", "prod", "acc", "result", "total"))
    condition = d.pick(f"{x} != 0", f"{x} > 0", f"{x} % 2 == 1", f"{x} % 2 == 0 and {x} != 0")
    guard = d.chance(0.5)
    src = _src(
        f"def {fn}({xs}):",
        guard and f"    if not {xs}:\n        return 0",
        f"    {acc} = 1",
        f"    for {x} in {xs}:",
        f"        if {condition}:",
        f"            {acc} *= {x}",
        f"    return {acc}",
    )
    return _Built(src, [_Entry(fn, lambda rng: (_ints(rng, -3, 5, 6),), (([],), ([0],)))])


@_template
def _prefix_totals(d: _Draw) -> _Built:
    product = d.chance(0.3)
    fn = d.function(*(("running_product",) if product else ("prefix_sums", "running_totals")))
    xs, x = d.seq()
    acc = d.var(("product", "prod", "running") if product else ACCUMULATORS)
    out = d.var(OUTPUTS)
    start = d.var(("start", "initial", "base", "offset")) if d.chance(0.4) else None
    src = _src(
        f"def {fn}({xs}{', ' + start if start else ''}):",
        f"    {out} = []",
        f"    {acc} = {start or ('1' if product else '0')}",
        f"    for {x} in {xs}:",
        f"        {acc} {'*=' if product else '+='} {x}",
        f"        {out}.append({acc})",
        f"    return {out}",
    )

    def draw(rng: random.Random) -> Args:
        values = _ints(rng, -3, 4, 6) if product else _ints(rng, -5, 9)
        return (values, rng.randint(2, 5)) if start else (values,)

    edges = (([], 3), ([0, 1], 2)) if start else (([],), ([2],))
    return _Built(src, [_Entry(fn, draw, edges)])


@_template
def _adjacent_pairs(d: _Draw) -> _Built:
    op = d.pick("-", "+", "*")
    fn = d.function(
        *{"-": ("differences", "deltas"), "+": ("pair_sums",), "*": ("pair_products",)}[op]
    )
    xs, x = d.seq()
    out, i = d.var(OUTPUTS), d.var(INDICES)
    style = d.pick("next", "previous", "gap")
    gap = d.var(("gap", "lag", "offset", "stride")) if style == "gap" else None
    if style == "next":
        loop, left, right = f"range(len({xs}) - 1)", f"{xs}[{i} + 1]", f"{xs}[{i}]"
    elif style == "previous":
        loop, left, right = f"range(1, len({xs}))", f"{xs}[{i}]", f"{xs}[{i} - 1]"
    else:
        loop, left, right = f"range(len({xs}) - {gap})", f"{xs}[{i} + {gap}]", f"{xs}[{i}]"
    src = _src(
        f"def {fn}({xs}{', ' + gap if gap else ''}):",
        f"    {out} = []",
        f"    for {i} in {loop}:",
        f"        {out}.append({left} {op} {right})",
        f"    return {out}",
    )

    def draw(rng: random.Random) -> Args:
        values = _ints(rng, -5, 12)
        return (values, rng.randint(1, 3)) if gap else (values,)

    edges = (([], 1), ([4], 1)) if gap else (([],), ([4],))
    return _Built(src, [_Entry(fn, draw, edges)])


@_template
def _count_pairs(d: _Draw) -> _Built:
    kind = d.pick("sum", "close", "less")
    fn = d.function(
        *{
            "sum": ("count_pairs_with_sum", "pairs_summing_to"),
            "close": ("count_close_pairs",),
            "less": ("count_small_pairs",),
        }[kind]
    )
    xs, _ = d.seq()
    t, cnt, i, j = d.var(THRESHOLDS), d.var(COUNTERS), d.var(INDICES), d.var(SECOND_INDICES)
    condition = {
        "sum": f"{xs}[{i}] + {xs}[{j}] == {t}",
        "close": f"abs({xs}[{i}] - {xs}[{j}]) <= {t}",
        "less": f"{xs}[{i}] + {xs}[{j}] < {t}",
    }[kind]
    src = _src(
        f"def {fn}({xs}, {t}):",
        f"    {cnt} = 0",
        f"    for {i} in range(len({xs})):",
        f"        for {j} in range({i} + 1, len({xs})):",
        f"            if {condition}:",
        f"                {cnt} += 1",
        f"    return {cnt}",
    )

    def draw(rng: random.Random) -> Args:
        values = _ints(rng, 0, 8, 6)
        target = rng.randint(1, 3) if kind == "close" else rng.randint(2, 12)
        if len(values) >= 2 and rng.random() < 0.6:
            target = values[0] + values[-1] if kind != "close" else abs(values[0] - values[-1])
        return values, target

    return _Built(src, [_Entry(fn, draw, (([], 4), ([2], 4)))])


@_template
def _has_close(d: _Draw) -> _Built:
    fn = d.function("has_close_elements", "any_close", "has_near_pair")
    xs, _ = d.seq()
    t, i = d.var(THRESHOLDS), d.var(INDICES)
    cmp = d.pick("<", "<=")
    if d.chance(0.5):
        j = d.var(SECOND_INDICES)
        body = [
            f"    for {i} in range(len({xs})):",
            f"        for {j} in range({i} + 1, len({xs})):",
            f"            if abs({xs}[{i}] - {xs}[{j}]) {cmp} {t}:",
            "                return True",
        ]
    else:
        ordered = d.var(("ordered", "sorted_values", "ys", "ranked"))
        body = [
            f"    {ordered} = sorted({xs})",
            f"    for {i} in range(1, len({ordered})):",
            f"        if {ordered}[{i}] - {ordered}[{i} - 1] {cmp} {t}:",
            "            return True",
        ]
    src = _src(f"def {fn}({xs}, {t}):", *body, "    return False")

    def draw(rng: random.Random) -> Args:
        values = sorted(rng.sample(range(0, 30), rng.randint(2, 6)), key=lambda _: rng.random())
        gaps = [abs(a - b) for a in values for b in values if a != b]
        return values, rng.choice(gaps) + rng.choice((0, 0, 1, -1))

    return _Built(src, [_Entry(fn, draw, (([], 2), ([5], 1)))])


@_template
def _balance_check(d: _Draw) -> _Built:
    ops, op = d.pick(
        ("operations", "op"), ("deposits", "amount"), ("changes", "change"), ("moves", "move")
    )
    d.reserve(ops, op)
    balance, i = d.var(("balance", "level", "total", "position")), d.var(INDICES)
    cmp = d.pick("<", "<=")
    if d.chance(0.5):
        fn = d.function("below_zero", "goes_negative", "ever_overdrawn")
        loop, step, hit, miss = f"for {op} in {ops}:", op, "True", "False"
    else:
        fn = d.function("first_overdraft", "index_below_zero", "first_negative_step")
        loop, step, hit, miss = f"for {i} in range(len({ops})):", f"{ops}[{i}]", i, "-1"
    start = d.var(("start", "opening", "initial")) if d.chance(0.4) else None
    src = _src(
        f"def {fn}({ops}{', ' + start if start else ''}):",
        f"    {balance} = {start or '0'}",
        f"    {loop}",
        f"        {balance} += {step}",
        f"        if {balance} {cmp} 0:",
        f"            return {hit}",
        f"    return {miss}",
    )

    def draw(rng: random.Random) -> Args:
        values = _ints(rng, -6, 6, 7)
        return (values, rng.randint(0, 5)) if start else (values,)

    edges = (([], 0), ([-2, 2], 2)) if start else (([],), ([3, -3],))
    return _Built(src, [_Entry(fn, draw, edges)])


@_template
def _max_window(d: _Draw) -> _Built:
    fn = d.function("max_window_sum", "best_run_total", "largest_window")
    xs, _ = d.seq()
    k, best, i, s = d.var(SIZES), d.var(BESTS), d.var(INDICES), d.var(ACCUMULATORS)
    if d.chance(0.5):
        j = d.var(SECOND_INDICES)
        window = [
            f"        {s} = 0",
            f"        for {j} in range({i}, {i} + {k}):",
            f"            {s} += {xs}[{j}]",
        ]
    else:
        window = [f"        {s} = sum({xs}[{i}:{i} + {k}])"]
    src = _src(
        f"def {fn}({xs}, {k}):",
        f"    if len({xs}) < {k}:",
        "        return None",
        f"    {best} = None",
        f"    for {i} in range(len({xs}) - {k} + 1):",
        *window,
        f"        if {best} is None or {s} > {best}:",
        f"            {best} = {s}",
        f"    return {best}",
    )
    return _Built(
        src,
        [_Entry(fn, lambda rng: (_ints(rng, -4, 9), rng.randint(1, 3)), (([], 2), ([3, 1], 2)))],
    )


@_template
def _second_extreme(d: _Draw) -> _Built:
    largest = d.chance(0.6)
    fn = d.function("second_largest", "runner_up") if largest else d.function("second_smallest")
    xs, x = d.seq()
    first, second = d.var(("first", "top", "best")), d.var(("second", "runner", "next_best"))
    cmp = ">" if largest else "<"
    src = _src(
        f"def {fn}({xs}):",
        f"    {first} = None",
        f"    {second} = None",
        f"    for {x} in {xs}:",
        f"        if {first} is None or {x} {cmp} {first}:",
        f"            {second} = {first}",
        f"            {first} = {x}",
        f"        elif {x} != {first} and ({second} is None or {x} {cmp} {second}):",
        f"            {second} = {x}",
        f"    return {second}",
    )
    return _Built(src, [_Entry(fn, lambda rng: (_ints(rng, 0, 9),), (([],), ([3, 3],)))])


@_template
def _weighted_sum(d: _Draw) -> _Built:
    alternating = d.chance(0.5)
    fn = (
        d.function("alternating_sum", "signed_total")
        if alternating
        else d.function("position_weighted_sum", "weighted_total")
    )
    xs, x = d.seq()
    acc, i = d.var(ACCUMULATORS), d.var(INDICES)
    period = d.int(2, 3)
    if d.chance(0.5):
        loop, item = f"for {i}, {x} in enumerate({xs}):", x
    else:
        loop, item = f"for {i} in range(len({xs})):", f"{xs}[{i}]"
    if alternating:
        body = [
            f"        if {i} % {period} == 0:",
            f"            {acc} += {item}",
            "        else:",
            f"            {acc} -= {item}",
        ]
    else:
        body = [f"        {acc} += {item} * ({i} + {d.int(1, 2)})"]
    src = _src(f"def {fn}({xs}):", f"    {acc} = 0", f"    {loop}", *body, f"    return {acc}")
    return _Built(src, [_Entry(fn, lambda rng: (_ints(rng, -5, 9),), (([],), ([5],)))])


@_template
def _filter_transform(d: _Draw) -> _Built:
    fn = d.function("scaled_multiples", "transform_selected", "select_and_scale")
    xs, x = d.seq()
    out = d.var(OUTPUTS)
    factor = d.var(("factor", "scale", "multiplier"))
    div, offset = d.int(2, 4), d.int(1, 5)
    keep = d.pick("==", "!=")
    src = _src(
        f"def {fn}({xs}, {factor}):",
        f"    {out} = []",
        f"    for {x} in {xs}:",
        f"        if {x} % {div} {keep} 0:",
        f"            {out}.append({x} * {factor} + {offset})",
        f"    return {out}",
    )
    draw = lambda rng: (_ints(rng, -6, 12), rng.randint(2, 5))  # noqa: E731
    return _Built(src, [_Entry(fn, draw, (([], 3), ([0], 2)))])


@_template
def _first_index(d: _Draw) -> _Built:
    backwards = d.chance(0.4)
    cmp = d.pick(">", ">=", "<", "==")
    fn = (
        d.function("last_index_where", "find_last")
        if backwards
        else d.function("first_index_where", "find_first", "index_of_first")
    )
    xs, _ = d.seq()
    t, i = d.var(THRESHOLDS), d.var(INDICES)
    loop = f"range(len({xs}) - 1, -1, -1)" if backwards else f"range(len({xs}))"
    src = _src(
        f"def {fn}({xs}, {t}):",
        f"    for {i} in {loop}:",
        f"        if {xs}[{i}] {cmp} {t}:",
        f"            return {i}",
        f"    return {d.pick('-1', 'None')}",
    )

    def draw(rng: random.Random) -> Args:
        limit = rng.randint(0, 8)
        return _ints(rng, 0, 10, plant=(limit, limit + 1)), limit

    return _Built(src, [_Entry(fn, draw, (([], 0), ([5, 5], 5)))])


@_template
def _is_sorted(d: _Draw) -> _Built:
    cmp = d.pick(">", ">=", "<", "<=")
    fn = d.function(
        *{
            ">": ("is_non_decreasing", "is_sorted"),
            ">=": ("is_strictly_increasing",),
            "<": ("is_non_increasing",),
            "<=": ("is_strictly_decreasing",),
        }[cmp]
    )
    xs, _ = d.seq()
    i = d.var(INDICES)
    if d.chance(0.5):
        loop, left, right = f"range(len({xs}) - 1)", f"{xs}[{i}]", f"{xs}[{i} + 1]"
    else:
        loop, left, right = f"range(1, len({xs}))", f"{xs}[{i} - 1]", f"{xs}[{i}]"
    src = _src(
        f"def {fn}({xs}):",
        f"    for {i} in {loop}:",
        f"        if {left} {cmp} {right}:",
        "            return False",
        "    return True",
    )

    def draw(rng: random.Random) -> Args:
        values = sorted(_ints(rng, 0, 6), reverse=cmp in ("<", "<="))
        if len(values) >= 2 and rng.random() < 0.5:
            at = rng.randrange(len(values) - 1)
            values[at], values[at + 1] = values[at + 1], values[at]
        return (values,)

    return _Built(src, [_Entry(fn, draw, (([],), ([4, 4],)))])


@_template
def _longest_run(d: _Draw) -> _Built:
    cmp = d.pick("==", ">", "<")
    fn = d.function(
        *{
            "==": ("longest_streak", "longest_plateau"),
            ">": ("longest_rise",),
            "<": ("longest_decline",),
        }[cmp]
    )
    xs, _ = d.seq()
    best, cur, i = d.var(BESTS), d.var(("current", "run", "streak", "cur")), d.var(INDICES)
    src = _src(
        f"def {fn}({xs}):",
        f"    if not {xs}:",
        "        return 0",
        f"    {best} = 1",
        f"    {cur} = 1",
        f"    for {i} in range(1, len({xs})):",
        f"        if {xs}[{i}] {cmp} {xs}[{i} - 1]:",
        f"            {cur} += 1",
        "        else:",
        f"            {cur} = 1",
        f"        if {cur} > {best}:",
        f"            {best} = {cur}",
        f"    return {best}",
    )
    return _Built(src, [_Entry(fn, lambda rng: (_ints(rng, 0, 3, 8),), (([],), ([2],)))])


@_template
def _clip_values(d: _Draw) -> _Built:
    count = d.chance(0.4)
    fn = (
        d.function("count_clipped", "num_out_of_range")
        if count
        else d.function("clip_all", "clamp_values", "bounded")
    )
    xs, x = d.seq()
    lo, hi = d.var(LOWS), d.var(HIGHS)
    if count:
        cnt = d.var(COUNTERS)
        lines = [
            f"    {cnt} = 0",
            f"    for {x} in {xs}:",
            f"        if {x} < {lo}:",
            f"            {cnt} += 1",
            f"        elif {x} > {hi}:",
            f"            {cnt} += {d.int(2, 3)}",
            f"    return {cnt}",
        ]
    else:
        out = d.var(OUTPUTS)
        lines = [
            f"    {out} = []",
            f"    for {x} in {xs}:",
            f"        if {x} < {lo}:",
            f"            {out}.append({lo})",
            f"        elif {x} > {hi}:",
            f"            {out}.append({hi})",
            "        else:",
            f"            {out}.append({x})",
            f"    return {out}",
        ]
    src = _src(f"def {fn}({xs}, {lo}, {hi}):", *lines)

    def draw(rng: random.Random) -> Args:
        low = rng.randint(-2, 4)
        high = low + rng.randint(1, 5)
        return _ints(rng, low - 4, high + 4, plant=(low, high)), low, high

    return _Built(src, [_Entry(fn, draw, (([], 0, 3), ([5], 1, 4)))])


@_template
def _chunk_sums(d: _Draw) -> _Built:
    fn = d.function("chunk_sums", "block_totals", "batch_sums")
    xs, x = d.seq()
    size, out, start, acc = d.var(SIZES), d.var(OUTPUTS), d.var(LOWS), d.var(ACCUMULATORS)
    src = _src(
        f"def {fn}({xs}, {size}):",
        f"    {out} = []",
        f"    for {start} in range(0, len({xs}), {size}):",
        f"        {acc} = 0",
        f"        for {x} in {xs}[{start}:{start} + {size}]:",
        f"            {acc} += {x}",
        f"        {out}.append({acc})",
        f"    return {out}",
    )
    draw = lambda rng: (_ints(rng, -3, 9, 8), rng.randint(2, 3))  # noqa: E731
    return _Built(src, [_Entry(fn, draw, (([], 2), ([1, 2, 3], 1)))])


@_template
def _above_average(d: _Draw) -> _Built:
    above = d.chance(0.6)
    fn = d.function("count_above_average") if above else d.function("count_below_mean")
    xs, x = d.seq()
    acc, cnt = d.var(ACCUMULATORS), d.var(COUNTERS)
    src = _src(
        f"def {fn}({xs}):",
        f"    if len({xs}) == 0:",
        "        return 0",
        f"    {acc} = sum({xs})",
        f"    {cnt} = 0",
        f"    for {x} in {xs}:",
        f"        if {x} * len({xs}) {'>' if above else '<'} {acc}:",
        f"            {cnt} += 1",
        f"    return {cnt}",
    )
    return _Built(src, [_Entry(fn, lambda rng: (_ints(rng, 0, 9, 6),), (([],), ([2, 2],)))])


@_template
def _unique_items(d: _Draw) -> _Built:
    dups = d.chance(0.5)
    fn = (
        d.function("duplicates", "repeated_items")
        if dups
        else d.function("unique_in_order", "dedupe", "distinct_values")
    )
    xs, x = d.seq()
    seen = d.var(("seen", "visited", "kept", "known"))
    if dups:
        out = d.var(OUTPUTS)
        lines = [
            f"    {seen} = []",
            f"    {out} = []",
            f"    for {x} in {xs}:",
            f"        if {x} in {seen} and {x} not in {out}:",
            f"            {out}.append({x})",
            f"        {seen}.append({x})",
            f"    return {out}",
        ]
    else:
        lines = [
            f"    {seen} = []",
            f"    for {x} in {xs}:",
            f"        if {x} not in {seen}:",
            f"            {seen}.append({x})",
            f"    return {seen}",
        ]
    src = _src(f"def {fn}({xs}):", *lines)
    return _Built(src, [_Entry(fn, lambda rng: (_ints(rng, 0, 4, 8),), (([],), ([1, 1, 1],)))])


@_template
def _rotate(d: _Draw) -> _Built:
    fn = d.function("rotate_left", "rotated", "shift_items")
    xs, _ = d.seq()
    k, n, out, i = d.var(SIZES), d.var(("n", "length", "count")), d.var(OUTPUTS), d.var(INDICES)
    sign = d.pick("+", "-")
    src = _src(
        f"def {fn}({xs}, {k}):",
        f"    {n} = len({xs})",
        f"    if {n} == 0:",
        "        return []",
        f"    {out} = []",
        f"    for {i} in range({n}):",
        f"        {out}.append({xs}[({i} {sign} {k}) % {n}])",
        f"    return {out}",
    )
    draw = lambda rng: (_ints(rng, 0, 9, 6), rng.randint(1, 8))  # noqa: E731
    return _Built(src, [_Entry(fn, draw, (([], 2), ([1, 2, 3], 0)))])


# --- searching with two pointers -----------------------------------------------------------------


@_template
def _two_pointers(d: _Draw) -> _Built:
    merge = d.chance(0.5)
    fn = (
        d.function("merge_sorted", "merged")
        if merge
        else d.function("count_common", "shared_count")
    )
    a, b = d.pick(("a", "b"), ("left", "right"), ("first", "second"), ("xs", "ys"))
    d.reserve(a, b)
    i, j = d.var(INDICES), d.var(SECOND_INDICES)
    if merge:
        out = d.var(OUTPUTS)
        init, loop = (
            [f"    {out} = []"],
            [
                f"        if {a}[{i}] <= {b}[{j}]:",
                f"            {out}.append({a}[{i}])",
                f"            {i} += 1",
                "        else:",
                f"            {out}.append({b}[{j}])",
                f"            {j} += 1",
            ],
        )
        tail = [f"    return {out} + {a}[{i}:] + {b}[{j}:]"]
    else:
        cnt = d.var(COUNTERS)
        init, loop = (
            [f"    {cnt} = 0"],
            [
                f"        if {a}[{i}] == {b}[{j}]:",
                f"            {cnt} += 1",
                f"            {i} += 1",
                f"            {j} += 1",
                f"        elif {a}[{i}] < {b}[{j}]:",
                f"            {i} += 1",
                "        else:",
                f"            {j} += 1",
            ],
        )
        tail = [f"    return {cnt}"]
    src = _src(
        f"def {fn}({a}, {b}):",
        f"    {i} = 0",
        f"    {j} = 0",
        *init,
        f"    while {i} < len({a}) and {j} < len({b}):",
        *loop,
        *tail,
    )

    def draw(rng: random.Random) -> Args:
        return sorted(rng.sample(range(1, 12), rng.randint(0, 5))), sorted(
            rng.sample(range(1, 12), rng.randint(0, 5))
        )

    return _Built(src, [_Entry(fn, draw, (([], []), ([1, 3], [])))])


@_template
def _binary_search(d: _Draw) -> _Built:
    lower_bound = d.chance(0.4)
    fn = (
        d.function("insertion_point", "lower_bound")
        if lower_bound
        else d.function("binary_search", "find_sorted", "search")
    )
    xs, _ = d.seq()
    target, lo, hi, mid = d.var(THRESHOLDS), d.var(LOWS), d.var(HIGHS), d.var(("mid", "middle"))
    if lower_bound:
        lines = [
            f"    {lo} = 0",
            f"    {hi} = len({xs})",
            f"    while {lo} < {hi}:",
            f"        {mid} = ({lo} + {hi}) // 2",
            f"        if {xs}[{mid}] < {target}:",
            f"            {lo} = {mid} + 1",
            "        else:",
            f"            {hi} = {mid}",
            f"    return {lo}",
        ]
    else:
        lines = [
            f"    {lo} = 0",
            f"    {hi} = len({xs}) - 1",
            f"    while {lo} <= {hi}:",
            f"        {mid} = ({lo} + {hi}) // 2",
            f"        if {xs}[{mid}] == {target}:",
            f"            return {mid}",
            f"        if {xs}[{mid}] < {target}:",
            f"            {lo} = {mid} + 1",
            "        else:",
            f"            {hi} = {mid} - 1",
            "    return -1",
        ]
    src = _src(f"def {fn}({xs}, {target}):", *lines)

    def draw(rng: random.Random) -> Args:
        values = sorted(rng.sample(range(0, 40, 2), rng.randint(1, 9)))
        wanted = rng.choice(values) if rng.random() < 0.6 else rng.randint(-1, 41)
        return values, wanted

    return _Built(src, [_Entry(fn, draw, (([], 3), ([2, 4, 6, 8, 10, 12, 14], 14)))])


# --- strings -------------------------------------------------------------------------------------


@_template
def _count_vowels(d: _Draw) -> _Built:
    consonants = d.chance(0.3)
    fn = (
        d.function("count_consonants")
        if consonants
        else d.function("count_vowels", "vowel_count", "num_vowels")
    )
    text, ch, cnt = d.var(TEXTS), d.var(CHARS), d.var(COUNTERS)
    vowels = d.pick("aeiou", "aeiouy")
    condition = (
        f"{ch}.isalpha() and {ch} not in {vowels!r}" if consonants else f"{ch} in {vowels!r}"
    )
    lower = d.chance(0.5)
    src = _src(
        f"def {fn}({text}):",
        f"    {cnt} = 0",
        f"    for {ch} in {text}{'.lower()' if lower else ''}:",
        f"        if {condition}:",
        f"            {cnt} += 1",
        vowels == "aeiou"
        and not consonants
        and d.chance(0.5)
        and f"    if {text} and {text}[-1] == 'y':\n        {cnt} += 1",
        f"    return {cnt}",
    )

    def draw(rng: random.Random) -> Args:
        words = _sentence(rng, 3)
        return (words.title() if lower and rng.random() < 0.4 else words,)

    return _Built(src, [_Entry(fn, draw, (("",), ("sky",)))])


@_template
def _transform_words(d: _Draw) -> _Built:
    fn = d.function("transform_words", "rewrite_words", "restyle_words")
    text, words, w = d.var(TEXTS), d.var(WORD_LISTS), d.var(WORD_NAMES)
    k, out = d.var(SIZES), d.var(OUTPUTS)
    cmp = d.pick(">", ">=", "<")
    change = d.pick(f"{w}[::-1]", f"{w}.upper()", f"{w}[0].upper() + {w}[1:]")
    sep = d.pick(" ", "-", ",")
    src = _src(
        f"def {fn}({text}, {k}):",
        f"    {words} = {text}.split()",
        f"    {out} = []",
        f"    for {w} in {words}:",
        f"        if len({w}) {cmp} {k}:",
        f"            {out}.append({change})",
        "        else:",
        f"            {out}.append({w})",
        f"    return {sep!r}.join({out})",
    )
    return _Built(
        src, [_Entry(fn, lambda rng: (_sentence(rng), rng.randint(2, 5)), (("", 3), ("go", 2)))]
    )


@_template
def _palindrome(d: _Draw) -> _Built:
    fn = d.function("is_palindrome", "reads_same_backwards", "mirrored")
    text, i = d.var(TEXTS), d.var(INDICES)
    if d.chance(0.5):
        n = d.var(("n", "length", "size"))
        lines = [
            f"    {n} = len({text})",
            f"    for {i} in range({n} // 2):",
            f"        if {text}[{i}] != {text}[{n} - 1 - {i}]:",
            "            return False",
            "    return True",
        ]
    else:
        j = d.var(SECOND_INDICES)
        lines = [
            f"    {i} = 0",
            f"    {j} = len({text}) - 1",
            f"    while {i} < {j}:",
            f"        if {text}[{i}] != {text}[{j}]:",
            "            return False",
            f"        {i} += 1",
            f"        {j} -= 1",
            "    return True",
        ]
    src = _src(f"def {fn}({text}):", *lines)

    def draw(rng: random.Random) -> Args:
        half = _letters(rng, "abc", 4)
        word = half + rng.choice(("", "a", "b")) + half[::-1]
        if word and rng.random() < 0.5:
            at = rng.randrange(len(word))
            word = word[:at] + rng.choice("abcd") + word[at + 1 :]
        return (word,)

    return _Built(src, [_Entry(fn, draw, (("",), ("ab",)))])


@_template
def _run_length(d: _Draw) -> _Built:
    fn = d.function("run_length_encode", "compress", "encode_runs")
    text, ch, out = d.var(TEXTS), d.var(CHARS), d.var(OUTPUTS)
    cur, cnt = d.var(("current", "prev", "last")), d.var(COUNTERS)
    src = _src(
        f"def {fn}({text}):",
        f"    if not {text}:",
        "        return ''",
        f"    {out} = ''",
        f"    {cur} = {text}[0]",
        f"    {cnt} = 1",
        f"    for {ch} in {text}[1:]:",
        f"        if {ch} == {cur}:",
        f"            {cnt} += 1",
        "        else:",
        f"            {out} += {cur} + str({cnt})",
        f"            {cur} = {ch}",
        f"            {cnt} = 1",
        f"    {out} += {cur} + str({cnt})",
        f"    return {out}",
    )
    return _Built(src, [_Entry(fn, lambda rng: (_letters(rng, "aab", 9),), (("",), ("z",)))])


@_template
def _caesar(d: _Draw) -> _Built:
    fn = d.function("caesar_shift", "rotate_letters", "encode_shift")
    text, ch, out, k = d.var(TEXTS), d.var(CHARS), d.var(OUTPUTS), d.var(SIZES)
    check = d.pick(f"{ch}.islower()", f"'a' <= {ch} <= 'z'")
    src = _src(
        f"def {fn}({text}, {k}):",
        f"    {out} = ''",
        f"    for {ch} in {text}:",
        f"        if {check}:",
        f"            {out} += chr((ord({ch}) - ord('a') + {k}) % 26 + ord('a'))",
        "        else:",
        f"            {out} += {ch}",
        f"    return {out}",
    )
    draw = lambda rng: (_sentence(rng, 3), rng.randint(1, 30))  # noqa: E731
    return _Built(src, [_Entry(fn, draw, (("", 3), ("a z", 0)))])


@_template
def _char_counts(d: _Draw) -> _Built:
    most = d.chance(0.4)
    fn = (
        d.function("most_common_char")
        if most
        else d.function("char_counts", "letter_frequencies", "histogram_of")
    )
    text, ch, counts = d.var(TEXTS), d.var(CHARS), d.var(DICTS)
    if d.chance(0.5):
        update = [f"        {counts}[{ch}] = {counts}.get({ch}, 0) + 1"]
    else:
        update = [
            f"        if {ch} in {counts}:",
            f"            {counts}[{ch}] += 1",
            "        else:",
            f"            {counts}[{ch}] = 1",
        ]
    if most:
        best = d.var(BESTS)
        tail = [
            f"    {best} = None",
            f"    for {ch} in {counts}:",
            f"        if {best} is None or {counts}[{ch}] > {counts}[{best}]:",
            f"            {best} = {ch}",
            f"    return {best}",
        ]
    else:
        tail = [f"    return {counts}"]
    src = _src(
        f"def {fn}({text}):",
        f"    {counts} = {{}}",
        f"    for {ch} in {text}:",
        f"        if {ch} == ' ':",
        "            continue",
        *update,
        *tail,
    )
    return _Built(src, [_Entry(fn, lambda rng: (_letters(rng, "abca ", 8),), (("",), (" ",)))])


@_template
def _longest_word(d: _Draw) -> _Built:
    fn = d.function("longest_word", "first_long_word", "pick_longest")
    text, w, best = d.var(TEXTS), d.var(WORD_NAMES), d.var(BESTS)
    cmp = d.pick(">", ">=")
    minimum = d.var(("min_length", "at_least", "shortest")) if d.chance(0.5) else None
    lines = [
        f"    {best} = None",
        f"    for {w} in {text}.split():",
        minimum and f"        if len({w}) < {minimum}:\n            continue",
        f"        if {best} is None or len({w}) {cmp} len({best}):",
        f"            {best} = {w}",
        f"    return {best}",
    ]
    src = _src(f"def {fn}({text}{', ' + minimum if minimum else ''}):", *lines)

    def draw(rng: random.Random) -> Args:
        return (_sentence(rng), rng.randint(2, 5)) if minimum else (_sentence(rng),)

    edges = (("", 1), ("sun", 3)) if minimum else (("",), ("go at",))
    return _Built(src, [_Entry(fn, draw, edges)])


@_template
def _filter_chars(d: _Draw) -> _Built:
    digits = d.chance(0.4)
    text, ch = d.var(TEXTS), d.var(CHARS)
    if digits:
        fn = d.function("digit_sum", "sum_of_digits_in")
        acc = d.var(ACCUMULATORS)
        lines = [
            f"    {acc} = 0",
            f"    for {ch} in {text}:",
            f"        if {ch}.isdigit():",
            f"            {acc} += int({ch}) * {d.int(1, 3)}",
            f"    return {acc}",
        ]
        src = _src(f"def {fn}({text}):", *lines)
        return _Built(src, [_Entry(fn, lambda rng: (_letters(rng, "a1b29 ", 8),), (("",),))])
    op = d.pick("not in", "in")
    if op == "in":
        fn, banned = d.function("keep_only", "only_allowed"), d.var(("allowed", "wanted", "keep"))
    else:
        fn = d.function("remove_chars", "strip_banned", "without")
        banned = d.var(("banned", "forbidden", "skip", "removed"))
    out = d.var(OUTPUTS)
    src = _src(
        f"def {fn}({text}, {banned}):",
        f"    {out} = []",
        f"    for {ch} in {text}:",
        f"        if {ch} {op} {banned}:",
        f"            {out}.append({ch})",
        f"    return ''.join({out})",
    )
    draw = lambda rng: (_sentence(rng, 3), _letters(rng, "aeost", 3))  # noqa: E731
    return _Built(src, [_Entry(fn, draw, (("", "a"), ("abc", "")))])


@_template
def _brackets(d: _Draw) -> _Built:
    opening, closing = d.pick("()", "[]", "<>", "{}")
    text, ch = d.var(TEXTS), d.var(CHARS)
    depth = d.var(("depth", "level", "open_count", "balance"))
    if d.chance(0.5):
        fn = d.function("is_balanced", "correct_bracketing", "brackets_match")
        lines = [
            f"            {depth} -= 1",
            f"            if {depth} < 0:",
            "                return False",
            f"    return {depth} == 0",
        ]
        tail_max = None
    else:
        fn = d.function("max_nesting", "deepest_level")
        tail_max = d.var(BESTS)
        lines = [f"            {depth} -= 1", f"    return {tail_max}"]
    src = _src(
        f"def {fn}({text}):",
        f"    {depth} = 0",
        tail_max and f"    {tail_max} = 0",
        f"    for {ch} in {text}:",
        f"        if {ch} == {opening!r}:",
        f"            {depth} += 1",
        tail_max and f"            {tail_max} = max({tail_max}, {depth})",
        f"        elif {ch} == {closing!r}:",
        *lines,
    )

    def draw(rng: random.Random) -> Args:
        text_value = ""
        for _ in range(rng.randint(1, 4)):  # balanced by construction
            inner = text_value if rng.random() < 0.5 else ""
            text_value = (
                rng.choice(("", "x")) + opening + inner + closing + text_value[len(inner) :]
            )
        if rng.random() < 0.5:  # then often broken by one change
            at = rng.randrange(len(text_value))
            text_value = text_value[:at] + rng.choice((opening, closing, "")) + text_value[at + 1 :]
        return (text_value,)

    return _Built(src, [_Entry(fn, draw, (("",), (closing + opening,)))])


@_template
def _count_substring(d: _Draw) -> _Built:
    fn = d.function("count_occurrences", "how_many_times", "count_overlapping")
    text, sub, cnt, i = (
        d.var(TEXTS),
        d.var(("sub", "pattern", "needle")),
        d.var(COUNTERS),
        d.var(INDICES),
    )
    src = _src(
        f"def {fn}({text}, {sub}):",
        f"    {cnt} = 0",
        f"    for {i} in range(len({text}) - len({sub}) + 1):",
        f"        if {text}[{i}:{i} + len({sub})] == {sub}:",
        f"            {cnt} += 1",
        f"    return {cnt}",
    )

    def draw(rng: random.Random) -> Args:
        text_value = _letters(rng, "aab", 9)
        return text_value, _letters(rng, "ab", 2) or "a"

    return _Built(src, [_Entry(fn, draw, (("", "a"), ("aaa", "aa")))])


@_template
def _alternate_case(d: _Draw) -> _Built:
    fn = d.function("alternate_case", "zigzag_case", "spongebob")
    text, out, i = d.var(TEXTS), d.var(OUTPUTS), d.var(INDICES)
    period = d.int(2, 3)
    src = _src(
        f"def {fn}({text}):",
        f"    {out} = ''",
        f"    for {i} in range(len({text})):",
        f"        if {i} % {period} == {d.int(0, 1)}:",
        f"            {out} += {text}[{i}].upper()",
        "        else:",
        f"            {out} += {text}[{i}].lower()",
        f"    return {out}",
    )
    return _Built(src, [_Entry(fn, lambda rng: (_letters(rng, "abCD", 7),), (("",), ("x",)))])


# --- dictionaries --------------------------------------------------------------------------------


@_template
def _frequent_words(d: _Draw) -> _Built:
    fn = d.function("frequent_words", "common_words", "words_seen_often")
    text, k, counts, w = (
        d.var(TEXTS),
        d.var(("k", "min_count", "times")),
        d.var(DICTS),
        d.var(WORD_NAMES),
    )
    out = d.var(OUTPUTS)
    cmp = d.pick(">=", ">")
    src = _src(
        f"def {fn}({text}, {k}):",
        f"    {counts} = {{}}",
        f"    for {w} in {text}.split():",
        f"        {counts}[{w}] = {counts}.get({w}, 0) + 1",
        f"    {out} = []",
        f"    for {w} in {counts}:",
        f"        if {counts}[{w}] {cmp} {k}:",
        f"            {out}.append({w})",
        f"    return {out}",
    )

    def draw(rng: random.Random) -> Args:
        return " ".join(rng.choice(WORDS[:5]) for _ in range(rng.randint(0, 8))), rng.randint(1, 3)

    return _Built(src, [_Entry(fn, draw, (("", 1), ("go go", 2)))])


@_template
def _group_by(d: _Draw) -> _Built:
    by_length = d.chance(0.4)
    groups, key = d.var(("groups", "buckets", "by_key", "table")), d.var(("key", "bucket", "slot"))
    if by_length:
        fn = d.function("group_by_length", "words_by_size")
        xs, x = d.var(WORD_LISTS), d.var(WORD_NAMES)
        key_expr, signature = f"len({x})", f"{xs}"
    else:
        fn = d.function("group_by_remainder", "bucket_by_mod")
        xs, x = d.seq()
        m = d.var(("m", "modulus", "divisor"))
        key_expr, signature = f"{x} % {m}", f"{xs}, {m}"
    src = _src(
        f"def {fn}({signature}):",
        f"    {groups} = {{}}",
        f"    for {x} in {xs}:",
        f"        {key} = {key_expr}",
        f"        if {key} not in {groups}:",
        f"            {groups}[{key}] = []",
        f"        {groups}[{key}].append({x})",
        f"    return {groups}",
    )
    if by_length:
        entry = _Entry(fn, lambda rng: (_sentence(rng, 6).split(),), (([],), (["ab", "cd"],)))
    else:
        entry = _Entry(fn, lambda rng: (_ints(rng, 0, 12), rng.randint(2, 4)), (([], 3), ([0], 2)))
    return _Built(src, [entry])


@_template
def _price_lookup(d: _Draw) -> _Built:
    fn = d.function("order_total", "bill_amount", "checkout_total")
    prices = d.var(("prices", "catalog", "menu", "price_of"))
    order, item = d.pick(("order", "item"), ("basket", "product"), ("cart", "entry"))
    d.reserve(order, item)
    default = d.var(("default", "fallback", "missing_price"))
    total, p = d.var(ACCUMULATORS), d.var(("p", "cost", "unit"))
    src = _src(
        f"def {fn}({prices}, {order}, {default}):",
        f"    {total} = 0",
        f"    for {item} in {order}:",
        f"        {p} = {prices}.get({item})",
        f"        if {p} is None:",
        f"            {total} += {default}",
        "        else:",
        f"            {total} += {p}",
        f"    return {total}",
    )
    goods = ("tea", "milk", "bread", "jam", "eggs", "rice")

    def draw(rng: random.Random) -> Args:
        table = {name: rng.randint(1, 9) for name in rng.sample(goods, 3)}
        return table, [rng.choice(goods) for _ in range(rng.randint(0, 5))], rng.randint(0, 4)

    return _Built(src, [_Entry(fn, draw, (({}, [], 1), ({"tea": 2}, ["tea", "jam"], 5)))])


@_template
def _most_frequent(d: _Draw) -> _Built:
    fn = d.function("most_frequent", "mode_of", "commonest")
    xs, x = d.seq()
    counts, best = d.var(DICTS), d.var(BESTS)
    cmp = d.pick(">", ">=")
    src = _src(
        f"def {fn}({xs}):",
        f"    {counts} = {{}}",
        f"    for {x} in {xs}:",
        f"        {counts}[{x}] = {counts}.get({x}, 0) + 1",
        f"    {best} = None",
        f"    for {x} in {xs}:",
        f"        if {best} is None or {counts}[{x}] {cmp} {counts}[{best}]:",
        f"            {best} = {x}",
        f"    return {best}",
    )
    return _Built(src, [_Entry(fn, lambda rng: (_ints(rng, 0, 4, 8),), (([],), ([3, 1],)))])


@_template
def _two_sum(d: _Draw) -> _Built:
    fn = d.function("two_sum", "pair_indices", "find_pair")
    xs, _ = d.seq()
    t, seen, i, need = (
        d.var(("target", "goal", "wanted_sum")),
        d.var(DICTS),
        d.var(INDICES),
        d.var(("need", "wanted", "complement", "rest")),
    )
    src = _src(
        f"def {fn}({xs}, {t}):",
        f"    {seen} = {{}}",
        f"    for {i} in range(len({xs})):",
        f"        {need} = {t} - {xs}[{i}]",
        f"        if {need} in {seen}:",
        f"            return ({seen}[{need}], {i})",
        f"        {seen}[{xs}[{i}]] = {i}",
        "    return None",
    )

    def draw(rng: random.Random) -> Args:
        values = _ints(rng, 0, 9, 6)
        if len(values) >= 2 and rng.random() < 0.7:
            a, b = sorted(rng.sample(range(len(values)), 2))
            return values, values[a] + values[b]
        return values, rng.randint(0, 18)

    return _Built(src, [_Entry(fn, draw, (([], 4), ([2, 2], 4)))])


@_template
def _anagram(d: _Draw) -> _Built:
    fn = d.function("is_anagram", "same_letters", "are_anagrams")
    a, b = d.pick(("a", "b"), ("first", "second"), ("word", "other"), ("s", "t"))
    d.reserve(a, b)
    counts, ch = d.var(DICTS), d.var(CHARS)
    src = _src(
        f"def {fn}({a}, {b}):",
        f"    if len({a}) != len({b}):",
        "        return False",
        f"    {counts} = {{}}",
        f"    for {ch} in {a}:",
        f"        {counts}[{ch}] = {counts}.get({ch}, 0) + 1",
        f"    for {ch} in {b}:",
        f"        if {counts}.get({ch}, 0) == 0:",
        "            return False",
        f"        {counts}[{ch}] -= 1",
        "    return True",
    )

    def draw(rng: random.Random) -> Args:
        word = _letters(rng, "abcd", 6)
        other = list(word)
        rng.shuffle(other)
        if other and rng.random() < 0.5:
            other[rng.randrange(len(other))] = rng.choice("abcd")
        return word, "".join(other)

    return _Built(src, [_Entry(fn, draw, (("", ""), ("ab", "a")))])


# --- integers: digits, divisors, early returns ---------------------------------------------------


@_template
def _digits(d: _Draw) -> _Built:
    kind = d.pick("sum", "count", "reverse", "even_sum")
    fn = d.function(
        *{
            "sum": ("digit_sum", "sum_of_digits"),
            "count": ("count_digits", "num_digits"),
            "reverse": ("reverse_number", "reversed_digits"),
            "even_sum": ("sum_even_digits",),
        }[kind]
    )
    n, acc = d.var(INTEGERS), d.var(ACCUMULATORS)
    base = d.var(("base", "radix")) if kind in ("sum", "count") and d.chance(0.4) else None
    b = base or "10"
    if kind == "even_sum":
        digit = d.var(("digit", "last", "d"))
        update = [
            f"        {digit} = {n} % 10",
            f"        if {digit} % 2 == 0:",
            f"            {acc} += {digit}",
        ]
    else:
        update = [
            {
                "sum": f"        {acc} += {n} % {b}",
                "count": f"        {acc} += 1",
                "reverse": f"        {acc} = {acc} * 10 + {n} % 10",
            }[kind]
        ]
    absolute = d.chance(0.4)
    src = _src(
        f"def {fn}({n}{', ' + base if base else ''}):",
        absolute and f"    {n} = abs({n})",
        f"    {acc} = 0",
        f"    while {n} > 0:",
        *update,
        f"        {n} //= {b}",
        f"    return {acc}",
    )

    def draw(rng: random.Random) -> Args:
        value = rng.choice((rng.randint(1, 99), rng.randint(100, 99999)))
        value *= -1 if absolute and rng.random() < 0.4 else 1
        return (value, rng.randint(2, 9)) if base else (value,)

    return _Built(src, [_Entry(fn, draw, ((0, 10), (7, 2)) if base else ((0,), (7,)))])


@_template
def _gcd_lcm(d: _Draw) -> _Built:
    gcd = d.function("gcd", "greatest_common_divisor")
    lcm = d.function("lcm", "least_common_multiple")
    a, b = d.pick(("a", "b"), ("x", "y"), ("m", "n"))
    d.reserve(a, b)
    if d.chance(0.5):
        body = [f"    while {b} != 0:", f"        {a}, {b} = {b}, {a} % {b}", f"    return {a}"]
    else:
        r = d.var(("r", "rest", "remainder"))
        body = [
            f"    while {b} > 0:",
            f"        {r} = {a} % {b}",
            f"        {a} = {b}",
            f"        {b} = {r}",
            f"    return {a}",
        ]
    src = _src(
        f"def {gcd}({a}, {b}):",
        *body,
        "",
        "",
        f"def {lcm}({a}, {b}):",
        f"    if {a} == 0 or {b} == 0:",
        "        return 0",
        f"    return {a} * {b} // {gcd}({a}, {b})",
    )

    def draw(rng: random.Random) -> Args:
        common = rng.randint(1, 6)
        return common * rng.randint(1, 9), common * rng.randint(1, 9)

    return _Built(src, [_Entry(gcd, draw, ((0, 5), (7, 7))), _Entry(lcm, draw, ((0, 4), (1, 6)))])


@_template
def _primes(d: _Draw) -> _Built:
    is_prime = d.function("is_prime", "prime")
    count = d.function("count_primes", "primes_between", "num_primes_in")
    n, i = d.var(INTEGERS), d.var(("i", "divisor", "factor", "d"))
    lo, hi, cnt, k = d.var(LOWS), d.var(HIGHS), d.var(COUNTERS), d.var(("k", "candidate", "v"))
    if d.chance(0.5):
        loop = [
            f"    {i} = 2",
            f"    while {i} * {i} <= {n}:",
            f"        if {n} % {i} == 0:",
            "            return False",
            f"        {i} += 1",
        ]
    else:
        loop = [
            f"    for {i} in range(2, {n}):",
            f"        if {n} % {i} == 0:",
            "            return False",
        ]
    src = _src(
        f"def {is_prime}({n}):",
        f"    if {n} < 2:",
        "        return False",
        *loop,
        "    return True",
        "",
        "",
        f"def {count}({lo}, {hi}):",
        f"    {cnt} = 0",
        f"    for {k} in range({lo}, {hi} + 1):",
        f"        if {is_prime}({k}):",
        f"            {cnt} += 1",
        f"    return {cnt}",
    )

    def draw_range(rng: random.Random) -> Args:
        low = rng.randint(0, 20)
        return low, low + rng.randint(0, 12)

    return _Built(
        src,
        [
            _Entry(is_prime, lambda rng: (rng.randint(0, 50),), ((0,), (2,), (9,))),
            _Entry(count, draw_range, ((0, 1), (2, 3))),
        ],
    )


@_template
def _fizzbuzz(d: _Draw) -> _Built:
    fn = d.function("fizzbuzz", "label_number", "classify")
    n = d.var(INTEGERS)
    a, b = d.rng.sample((2, 3, 5, 7), 2)
    word_a, word_b = d.rng.sample(("Fizz", "Buzz", "Bang", "Pop", "Zap"), 2)
    both = d.pick("and", "combined")
    first = (
        f"    if {n} % {a} == 0 and {n} % {b} == 0:"
        if both == "and"
        else f"    if {n} % {a * b} == 0:"
    )
    src = _src(
        f"def {fn}({n}):",
        first,
        f"        return {word_a + word_b!r}",
        f"    if {n} % {a} == 0:",
        f"        return {word_a!r}",
        f"    if {n} % {b} == 0:",
        f"        return {word_b!r}",
        f"    return str({n})",
    )

    def draw(rng: random.Random) -> Args:
        return (rng.choice((a, b, a * b, rng.randint(1, 40), a * rng.randint(2, 5))),)

    return _Built(src, [_Entry(fn, draw, ((0,), (1,)))])


@_template
def _collatz(d: _Draw) -> _Built:
    fn = d.function("collatz_steps", "steps_to_one", "hailstone_length")
    n, steps = d.var(INTEGERS), d.var(("steps", "count", "moves"))
    src = _src(
        f"def {fn}({n}):",
        f"    {steps} = 0",
        f"    while {n} > 1:",
        f"        if {n} % 2 == 0:",
        f"            {n} = {n} // 2",
        "        else:",
        f"            {n} = 3 * {n} + 1",
        f"        {steps} += 1",
        f"    return {steps}",
    )
    return _Built(src, [_Entry(fn, lambda rng: (rng.randint(2, 30),), ((1,), (0,), (2,)))])


@_template
def _divisors(d: _Draw) -> _Built:
    total = d.function("sum_proper_divisors", "aliquot_sum")
    classify = d.function("classify_number", "perfection")
    n, acc, k = d.var(INTEGERS), d.var(ACCUMULATORS), d.var(("d", "divisor", "k", "factor"))
    s = d.var(("s", "total_div", "aliquot"))
    labels = d.pick(("perfect", "abundant", "deficient"), ("P", "A", "D"))
    src = _src(
        f"def {total}({n}):",
        f"    {acc} = 0",
        f"    for {k} in range(1, {n}):",
        f"        if {n} % {k} == 0:",
        f"            {acc} += {k}",
        f"    return {acc}",
        "",
        "",
        f"def {classify}({n}):",
        f"    {s} = {total}({n})",
        f"    if {s} == {n}:",
        f"        return {labels[0]!r}",
        f"    if {s} > {n}:",
        f"        return {labels[1]!r}",
        f"    return {labels[2]!r}",
    )

    def draw(rng: random.Random) -> Args:
        return (rng.choice((6, 28, 12, 18, 20, rng.randint(1, 40))),)

    return _Built(src, [_Entry(total, draw, ((1,), (6,))), _Entry(classify, draw, ((1,), (12,)))])


@_template
def _power_of(d: _Draw) -> _Built:
    fn = d.function("is_power_of", "is_simple_power", "power_check")
    n, base = d.var(INTEGERS), d.var(("base", "b", "factor"))
    src = _src(
        f"def {fn}({n}, {base}):",
        f"    if {n} < 1:",
        "        return False",
        f"    while {n} % {base} == 0:",
        f"        {n} //= {base}",
        f"    return {n} == 1",
    )

    def draw(rng: random.Random) -> Args:
        b = rng.randint(2, 5)
        return rng.choice((b ** rng.randint(0, 4), rng.randint(2, 60))), b

    return _Built(src, [_Entry(fn, draw, ((0, 2), (1, 3)))])


@_template
def _triangle(d: _Draw) -> _Built:
    fn = d.function("triangle_kind", "classify_triangle")
    a, b, c = d.pick(("a", "b", "c"), ("x", "y", "z"), ("p", "q", "r"))
    d.reserve(a, b, c)
    invalid = d.pick("invalid", "none", "impossible")
    strict = d.pick("<=", "<")
    src = _src(
        f"def {fn}({a}, {b}, {c}):",
        f"    if {a} + {b} {strict} {c} or {a} + {c} {strict} {b} or {b} + {c} {strict} {a}:",
        f"        return {invalid!r}",
        f"    if {a} == {b} and {b} == {c}:",
        "        return 'equilateral'",
        f"    if {a} == {b} or {b} == {c} or {a} == {c}:",
        "        return 'isosceles'",
        "    return 'scalene'",
    )

    def draw(rng: random.Random) -> Args:
        sides = [rng.randint(1, 6) for _ in range(3)]
        shape = rng.random()
        if shape < 0.3:
            sides[rng.randrange(3)] = sides[(rng.randrange(2) + 1) % 3]
        elif shape < 0.45:
            sides[2] = sides[0] + sides[1]
        rng.shuffle(sides)
        return tuple(sides)

    edges = ((3, 3, 3), (1, 2, 3), (2, 3, 1), (3, 1, 2), (2, 2, 3), (3, 2, 2), (2, 3, 2))
    return _Built(src, [_Entry(fn, draw, edges)])


@_template
def _grade(d: _Draw) -> _Built:
    fn = d.function("letter_grade", "bucket", "rating_for", "size_label")
    x = d.var(("score", "points", "value", "mark", "x"))
    cuts = sorted(d.rng.sample(range(10, 100, 5), 3), reverse=True)
    labels = d.pick(("A", "B", "C", "F"), ("high", "mid", "low", "none"), ("XL", "L", "M", "S"))
    cmp = d.pick(">=", ">")
    src = _src(
        f"def {fn}({x}):",
        f"    if {x} {cmp} {cuts[0]}:",
        f"        return {labels[0]!r}",
        f"    if {x} {cmp} {cuts[1]}:",
        f"        return {labels[1]!r}",
        f"    if {x} {cmp} {cuts[2]}:",
        f"        return {labels[2]!r}",
        f"    return {labels[3]!r}",
    )

    def draw(rng: random.Random) -> Args:
        return (rng.choice(cuts) + rng.choice((0, 0, 1, -1)),)

    return _Built(src, [_Entry(fn, draw, ((0,), (100,)))])


@_template
def _interest(d: _Draw) -> _Built:
    fn = d.function("grow_balance", "savings_after", "compound")
    balance, rate, years = (
        d.var(("balance", "amount", "principal")),
        d.var(("rate", "percent", "interest")),
        d.var(("years", "periods", "months")),
    )
    fee, year = d.var(("fee", "charge", "cost")), d.var(("year", "period", "_"))
    src = _src(
        f"def {fn}({balance}, {rate}, {years}, {fee}):",
        f"    for {year} in range({years}):",
        f"        {balance} += {balance} * {rate} // 100",
        f"        {balance} -= {fee}",
        f"        if {balance} <= 0:",
        "            return 0",
        f"    return {balance}",
    )

    def draw(rng: random.Random) -> Args:
        return rng.randint(10, 500), rng.randint(1, 20), rng.randint(1, 6), rng.randint(0, 40)

    return _Built(src, [_Entry(fn, draw, ((100, 10, 0, 5), (50, 0, 3, 20)))])


@_template
def _leap_years(d: _Draw) -> _Built:
    leap = d.function("is_leap", "leap_year")
    count = d.function("count_leap_years", "leap_years_between")
    y, a, b, cnt, k = (
        d.var(("year", "y")),
        d.var(LOWS),
        d.var(HIGHS),
        d.var(COUNTERS),
        d.var(("k", "yr", "when")),
    )
    src = _src(
        f"def {leap}({y}):",
        f"    return {y} % 4 == 0 and ({y} % 100 != 0 or {y} % 400 == 0)",
        "",
        "",
        f"def {count}({a}, {b}):",
        f"    {cnt} = 0",
        f"    for {k} in range({a}, {b}):",
        f"        if {leap}({k}):",
        f"            {cnt} += 1",
        f"    return {cnt}",
    )

    def draw_year(rng: random.Random) -> Args:
        return (rng.choice((1900, 2000, 2024, 2023, 1600, 1700, rng.randint(1890, 2030))),)

    def draw_span(rng: random.Random) -> Args:
        start = rng.choice((1896, 1900, 1996, 2000, rng.randint(1890, 2020)))
        return start, start + rng.randint(0, 12)

    return _Built(
        src,
        [
            _Entry(leap, draw_year, ((2000,), (1900,))),
            _Entry(count, draw_span, ((2000, 2000), (1896, 1905))),
        ],
    )


# --- helpers called with several arguments -------------------------------------------------------


@_template
def _in_range_helper(d: _Draw) -> _Built:
    helper = d.function("in_range", "within", "between")
    fn = d.function("select_in_range", "keep_within", "filter_band")
    x, lo, hi = d.var(("x", "v", "value")), d.var(LOWS), d.var(HIGHS)
    xs, item = d.seq()
    out = d.var(OUTPUTS)
    check = d.pick(f"{lo} <= {x} <= {hi}", f"{lo} <= {x} and {x} < {hi}", f"{lo} < {x} <= {hi}")
    src = _src(
        f"def {helper}({x}, {lo}, {hi}):",
        f"    return {check}",
        "",
        "",
        f"def {fn}({xs}, {lo}, {hi}):",
        f"    {out} = []",
        f"    for {item} in {xs}:",
        f"        if {helper}({item}, {lo}, {hi}):",
        f"            {out}.append({item})",
        f"    return {out}",
    )

    def draw(rng: random.Random) -> Args:
        low = rng.randint(0, 5)
        high = low + rng.randint(1, 5)
        return _ints(rng, low - 3, high + 3, plant=(low, high)), low, high

    return _Built(src, [_Entry(fn, draw, (([], 0, 3), ([2, 5], 2, 5)))])


@_template
def _closest_point(d: _Draw) -> _Built:
    dist = d.function("distance", "manhattan", "gap_between")
    fn = d.function("closest_point", "nearest_index", "closest_to")
    x1, y1, x2, y2 = d.pick(("x1", "y1", "x2", "y2"), ("ax", "ay", "bx", "by"))
    points = d.var(("points", "coords", "spots"))
    px, py = d.pick(("px", "py"), ("cx", "cy"), ("u", "v"))
    d.reserve(px, py)
    x, y, best, where, i, gap = (
        "x",
        "y",
        d.var(BESTS),
        d.var(("where", "best_i")),
        d.var(INDICES),
        d.var(("gap", "dist_now", "here")),
    )
    d.reserve(x1, y1, x2, y2, x, y)
    formula = d.pick(
        f"abs({x1} - {x2}) + abs({y1} - {y2})", f"({x1} - {x2}) ** 2 + ({y1} - {y2}) ** 2"
    )
    src = _src(
        f"def {dist}({x1}, {y1}, {x2}, {y2}):",
        f"    return {formula}",
        "",
        "",
        f"def {fn}({points}, {x}, {y}):",
        f"    {best} = None",
        f"    {where} = -1",
        f"    for {i} in range(len({points})):",
        f"        {px}, {py} = {points}[{i}]",
        f"        {gap} = {dist}({px}, {py}, {x}, {y})",
        f"        if {best} is None or {gap} < {best}:",
        f"            {best} = {gap}",
        f"            {where} = {i}",
        f"    return {where}",
    )

    def draw(rng: random.Random) -> Args:
        pts = [(rng.randint(0, 9), rng.randint(-3, 9)) for _ in range(rng.randint(1, 5))]
        return pts, rng.randint(0, 9), rng.randint(0, 9)

    return _Built(src, [_Entry(fn, draw, (([], 0, 0), ([(0, 5), (5, 0)], 4, 1)))])


@_template
def _dot_product(d: _Draw) -> _Built:
    dot = d.function("dot", "inner_product", "dot_product")
    fn = d.function("more_aligned", "prefers_first", "closer_direction")
    a, b, c = d.pick(("a", "b", "c"), ("u", "v", "w"), ("base", "left", "right"))
    d.reserve(a, b, c)
    acc, i = d.var(ACCUMULATORS), d.var(INDICES)
    src = _src(
        f"def {dot}({a}, {b}):",
        f"    {acc} = 0",
        f"    for {i} in range(min(len({a}), len({b}))):",
        f"        {acc} += {a}[{i}] * {b}[{i}]",
        f"    return {acc}",
        "",
        "",
        f"def {fn}({a}, {b}, {c}):",
        f"    return {dot}({a}, {b}) {d.pick('>', '>=')} {dot}({a}, {c})",
    )

    def vector(rng: random.Random) -> list[int]:
        return [rng.randint(-3, 5) for _ in range(rng.randint(0, 4))]

    return _Built(
        src,
        [
            _Entry(dot, lambda rng: (vector(rng), vector(rng)), (([], [1]), ([2, 3], [4]))),
            _Entry(fn, lambda rng: (vector(rng), vector(rng), vector(rng)), (([1], [2], [2]),)),
        ],
    )


@_template
def _discount(d: _Draw) -> _Built:
    disc = d.function("apply_discount", "discounted", "reduce_price")
    fn = d.function("basket_total", "total_cost", "charge_for")
    price, percent = d.var(("price", "cost", "amount")), d.var(("percent", "rate", "off"))
    prices, minimum = d.var(("prices", "costs", "basket")), d.var(("minimum", "threshold"))
    total, p = d.var(ACCUMULATORS), d.var(("p", "each", "item_price"))
    cmp = d.pick(">=", ">")
    src = _src(
        f"def {disc}({price}, {percent}):",
        f"    return {price} - {price} * {percent} // 100",
        "",
        "",
        f"def {fn}({prices}, {percent}, {minimum}):",
        f"    {total} = 0",
        f"    for {p} in {prices}:",
        f"        if {p} {cmp} {minimum}:",
        f"            {total} += {disc}({p}, {percent})",
        "        else:",
        f"            {total} += {p}",
        f"    return {total}",
    )

    def draw(rng: random.Random) -> Args:
        floor = rng.choice((20, 50, 100))
        values = [rng.choice((floor, rng.randint(5, 200))) for _ in range(rng.randint(0, 5))]
        return values, rng.choice((10, 15, 25, 50)), floor

    return _Built(src, [_Entry(fn, draw, (([], 10, 50), ([100], 0, 50)))])


@_template
def _vowel_words(d: _Draw) -> _Built:
    helper = d.function("is_vowel", "vowel")
    fn = d.function("count_vowel_words", "vowel_bounded_words", "count_open_words")
    ch, text, w, cnt = d.var(CHARS), d.var(TEXTS), d.var(WORD_NAMES), d.var(COUNTERS)
    first = d.pick("and not", "and", "or")
    src = _src(
        f"def {helper}({ch}):",
        f"    return {ch}.lower() in 'aeiou'",
        "",
        "",
        f"def {fn}({text}):",
        f"    {cnt} = 0",
        f"    for {w} in {text}.split():",
        f"        if {helper}({w}[0]) {first} {helper}({w}[-1]):",
        f"            {cnt} += 1",
        f"    return {cnt}",
    )
    return _Built(src, [_Entry(fn, lambda rng: (_sentence(rng, 6),), (("",), ("idea sky",)))])


@_template
def _pagination(d: _Draw) -> _Built:
    pages = d.function("page_count", "num_pages")
    page_of = d.function("get_page", "page_items", "slice_page")
    xs, _ = d.seq()
    n, size, page = (
        d.var(("n", "total", "count")),
        d.var(("size", "per_page")),
        d.var(("page", "number")),
    )
    start, end = d.var(LOWS), d.var(HIGHS)
    src = _src(
        f"def {pages}({n}, {size}):",
        f"    return ({n} + {size} - 1) // {size}",
        "",
        "",
        f"def {page_of}({xs}, {page}, {size}):",
        f"    if {page} < 1 or {page} > {pages}(len({xs}), {size}):",
        "        return []",
        f"    {start} = ({page} - 1) * {size}",
        f"    {end} = {start} + {size}",
        f"    return {xs}[{start}:{end}]",
    )
    return _Built(
        src,
        [
            _Entry(pages, lambda rng: (rng.randint(0, 30), rng.randint(1, 7)), ((0, 5), (10, 5))),
            _Entry(
                page_of,
                lambda rng: (list(range(rng.randint(0, 9))), rng.randint(0, 4), rng.randint(1, 4)),
                (([], 1, 2), ([1, 2, 3], 2, 2)),
            ),
        ],
    )


@_template
def _grid(d: _Draw) -> _Built:
    grid = d.var(("grid", "matrix", "board", "rows"))
    r, c = d.var(INDICES), d.var(SECOND_INDICES)
    if d.chance(0.5):
        fn = d.function("diagonal_sum", "trace_both", "cross_sum")
        acc = d.var(ACCUMULATORS)
        size = d.var(("n", "size", "width"))
        src = _src(
            f"def {fn}({grid}):",
            f"    {size} = len({grid})",
            f"    {acc} = 0",
            f"    for {r} in range({size}):",
            f"        {acc} += {grid}[{r}][{r}]",
            f"        if {r} != {size} - 1 - {r}:",
            f"            {acc} += {grid}[{r}][{size} - 1 - {r}]",
            f"    return {acc}",
        )

        def draw(rng: random.Random) -> Args:
            n = rng.randint(1, 4)
            return ([[rng.randint(0, 9) for _ in range(n)] for _ in range(n)],)

        return _Built(src, [_Entry(fn, draw, (([],), ([[5]],)))])
    fn = d.function("column_sums", "sum_columns", "totals_by_column")
    out = d.var(OUTPUTS)
    src = _src(
        f"def {fn}({grid}):",
        f"    if not {grid}:",
        "        return []",
        f"    {out} = [0] * len({grid}[0])",
        f"    for {r} in range(len({grid})):",
        f"        for {c} in range(len({grid}[{r}])):",
        f"            {out}[{c}] += {grid}[{r}][{c}]",
        f"    return {out}",
    )

    def draw_rect(rng: random.Random) -> Args:
        rows, cols = rng.randint(1, 4), rng.randint(1, 4)
        return ([[rng.randint(-2, 9) for _ in range(cols)] for _ in range(rows)],)

    return _Built(src, [_Entry(fn, draw_rect, (([],), ([[1, 2]],)))])


# --- programs: templates, tests, de-duplication --------------------------------------------------


def _literal(value: object) -> bool:
    """True if `repr(value)` reads back as an equal literal (so a test can spell it out)."""
    try:
        text = repr(value)
        return len(text) <= 120 and ast.literal_eval(text) == value
    except (ValueError, SyntaxError, RecursionError):
        return False


def _assertion(call: str, expected: object) -> str:
    if expected is None or isinstance(expected, bool):
        return f"assert {call} is {expected!r}"
    return f"assert {call} == {expected!r}"


def _choose_tests(
    rng: random.Random, entry: _Entry, function: Callable[..., object], count: int
) -> list[str]:
    """`count` assertions: up to two edge cases, then inputs taken in turn from each distinct
    output, so that a function returning a bool is tested on both answers, not eight Falses."""
    edges: list[str] = []
    by_output: dict[str, tuple[object, list[str]]] = {}  # repr -> (output, calls giving it)
    seen: set[str] = set()
    for position, args in enumerate([*entry.edges, *(entry.draw(rng) for _ in range(24))]):
        call = f"{entry.function}({', '.join(repr(arg) for arg in args)})"  # before the call
        if call in seen:
            continue
        seen.add(call)
        expected = function(*args)  # a template bug raises here, loudly
        text = repr(expected)
        if text not in by_output and not _literal(expected):
            continue
        if position < min(len(entry.edges), 2):
            edges.append(_assertion(call, expected))
        else:
            by_output.setdefault(text, (expected, []))[1].append(call)
    chosen = edges[:count]
    while len(chosen) < count and any(calls for _, calls in by_output.values()):
        for expected, calls in by_output.values():
            if calls and len(chosen) < count:
                chosen.append(_assertion(calls.pop(0), expected))
    return chosen


def _draw_program(rng: random.Random) -> tuple[str, tuple[str, ...], str]:
    """One program: source, tests and the names of the templates used."""
    names = sorted(TEMPLATES)
    taken: set[str] = set()
    main = rng.choice(names)
    built = [TEMPLATES[main](_Draw(rng, taken))]
    used = [main]
    if len(built[0].entries) == 1 and rng.random() < 0.3:
        second = rng.choice([name for name in names if name != main])
        extra = TEMPLATES[second](_Draw(rng, taken))
        functions = sum(part.source.count("def ") for part in (*built, extra))
        if len(extra.entries) == 1 and functions <= 3:
            built.append(extra)
            used.append(second)
    source = "\n\n".join(part.source for part in built)
    namespace: dict[str, object] = {}
    exec(compile(source, "<synthetic>", "exec"), namespace)
    entries = [entry for part in built for entry in part.entries]
    total = rng.randint(5, 8) if len(entries) == 1 else 8
    tests: list[str] = []
    for position, entry in enumerate(entries):
        share = total // len(entries) + (position < total % len(entries))
        function = namespace[entry.function]
        assert callable(function)
        tests += _choose_tests(rng, entry, function, share)
    return source, tuple(tests), "+".join(used)


def synthetic_programs(count: int, seed: int = 0) -> list[Program]:
    """`count` distinct small programs with tests (origin "synthetic"), the same for a seed.

    Program i is drawn from its own generator seeded by (seed, attempt); a draw whose normalized
    source repeats an earlier one is dropped and the next attempt taken.
    """
    programs: list[Program] = []
    hashes: set[str] = set()
    attempt = 0
    while len(programs) < count:
        rng = random.Random(f"synthetic:{seed}:{attempt}")
        attempt += 1
        source, tests, used = _draw_program(rng)
        digest = normalized_source_hash(source)
        if digest not in hashes:
            hashes.add(digest)
            name = f"synthetic/{seed}/{len(programs)}/{used}"
            programs.append(Program(name, source, tests, "synthetic"))
    return programs


# --- measuring how discriminative the tests are --------------------------------------------------


def token_mutants(source: str) -> list[tuple[str, str]]:
    """Every single-token corruption of `source` as training makes them, with the token's class:
    an editable token replaced by another of its class (identifiers: those of the same function
    and module, no builtins). Function names and parameters in a `def` line are left alone.
    """
    from repair.source import apply_edits, candidates, editable, replace_token, tokens

    data = source.encode()
    token_list = tokens(data)
    mutants = []
    for token in editable(token_list):
        if token.parent_type in ("function_definition", "parameters") or not token.token_class:
            continue
        for option in candidates(token, token_list, include_builtins=False):
            mutant = apply_edits(data, [replace_token(token, option)]).decode()
            mutants.append((token.token_class.value, mutant))
    return mutants


def mutation_score(
    programs: Sequence[Program],
    mutants: Callable[[str], Sequence[str]] | None = None,
    executor: Executor | None = None,
) -> tuple[int, int]:
    """(killed, total) over the programs: how many corruptions that still compile fail some test.

    `mutants(source)` defaults to every single-token corruption (`token_mutants`). Corrupted code
    may loop or explode, so it runs in `repair.executor` children with timeouts and memory caps.
    """
    from repair.executor import run_all

    jobs = []
    for program in programs:
        variants = (
            mutants(program.source) if mutants else [m for _, m in token_mutants(program.source)]
        )
        # One block of all the tests: it stops at the first failure, so a looping corruption
        # costs one timeout rather than one per test.
        block = ("\n".join(program.tests),)
        jobs += [(mutant, block) for mutant in variants if _compiles(mutant)]
    results = run_all(jobs, executor, timeout=0.25)
    return sum(not result.all_passed for result in results), len(results)


def _compiles(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # `x is 0` compiles, with a SyntaxWarning
            compile(source, "<mutant>", "exec")
        return True
    except SyntaxError:
        return False
