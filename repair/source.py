"""The exact source model: tokens with byte spans, editable-token classes, edits as values.

Everything downstream (graphs, corruption, candidate edits, patches) refers to source by byte
offsets into the original UTF-8 bytes, so applying edits and rebuilding source is exact.
"""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import tree_sitter
import tree_sitter_python

from repair.errors import SourceError


class TokenClass(str, Enum):
    """Syntactic classes of editable tokens; a replacement keeps its token's class."""

    IDENTIFIER = "identifier"
    ARITHMETIC = "arithmetic"
    BITWISE = "bitwise"
    COMPARISON = "comparison"
    MEMBERSHIP = "membership"  # in, not in, is, is not
    BOOLEAN = "boolean"  # and, or
    AUGMENTED = "augmented"  # += -= ...
    NUMBER = "number"
    STRING = "string"
    CONSTANT = "constant"  # True False None


OPERATOR_CLASSES: dict[TokenClass, tuple[str, ...]] = {
    TokenClass.ARITHMETIC: ("+", "-", "*", "/", "//", "%", "**"),
    TokenClass.BITWISE: ("&", "|", "^", "<<", ">>"),
    TokenClass.COMPARISON: ("<", "<=", ">", ">=", "==", "!="),
    TokenClass.MEMBERSHIP: ("in", "not in", "is", "is not"),
    TokenClass.BOOLEAN: ("and", "or"),
    TokenClass.AUGMENTED: ("+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^="),
    TokenClass.CONSTANT: ("True", "False", "None"),
}
_OPERATOR_TO_CLASS = {
    op: cls for cls, ops in OPERATOR_CLASSES.items() for op in ops if cls != TokenClass.CONSTANT
}
# Small literals every program may need; a corrupted number is usually off by one or a constant.
# No negative literals: `-1` is a unary minus and a number, two tokens where there was one.
COMMON_NUMBERS = ("0", "1", "2", "10")
COMMON_STRINGS = ('""', "''", '" "')
BUILTIN_NAMES = tuple(
    sorted(name for name in dir(builtins) if not name.startswith("_") and name.islower())
)

# Leaves that tree-sitter splits but we treat as one token.
_COLLAPSED_TYPES = {"is not", "not in"}


@lru_cache(maxsize=1)
def parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))


@dataclass(frozen=True)
class Token:
    """One leaf of the syntax tree, by byte span in the original source."""

    index: int  # position in source order
    start: int  # byte offsets into the UTF-8 source
    end: int
    text: str
    node_type: str  # tree-sitter type of the leaf ("identifier", "+", "integer", ...)
    parent_type: str
    line: int  # 1-based
    depth: int
    token_class: TokenClass | None  # None: not editable
    scope: int  # start byte of the enclosing function definition, -1 at module level
    field: str = ""  # the tree-sitter field of the leaf in its parent ("attribute", "name", ...)


@dataclass(frozen=True)
class Edit:
    """Replace the bytes [start, end) (which read `old`) by `new`. A value that can be inverted."""

    start: int
    end: int
    old: str
    new: str

    def inverse(self) -> Edit:
        return Edit(self.start, self.start + len(self.new.encode()), self.new, self.old)

    def shifted(self, delta: int) -> Edit:
        return Edit(self.start + delta, self.end + delta, self.old, self.new)


def parse(source: bytes) -> tree_sitter.Tree:
    return parser().parse(source)


def decode(data: bytes, path: str = "<source>") -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(f"{path}: not UTF-8 ({error.reason} at byte {error.start})") from None


def check_parses(source: bytes, path: str = "<source>") -> tree_sitter.Tree:
    """Parse `source`, raising SourceError at the first syntax error."""
    decode(source, path)
    tree = parse(source)
    if tree.root_node.has_error:
        line = first_error_line(tree.root_node)
        raise SourceError(f"{path}:{line}: syntax error")
    return tree


def first_error_line(node: tree_sitter.Node) -> int:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_error or current.is_missing:
            return current.start_point[0] + 1
        stack.extend(reversed(current.children))
    return node.start_point[0] + 1


