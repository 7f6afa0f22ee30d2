"""Round trips of the source model over real code: the running interpreter's standard library."""

from __future__ import annotations

import random
import re
import sysconfig
from pathlib import Path

import pytest

from repair.errors import SourceError
from repair.source import (
    Edit,
    TokenClass,
    apply_edits,
    candidates,
    check_parses,
    editable,
    invert_edits,
    parse,
    tokens,
)

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def stdlib_files() -> list[Path]:
    files = sorted(
        path
        for path in STDLIB.rglob("*.py")
        if "site-packages" not in path.parts and "test" not in path.parts[len(STDLIB.parts) :][:1]
    )
    return files


def parsable(path: Path) -> bytes | None:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if parse(data).root_node.has_error else data


def check_round_trip(source: bytes, seed: int) -> None:
    token_list = tokens(source)
    # Tokens are in order, do not overlap, and read exactly their bytes.
    cursor = 0
    for token in token_list:
        assert token.start >= cursor
        assert source[token.start : token.end].decode() == token.text
        cursor = token.end
    assert apply_edits(source, []) == source
    # What lies between tokens is only whitespace, comments and line continuations.
    for before, after in zip(token_list, token_list[1:]):
        gap = re.sub(rb"#[^\n]*", b"", source[before.end : after.start])
        assert gap.replace(b"\\", b"").strip() == b"", (before, after)

    rng = random.Random(seed)
    pool = editable(token_list)
    chosen = rng.sample(pool, min(len(pool), 8))
    edits = []
    for token in chosen:
        options = candidates(token, token_list, include_builtins=False)
        if options:
            edits.append(Edit(token.start, token.end, token.text, rng.choice(options)))
    mutated = apply_edits(source, edits)
    assert not parse(mutated).root_node.has_error, edits
    assert apply_edits(mutated, invert_edits(edits)) == source


SAMPLE = stdlib_files()[::25]


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: str(p.relative_to(STDLIB)))
def test_round_trip_stdlib_sample(path: Path) -> None:
    source = parsable(path)
    if source is None:
        pytest.skip("tree-sitter does not parse this file")
    check_round_trip(source, seed=len(source))


@pytest.mark.full
def test_round_trip_stdlib_full() -> None:
    checked = 0
    for path in stdlib_files():
        source = parsable(path)
        if source is not None:
            check_round_trip(source, seed=len(source))
            checked += 1
    assert checked > 500


def test_editable_classes() -> None:
    source = b"def f(a, b):\n    if not a <= b and a is not None:\n        a += 1\n    return a * 2.5 or 'x'\n"
    classes = {t.text: t.token_class for t in editable(tokens(source))}
    assert classes["<="] == TokenClass.COMPARISON
    assert classes["is not"] == TokenClass.MEMBERSHIP
    assert classes["and"] == TokenClass.BOOLEAN
    assert classes["+="] == TokenClass.AUGMENTED
    assert classes["*"] == TokenClass.ARITHMETIC
    assert classes["2.5"] == TokenClass.NUMBER
    assert classes["'x'"] == TokenClass.STRING
    assert classes["None"] == TokenClass.CONSTANT
    assert "not" not in classes  # a unary `not` is inserted/removed, not replaced


def test_unary_minus_and_star_args_are_not_editable() -> None:
    source = b"def f(*args):\n    return -args[0]\n"
    assert [t.text for t in editable(tokens(source))] == ["f", "args", "args", "0"]


def test_identifier_candidates_stay_in_scope() -> None:
    source = b"G = 1\ndef f(a):\n    x = a\n    return x\ndef g(b):\n    return b\n"
    token_list = tokens(source)
    b_use = [t for t in token_list if t.text == "b"][-1]
    options = candidates(b_use, token_list, include_builtins=False)
    assert "G" in options and "g" in options
    assert "x" not in options and "a" not in options


def test_overlapping_or_stale_edits_are_refused() -> None:
    source = b"x = 1 + 2\n"
    with pytest.raises(ValueError):
        apply_edits(source, [Edit(4, 5, "1", "3"), Edit(4, 9, "1 + 2", "0")])
    with pytest.raises(ValueError):
        apply_edits(source, [Edit(4, 5, "7", "3")])


def test_multibyte_source_offsets_are_bytes() -> None:
    source = "s = 'héllo' + x\n".encode()
    token_list = tokens(source)
    plus = next(t for t in token_list if t.text == "+")
    mutated = apply_edits(source, [Edit(plus.start, plus.end, "+", "*")])
    assert mutated == "s = 'héllo' * x\n".encode()


def test_check_parses_reports_line_and_encoding() -> None:
    with pytest.raises(SourceError, match=r"bad\.py:2: syntax error"):
        check_parses(b"x = 1\ny = (\n", "bad.py")
    with pytest.raises(SourceError, match="not UTF-8"):
        check_parses(b"x = '\xff'\n", "latin.py")
