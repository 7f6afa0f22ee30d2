"""The bugs of the repair benchmark: seeded BugLab-class bugs, and what blind search would cost.

A bug is a set of files in a buggy and an original (fixed) version. Seeded bugs are chosen by
`seed_bugs` from a program's *sites*: repair targets (`repair.source.repair_targets`) inside
functions, and the call-argument swaps of `repair.edits`, restricted by the caller to the lines
its tests run. The class is drawn first, uniformly among the classes the program offers, then the
site, then the replacement (same class, names in scope only, no builtins: what a programmer
mistypes). Every draw comes from a `random.Random` seeded by a string, so the bug set depends
only on the seed, the program and its tests. A bug is kept only if `fails` says at least one test
fails on it; up to `ATTEMPTS` draws are made per bug.

Blind search (`blind_search`) is the issue's yardstick: try every same-class replacement of every
repair target in file order (the files that hold the bug, sorted by path; each token's candidates
in `repair.source.candidates` order, in-scope names, no builtins) and count the test runs until
the true fix. A swapped-arguments bug is no same-class replacement: its blind search walks every
replacement and every argument swap of `repair.edits` together, in file order (it does not know
the bug is a swap); its position among the swaps alone is kept too (`Blind.swaps_only`). A
two-token bug is counted two ways: *greedy*, the position of the later of its two true
edits in the same single-edit walk (a blind search that somehow keeps a half-fix and walks on: a
generous count: partial progress is rarely visible), and *pairs*, the position of the true pair
among all pairs of edits on two different tokens in lexicographic file order (what exhaustive
blind search needs); the bug's blind count is the smaller of the two. A fix that blind search
cannot reach (the original name no longer appears in scope) has no count.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from repair.edits import edit_operations
from repair.source import (
    Edit,
    Token,
    TokenClass,
    apply_edits,
    candidates,
    function_regions,
    parse,
    repair_targets,
    tokens,
)

# BugLab's classes (Allamanis et al. 2021) over our token classes.
VARIABLE = "variable"
BINARY = "binary operator"
COMPARISON = "comparison"
BOOLEAN = "boolean operator"
LITERAL = "literal"
AUGMENTED = "augmented assignment"
SWAP = "swapped arguments"
TWO_TOKEN = "two-token"
BUGLAB_CLASS = {
    TokenClass.IDENTIFIER: VARIABLE,
    TokenClass.ARITHMETIC: BINARY,
    TokenClass.BITWISE: BINARY,
    TokenClass.COMPARISON: COMPARISON,
    TokenClass.MEMBERSHIP: COMPARISON,
    TokenClass.BOOLEAN: BOOLEAN,
    TokenClass.NUMBER: LITERAL,
    TokenClass.STRING: LITERAL,
    TokenClass.CONSTANT: LITERAL,
    TokenClass.AUGMENTED: AUGMENTED,
}
SINGLE_CLASSES = (VARIABLE, BINARY, COMPARISON, BOOLEAN, LITERAL, AUGMENTED, SWAP)
ATTEMPTS = 25  # draws per bug before the program is given up on for that bug


@lru_cache(maxsize=32)
def _tokens(source: bytes) -> list[Token]:
    return tokens(source)


Lines = Callable[[str, int], bool]  # (path, line) -> may a bug go there?
Fails = Callable[[dict[str, bytes], list[tuple[str, int]]], bool]  # buggy files, lines changed
Identity = frozenset[tuple[str, str]]  # (path, sha256 of the buggy file) per file a bug changes


def bug_identity(buggy: Mapping[str, bytes]) -> Identity:
    """What makes two bugs the same bug: the buggy versions of the files they change."""
    return frozenset((path, hashlib.sha256(data).hexdigest()) for path, data in buggy.items())


@dataclass(frozen=True)
class Seeded:
    """One seeded bug: the edits (by file) that turn the original into the buggy version."""

    size: int  # tokens replaced (a swap counts as 1)
    bug_class: str  # one of SINGLE_CLASSES, or TWO_TOKEN
    detail: str  # the classes of the tokens, e.g. "variable+literal"
    edits: dict[str, tuple[Edit, ...]]
    lines: tuple[tuple[str, int], ...]

    def apply(self, originals: Mapping[str, bytes]) -> dict[str, bytes]:
        return {path: apply_edits(originals[path], edits) for path, edits in self.edits.items()}


class Options:
    """`repair.source.candidates(token, token_list, include_builtins=False)`, the same lists in
    the same order, without scanning the whole file once per token (a 3000-line module has
    20 000 tokens): `candidates` reads only the token's class, scope and text, and only the
    first occurrence of each name (in the token's function or at module level) or literal."""

    def __init__(self, token_list: Sequence[Token]):
        self.literals = _first_texts(
            t for t in token_list if t.token_class in (TokenClass.NUMBER, TokenClass.STRING)
        )
        names: dict[int, list[Token]] = {}
        for token in token_list:
            if token.token_class == TokenClass.IDENTIFIER:
                names.setdefault(token.scope, []).append(token)
        self.names = {scope: _first_texts(found) for scope, found in names.items()}
        self.known: dict[tuple, list[str]] = {}

    def __call__(self, token: Token) -> list[str]:
        key = (token.token_class, token.scope, token.text)
        if key not in self.known:
            if token.token_class == TokenClass.IDENTIFIER:
                module, local = self.names.get(-1, []), self.names.get(token.scope, [])
                seen = module if token.scope == -1 else sorted(module + local, key=_index)
                self.known[key] = candidates(token, seen, include_builtins=False)
            else:
                self.known[key] = candidates(token, self.literals, include_builtins=False)
        return self.known[key]


def _index(token: Token) -> int:
    return token.index


def _first_texts(found) -> list[Token]:
    """The first token of each (class, text), in order."""
    first: dict[tuple, Token] = {}
    for token in found:
        first.setdefault((token.token_class, token.text), token)
    return list(first.values())


@dataclass
class _Site:
    path: str
    line: int
    scope: tuple[str, int]  # (path, start byte of the enclosing function)
    bug_class: str
    token: Token | None = None
    swap: Edit | None = None
    options: list[str] = field(default_factory=list)


def _sites(files: Mapping[str, bytes], allowed: Lines) -> list[_Site]:
    found = []
    for path in sorted(files):
        source = files[path]
        tree = parse(source)
        token_list = tokens(source, tree)
        options_of = Options(token_list)
        for token in repair_targets(token_list):
            if token.scope < 0 or not allowed(path, token.line):
                continue
            if _in_annotation(tree, token):
                continue
            options = options_of(token)
            if options:
                cls = BUGLAB_CLASS[token.token_class]
                found.append(
                    _Site(path, token.line, (path, token.scope), cls, token, None, options)
                )
        regions = function_regions(tree)
        for operation in edit_operations(source, tree):
            if operation.kind != "swap_arguments" or not allowed(path, operation.line):
                continue
            inner = [r for r in regions if r[0] <= operation.edit.start < r[1]]
            if inner:  # innermost function: the one that starts last
                scope = (path, max(r[0] for r in inner))
                found.append(_Site(path, operation.line, scope, SWAP, swap=operation.edit))
    return found


def _in_annotation(tree, token: Token) -> bool:
    """Is `token` part of a type annotation? `repair.source` skips a plain `-> int`, but the
    names of `List[int]` have a `generic_type` parent and count as repair targets there."""
    node = tree.root_node.descendant_for_byte_range(token.start, token.end)
    while node is not None:
        if node.type == "type":
            return True
        node = node.parent
    return False


def _draw(rng: random.Random, sites: Sequence[_Site], classes: Sequence[str] | None = None):
    by_class: dict[str, list[_Site]] = {}
    for site in sites:
        by_class.setdefault(site.bug_class, []).append(site)
    usable = sorted(cls for cls in by_class if classes is None or cls in classes)
    if not usable:
        return None
    return rng.choice(by_class[rng.choice(usable)])


def _edit(rng: random.Random, site: _Site) -> Edit:
    if site.swap is not None:
        return site.swap
    token = site.token
    assert token is not None
    return Edit(token.start, token.end, token.text, rng.choice(site.options))


def seed_bugs(
    files: Mapping[str, bytes],
    sizes: Sequence[int],
    key: str,
    seed: int,
    fails: Fails,
    allowed: Lines = lambda path, line: True,
    avoid: Collection[Identity] = (),
) -> list[Seeded]:
    """One bug per entry of `sizes` (1: a single token or a swap, 2: two tokens in one function),
    each different from the others and from the bugs in `avoid` (`bug_identity`: another split's
    bugs), on lines no earlier bug of `files` used (while there are such lines), undoable by a
    same-class replacement (the original text is among the buggy token's candidates), and failing
    a test. Deterministic in (files, key, seed, fails, avoid).
    """
    sites = _sites(files, allowed)
    token_classes = [cls for cls in SINGLE_CLASSES if cls != SWAP]
    found: list[Seeded] = []
    seen: set[frozenset] = set()
    used_lines: set[tuple[str, int]] = set()
    for number, size in enumerate(sizes):
        fresh = [site for site in sites if (site.path, site.line) not in used_lines] or sites
        # The class is drawn once per bug; draws that make no test fail retry within it for
        # half the attempts (so equivalent mutants do not thin out a class), then in any class.
        classes = token_classes if size == 2 else list(SINGLE_CLASSES)
        first_class = _draw(random.Random(f"{seed}:{key}:{number}:{size}"), fresh, classes)
        if first_class is None:
            continue
        for attempt in range(ATTEMPTS):
            rng = random.Random(f"{seed}:{key}:{number}:{size}:{attempt}")
            within = [first_class.bug_class] if attempt < ATTEMPTS // 2 else classes
            first = _draw(rng, fresh, within)
            if first is None:
                break
            chosen = [first]
            if size == 2:
                partners = [
                    s
                    for s in sites
                    if s.scope == first.scope and s.token is not None and s is not first
                ]
                second = _draw(rng, partners)
                if second is None:
                    continue
                chosen.append(second)
            edits: dict[str, list[Edit]] = {}
            for site in chosen:
                edits.setdefault(site.path, []).append(_edit(rng, site))
            identity = frozenset((path, e) for path, es in edits.items() for e in es)
            if identity in seen:
                continue
            seeded = Seeded(
                size=size,
                bug_class=first.bug_class if size == 1 else TWO_TOKEN,
                detail="+".join(sorted(site.bug_class for site in chosen)),
                edits={path: tuple(es) for path, es in edits.items()},
                lines=tuple(sorted({(site.path, site.line) for site in chosen})),
            )
            buggy = seeded.apply(files)
            if not _reversible(seeded, buggy, files) or bug_identity(buggy) in avoid:
                continue
            if fails(buggy, list(seeded.lines)):
                seen.add(identity)
                used_lines.update(seeded.lines)
                found.append(seeded)
                break
    return found


def _reversible(seeded: Seeded, buggy: Mapping[str, bytes], files: Mapping[str, bytes]) -> bool:
    """Can same-class replacements in the buggy version restore the original?"""
    if seeded.bug_class == SWAP:
        return True  # swapping the same two arguments back
    fixes = token_fixes(buggy, {path: files[path] for path in buggy})
    if fixes is None or len(fixes) != seeded.size:
        return False  # e.g. a replacement that re-tokenises differently
    options_of = {path: Options(_tokens(buggy[path])) for path in buggy}
    return all(fix.original in options_of[fix.path](fix.token) for fix in fixes)


# --- what the bug is, seen from its two versions ------------------------------------------


@dataclass(frozen=True)
class TokenFix:
    """A token of the buggy version and the text the original has there."""

    path: str
    token: Token
    original: str


def token_fixes(buggy: Mapping[str, bytes], original: Mapping[str, bytes]) -> list[TokenFix] | None:
    """The token replacements that turn `buggy` back into `original`, in file order; None when the
    two differ by more than replacing repair targets in place (an insertion, an attribute, ...)."""
    fixes = []
    for path in sorted(buggy):
        if buggy[path] == original[path]:
            continue
        before, after = _tokens(buggy[path]), _tokens(original[path])
        if len(before) != len(after):
            return None
        targets = {token.index for token in repair_targets(before)}
        for old, new in zip(before, after):
            if old.text == new.text:
                continue
            if old.index not in targets or old.token_class != new.token_class:
                return None
            fixes.append(TokenFix(path, old, new.text))
    return fixes or None


def bug_class_of(fixes: Sequence[TokenFix] | None) -> str | None:
    """The BugLab class of a one-token bug, TWO_TOKEN for two tokens, None otherwise."""
    if not fixes or len(fixes) > 2:
        return None
    if len(fixes) == 2:
        return TWO_TOKEN
    return BUGLAB_CLASS[fixes[0].token.token_class]


@dataclass(frozen=True)
class Blind:
    runs: int | None  # test runs until the true fix (two tokens: the cheaper count); None: never
    greedy: int | None = None  # two tokens: the later true edit's position in the single walk
    pairs: int | None = None  # two tokens: the true pair's position among all pairs
    candidates: int = 0  # single edits in the walk, in all
    swaps_only: int | None = None  # a swap bug: its position among the swaps alone


def blind_search(
    buggy: Mapping[str, bytes],
    original: Mapping[str, bytes],
    swap: bool = False,
    in_function: bool = False,
) -> Blind | None:
    """Test runs that blind search needs before it reaches the original; None: not a same-class
    token replacement (nor a swap) that blind search could find. `in_function`: walk only the
    innermost functions that hold the bug (a blind search told where the bug is)."""
    if swap:
        return _blind_swap(buggy, original, in_function)
    fixes = token_fixes(buggy, original)
    if not fixes or len(fixes) > 2:
        return None
    walk: list[tuple[str, int, str]] = []  # (path, token index, replacement) in file order
    for path in sorted(buggy):
        if buggy[path] == original[path]:
            continue
        tree = parse(buggy[path])
        spans = [_innermost(tree, fix.token.start) for fix in fixes if fix.path == path]
        walk += [
            (path, token.index, option)
            for token, option in _replacements(buggy[path], spans if in_function else None)
        ]
    position = {entry: number for number, entry in enumerate(walk)}
    wanted = [position.get((fix.path, fix.token.index, fix.original)) for fix in fixes]
    if any(number is None for number in wanted):
        return Blind(None, candidates=len(walk))
    if len(wanted) == 1:
        return Blind(wanted[0] + 1, candidates=len(walk))
    first, second = sorted(wanted)
    # Pairs (i, j), i < j, on different tokens, in lexicographic order: those before (first,
    # second) start at an i < first, or start at first and end before second.
    block_end: dict[tuple[str, int], int] = {}
    for number, (path, index, _) in enumerate(walk):
        block_end[(path, index)] = number + 1
    later = [len(walk) - block_end[(path, index)] for path, index, _ in walk]
    before = sum(later[:first]) + (second - block_end[walk[first][:2]])
    return Blind(min(second + 1, before + 1), second + 1, before + 1, len(walk))


def _replacements(
    source: bytes, spans: Sequence[tuple[int, int]] | None = None
) -> list[tuple[Token, str]]:
    """Every same-class replacement of the repair targets of `source` (of those that start in
    one of the byte `spans`, if given), in file order, each token's options in `candidates` order."""
    token_list = _tokens(source)
    options_of = Options(token_list)
    return [
        (token, option)
        for token in repair_targets(token_list)
        if spans is None or any(a <= token.start < b for a, b in spans)
        for option in options_of(token)
    ]


def _innermost(tree, byte: int) -> tuple[int, int]:
    """The byte span of the innermost function holding `byte` (the whole file if none)."""
    inner = [(a, b) for a, b, _, _ in function_regions(tree) if a <= byte < b]
    return max(inner) if inner else (0, tree.root_node.end_byte)


def _blind_swap(
    buggy: Mapping[str, bytes], original: Mapping[str, bytes], in_function: bool
) -> Blind | None:
    """A swap bug: one walk over every same-class replacement and every argument swap, in file
    order (a swap at the place of its first argument, after that token's replacements): blind
    search does not know the bug is a swap. `swaps_only`: the walk over the swaps alone."""
    runs = swaps_only = None
    count = swaps = 0
    for path in sorted(buggy):
        if buggy[path] == original[path]:
            continue
        tree = parse(buggy[path])
        operations = [
            op for op in edit_operations(buggy[path], tree) if op.kind == "swap_arguments"
        ]
        true = [op for op in operations if apply_edits(buggy[path], [op.edit]) == original[path]]
        low, high = (
            _innermost(tree, true[0].edit.start) if in_function and true else (0, len(buggy[path]))
        )
        walk = [
            ((token.start, 0), None) for token, _ in _replacements(buggy[path], [(low, high)])
        ] + [((op.edit.start, 1), op) for op in operations if low <= op.edit.start < high]
        walk.sort(key=lambda entry: entry[0])  # stable: each token's options, then the swaps
        for _, operation in walk:
            count += 1
            swaps += operation is not None
            if runs is None and true and operation == true[0]:
                runs, swaps_only = count, swaps
    if runs is None:
        return Blind(None, candidates=count)
    return Blind(runs, candidates=count, swaps_only=swaps_only)