def is_leaf(node: tree_sitter.Node) -> bool:
    if node.child_count == 0 or node.type in _COLLAPSED_TYPES or node.type == "string_content":
        return True
    # A plain string literal is one token; an f-string keeps its interpolations as children.
    if node.type in ("string", "format_specifier"):
        return not any(child.type == "interpolation" for child in node.children)
    return False


def token_class_of(node: tree_sitter.Node) -> TokenClass | None:
    kind = node.type
    parent = node.parent
    parent_type = parent.type if parent is not None else ""
    if kind == "identifier":
        return TokenClass.IDENTIFIER
    if kind in ("integer", "float"):
        return TokenClass.NUMBER
    if kind == "string":
        return TokenClass.STRING
    if kind in ("true", "false", "none"):
        return TokenClass.CONSTANT
    cls = _OPERATOR_TO_CLASS.get(kind)
    if cls is None:
        return None
    # Only operators in operator position: "-" in a unary minus, "*" in `*args`, "in" of a for
    # loop or "|" of a pattern are not binary operators and have no same-class substitute.
    expected = {
        TokenClass.ARITHMETIC: "binary_operator",
        TokenClass.BITWISE: "binary_operator",
        TokenClass.COMPARISON: "comparison_operator",
        TokenClass.MEMBERSHIP: "comparison_operator",
        TokenClass.BOOLEAN: "boolean_operator",
        TokenClass.AUGMENTED: "augmented_assignment",
    }[cls]
    return cls if parent_type == expected else None


def tokens(source: bytes, tree: tree_sitter.Tree | None = None) -> list[Token]:
    """All leaves of `source` in source order, each with its byte span and editable class."""
    tree = tree or parse(source)
    result: list[Token] = []
    # Iterative walk: (node, depth, enclosing function start, field name in the parent)
    stack: list[tuple[tree_sitter.Node, int, int, str]] = [(tree.root_node, 0, -1, "")]
    while stack:
        node, depth, scope, field = stack.pop()
        if node.type == "function_definition":
            scope = node.start_byte
        if is_leaf(node):
            if node.end_byte > node.start_byte:
                parent = node.parent
                result.append(
                    Token(
                        index=len(result),
                        start=node.start_byte,
                        end=node.end_byte,
                        text=source[node.start_byte : node.end_byte].decode("utf-8", "replace"),
                        node_type=node.type,
                        parent_type=parent.type if parent is not None else "",
                        line=node.start_point[0] + 1,
                        depth=depth,
                        token_class=token_class_of(node),
                        scope=scope,
                        field=field,
                    )
                )
            continue
        for index in reversed(range(node.child_count)):
            child_field = node.field_name_for_child(index) or ""
            stack.append((node.children[index], depth + 1, scope, child_field))
    return result


def editable(token_list: Iterable[Token]) -> list[Token]:
    return [token for token in token_list if token.token_class is not None]


# Identifiers that name things rather than use them: renaming a definition, a parameter, an
# import, an attribute or a keyword argument is not a bug fix a test suite can guide.
_DEFINING_PARENTS = frozenset(
    {
        "function_definition",
        "class_definition",
        "parameters",
        "lambda_parameters",
        "default_parameter",
        "typed_parameter",
        "typed_default_parameter",
        "list_splat_pattern",
        "dictionary_splat_pattern",
        "import_statement",
        "import_from_statement",
        "dotted_name",
        "aliased_import",
        "global_statement",
        "nonlocal_statement",
        "type",  # annotations: they do not change what the code computes
    }
)


def is_repair_target(token: Token) -> bool:
    """An editable token that a repair (or a corruption) may change."""
    if token.token_class is None:
        return False
    if token.token_class == TokenClass.IDENTIFIER:
        if token.parent_type in _DEFINING_PARENTS:
            return False
        if token.parent_type == "attribute" and token.field == "attribute":
            return False
        if token.parent_type == "keyword_argument" and token.field == "name":
            return False
    # A bare string statement (a docstring) never changes behaviour.
    return not (
        token.token_class == TokenClass.STRING and token.parent_type == "expression_statement"
    )


def repair_targets(token_list: Iterable[Token]) -> list[Token]:
    return [token for token in token_list if is_repair_target(token)]


