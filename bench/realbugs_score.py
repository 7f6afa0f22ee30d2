"""Scoring a repair of a real bug, and the shape of the human fix: small pure functions.

A repair outcome is *correct* when the repaired file has the code tokens of the human fix
(whitespace, line breaks inside brackets and comments aside) or the same AST, *plausible* when
the tests pass (the listed tests and the rest of the bug's test files: `repair fix` verifies that
with a fresh run) but the code is not the human fix's, and *none* otherwise.

A fix's *shape* says what a tool must be able to do to find it: one same-class token replacement
("replace", what `repair fix` and blind search try), a change inside string literals only
("string"), tokens inserted only ("insert"), tokens deleted only ("delete"), or anything else
("multi"). Tokens are tree-sitter leaves (`repair.source.tokens`).
"""

from __future__ import annotations

import ast
import difflib
import io
import tokenize
from collections.abc import Mapping

from repair.source import TokenClass, tokens

CORRECT, PLAUSIBLE, NONE = "correct", "plausible", "none"
SHAPES = ("replace", "string", "insert", "delete", "multi")
_IGNORED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}


def code_tokens(source: str) -> list[tuple[int, str]] | None:
    """(type, text) of every code token; None when `source` does not tokenize. Indents count by
    level only, so re-indenting with other whitespace does not change the list."""
    try:
        found = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return [
        (token.type, "" if token.type in (tokenize.INDENT, tokenize.NEWLINE) else token.string)
        for token in found
        if token.type not in _IGNORED
    ]


def same_tokens(a: str, b: str) -> bool:
    first, second = code_tokens(a), code_tokens(b)
    return first is not None and first == second


def same_ast(a: str, b: str) -> bool:
    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except SyntaxError:
        return False


def is_human_fix(repaired: str, fixed: str) -> bool:
    return same_tokens(repaired, fixed) or same_ast(repaired, fixed)


def outcome(
    repaired: Mapping[str, str], buggy: Mapping[str, str], fixed: Mapping[str, str], passed: bool
) -> str:
    """CORRECT / PLAUSIBLE / NONE for a repair that left the files `repaired` (path -> text: the
    bug's files and every file the repair changed), where `buggy` and `fixed` are the bug's
    files before and after the human fix and `passed` says the tests pass on `repaired`."""
    if not passed:
        return NONE
    paths = set(repaired) | set(fixed)
    for path in paths:
        want = fixed.get(path, buggy.get(path))
        have = repaired.get(path, buggy.get(path))
        if want is None or have is None or not is_human_fix(have, want):
            return PLAUSIBLE
    return CORRECT


def token_diff(buggy: str, fixed: str) -> list[tuple[str, list, list]]:
    """The fix as (op, old tokens, new tokens) runs of tree-sitter leaves, op one of
    replace / insert / delete (difflib's opcodes over the token texts)."""
    before, after = tokens(buggy.encode()), tokens(fixed.encode())
    matcher = difflib.SequenceMatcher(
        None, [t.text for t in before], [t.text for t in after], autojunk=False
    )
    return [
        (op, before[i1:i2], after[j1:j2])
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
        if op != "equal"
    ]


def _class_name(token) -> str:
    return token.token_class.value if token.token_class else token.node_type


def edit_shape(buggy: str, fixed: str) -> dict:
    """The shape of the fix of `buggy` into `fixed` (one file): {shape, tokens, detail}.
    `tokens`: tokens changed (old + new, a replacement counting once per side's longer run)."""
    runs = token_diff(buggy, fixed)
    changed = sum(max(len(old), len(new)) for _, old, new in runs)
    olds = [t for _, old, _ in runs for t in old]
    news = [t for _, _, new in runs for t in new]
    detail = " ".join(
        f"{op}:{'+'.join(_class_name(t) for t in old) or '-'}>"
        f"{'+'.join(_class_name(t) for t in new) or '-'}"
        for op, old, new in runs
    )
    if not runs:
        shape = "multi"  # only comments or whitespace differ: nothing a token edit names
    elif all(op == "insert" for op, _, _ in runs):
        shape = "insert"
    elif all(op == "delete" for op, _, _ in runs):
        shape = "delete"
    elif all(t.node_type in ("string_content", "string_start", "string_end") or
             t.token_class == TokenClass.STRING for t in olds + news):  # fmt: skip
        shape = "string"
    elif (
        len(runs) == 1
        and len(olds) == len(news) == 1
        and olds[0].token_class is not None
        and olds[0].token_class == news[0].token_class
    ):
        shape = "replace"
    else:
        shape = "multi"
    return {"shape": shape, "tokens": changed, "detail": detail}