def _is_name(text: str) -> bool:
    return text.isidentifier() and not keyword.iskeyword(text)


def candidates(
    token: Token, token_list: Sequence[Token], include_builtins: bool = True
) -> list[str]:
    """Same-class replacements for `token`, in a deterministic order, excluding its own text.

    Identifiers come from names used in the same function, at module level, and builtins: the
    copy/pointer candidates that a fixed vocabulary alone cannot cover.
    """
    cls = token.token_class
    if cls is None:
        return []
    options: list[str]
    if cls in OPERATOR_CLASSES:
        options = list(OPERATOR_CLASSES[cls])
    elif cls == TokenClass.IDENTIFIER:
        names: dict[str, None] = {}
        for other in token_list:
            if other.token_class == TokenClass.IDENTIFIER and other.scope in (token.scope, -1):
                names[other.text] = None
        options = list(names)
        if include_builtins:
            options += [name for name in BUILTIN_NAMES if name not in names]
    elif cls == TokenClass.NUMBER:
        seen = {t.text: None for t in token_list if t.token_class == TokenClass.NUMBER}
        options = list(dict.fromkeys([*COMMON_NUMBERS, *seen, *_neighbours(token.text)]))
    else:  # STRING
        seen = {t.text: None for t in token_list if t.token_class == TokenClass.STRING}
        options = list(dict.fromkeys([*seen, *COMMON_STRINGS]))
    return [option for option in options if option != token.text and _fits(token, option)]


def _neighbours(number: str) -> list[str]:
    try:
        value = int(number, 0)
    except ValueError:
        return []
    return [str(value - 1), str(value + 1)] if value > 0 else [str(value + 1)]


def _fits(token: Token, replacement: str) -> bool:
    # A negative literal in place of a number after a binary minus would read `x - -1`: valid, but
    # a leading "-" right after an identifier-like token is fine too; only forbid names that are
    # keywords and numbers that would glue to a previous attribute dot.
    if token.token_class == TokenClass.IDENTIFIER:
        return _is_name(replacement)
    return True


def apply_edits(source: bytes, edits: Iterable[Edit]) -> bytes:
    """Splice `edits` (non-overlapping, each naming the bytes it replaces) into `source`."""
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))
    pieces: list[bytes] = []
    cursor = 0
    for edit in ordered:
        if edit.start < cursor:
            raise ValueError(f"overlapping edits at byte {edit.start}")
        current = source[edit.start : edit.end]
        if current != edit.old.encode():
            raise ValueError(f"edit at byte {edit.start} expected {edit.old!r}, found {current!r}")
        pieces.append(source[cursor : edit.start])
        pieces.append(edit.new.encode())
        cursor = edit.end
    pieces.append(source[cursor:])
    return b"".join(pieces)


def invert_edits(edits: Sequence[Edit]) -> list[Edit]:
    """The edits that undo `edits` once they are applied together (offsets in the new source)."""
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))
    inverses: list[Edit] = []
    delta = 0
    for edit in ordered:
        inverses.append(edit.inverse().shifted(delta))
        delta += len(edit.new.encode()) - (edit.end - edit.start)
    return inverses


def replace_token(token: Token, new: str) -> Edit:
    return Edit(token.start, token.end, token.text, new)


def function_regions(tree: tree_sitter.Tree) -> list[tuple[int, int, int, int]]:
    """(start byte, end byte, first line, last line) of every function definition, outermost first."""
    regions = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            regions.append(
                (node.start_byte, node.end_byte, node.start_point[0] + 1, node.end_point[0] + 1)
            )
        stack.extend(reversed(node.children))
    return regions


def innermost_function(
    spans: Sequence[tuple[int, int, int, int]], line: int
) -> tuple[int, int, int, int] | None:
    """The innermost of `function_regions`' spans that holds `line`, or None."""
    inner = None
    for span in spans:  # outermost first: the last match is the innermost
        if span[2] <= line <= span[3]:
            inner = span
    return inner


def common_ends(a: Sequence, b: Sequence) -> tuple[int, int]:
    """How many leading and trailing items `a` and `b` share, the two not overlapping: what
    is left between them is the run one has and the other lacks or has otherwise."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return start, end
