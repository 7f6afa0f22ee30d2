"""Edit operations beyond same-class token replacement, read off the syntax tree.

Real bugs need a few small structural edits that no token replacement can make: swap two operands
or call arguments, insert or remove a unary `not`, insert or remove `+ 1` / `- 1` (off by one),
insert or remove a slice bound, and read another attribute (`item.price` for `item.quantity`:
attribute names are not repair targets of the token model, whose identifiers are names in scope). Each operation is an `Edit` (exact byte span, old text, new text;
`Edit.inverse()` undoes it) together with where it acts, so the repair loop can score it by the
model's belief that the tokens it touches are wrong. An operation never adds or removes a line
break, so line numbers stay valid across edits, and it keeps the program parsable (parentheses are
added where precedence needs them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

import tree_sitter

from repair.policy import SearchPolicy
from repair.source import Edit, parse


class EditKind(str, Enum):
    """What an edit does. A `str` Enum: JSON output and comparisons with plain strings see the
    value (`"replace_token"`), as before the kinds were an Enum."""

    REPLACE_TOKEN = "replace_token"  # a same-class token replacement (`repair.source`)
    SWAP_OPERANDS = "swap_operands"
    SWAP_ARGUMENTS = "swap_arguments"
    INSERT_NOT = "insert_not"
    REMOVE_NOT = "remove_not"
    ADD_ONE = "add_one"
    SUBTRACT_ONE = "subtract_one"
    REMOVE_OFFSET = "remove_offset"
    INSERT_SLICE_BOUND = "insert_slice_bound"
    REMOVE_SLICE_BOUND = "remove_slice_bound"
    REPLACE_ATTRIBUTE = "replace_attribute"
    # The operators read off the real-fix corpus (`repair.operators` and the modules it names).
    INSERT_NEGATION = "insert_negation"  # x -> -x
    REMOVE_NEGATION = "remove_negation"  # -x -> x
    INSERT_NONE_CHECK = "insert_none_check"  # if x: -> if x is not None:
    REMOVE_NONE_CHECK = "remove_none_check"  # if x is None: -> if x:
    INSERT_ARGUMENT = "insert_argument"  # f(a) -> f(a, None), f(a, key=v) from the file
    DELETE_ARGUMENT = "delete_argument"  # f(a, b) -> f(a)
    PARENTHESIZE = "parenthesize"  # a * b + c -> a * (b + c)
    REMOVE_PARENTHESES = "remove_parentheses"  # a * (b + c) -> a * b + c
    WRAP_CALL = "wrap_call"  # x -> f(x), f called in the file or a builtin
    UNWRAP_CALL = "unwrap_call"  # f(x) -> x
    APPEND_METHOD = "append_method"  # x -> x.m(), m called without arguments in the file
    REMOVE_METHOD = "remove_method"  # x.m() -> x
    DELETE_STATEMENT = "delete_statement"
    INSERT_STATEMENT = "insert_statement"  # a template or a copy from the function or file
    SWAP_STATEMENTS = "swap_statements"  # two adjacent statements of one block
    IF_TO_WHILE = "if_to_while"
    WHILE_TO_IF = "while_to_if"
    IF_TO_ELIF = "if_to_elif"
    ELIF_TO_IF = "elif_to_if"
    INSERT_RETURN = "insert_return"  # f(x) -> return f(x); a function's last value returned
    STRING_EDIT = "string_edit"  # a character or escape inserted, deleted or replaced
    STRING_PREFIX = "string_prefix"  # "{x}" -> f"{x}", r"..." -> "..."
    INSERT_CALL = "insert_call"  # x.size -> x.size()
    REMOVE_CALL = "remove_call"  # x.size() -> x.size
    INSERT_COMMA = "insert_comma"  # ["a" "b"] -> ["a", "b"]; (x) -> (x,)
    INSERT_CONJUNCT = "insert_conjunct"  # if x[0] == y: -> if x and x[0] == y:
    DROP_OPERAND = "drop_operand"  # if a and b: -> if a:
    SUBSCRIPT_TO_GET = "subscript_to_get"  # d[k] -> d.get(k)
    GET_TO_SUBSCRIPT = "get_to_subscript"  # d.get(k) -> d[k]
    EQUALS_TO_IS = "equals_to_is"  # x == None -> x is None, != -> is not
    IS_TO_EQUALS = "is_to_equals"  # x is "a" -> x == "a", is not -> !=
    REPLACE_EXCEPTION = "replace_exception"  # raise ValueError -> raise TypeError
    CATCH_EXCEPTION = "catch_exception"  # except A: -> except (A, B):
    INSERT_ENTRY = "insert_entry"  # ['a', 'c'] -> ['a', 'b', 'c']: 'b' from a failing test
    APPEND_ENTRY = "append_entry"  # ['b', 'a'] -> ['b', 'a', 'c']: the same, table not in order
    QUALIFY_NAME = "qualify_name"  # x -> self.x, the file using self.x
    UNQUALIFY_NAME = "unqualify_name"  # self.x -> x, x a name of the function
    FORWARD_ARGUMENT = "forward_argument"  # f(a) -> f(a, key=key), key a parameter
    MATCH_SIBLING = "match_sibling"  # x.v == 'AS' -> x.v.upper() == 'AS', as the line above

    def __str__(self) -> str:  # f"{kind}" reads as the value on every Python version
        return self.value


# Edits that add tokens (a passing one gives way to a passing replacement on its line,
# `repair.alternatives`).
INSERTIONS = frozenset(
    {
        EditKind.INSERT_NOT,
        EditKind.ADD_ONE,
        EditKind.SUBTRACT_ONE,
        EditKind.INSERT_SLICE_BOUND,
        EditKind.INSERT_NEGATION,
        EditKind.INSERT_NONE_CHECK,
        EditKind.INSERT_ARGUMENT,
        EditKind.WRAP_CALL,
        EditKind.APPEND_METHOD,
        EditKind.INSERT_STATEMENT,
        EditKind.INSERT_RETURN,
        EditKind.INSERT_CALL,
        EditKind.INSERT_CONJUNCT,
    }
)
# Edits that drop what the code did (a call, an argument, a statement): a passing patch made of
# one is doubtful (`repair.patch_choice`).
REMOVALS = frozenset(
    {
        EditKind.DELETE_STATEMENT,
        EditKind.UNWRAP_CALL,
        EditKind.REMOVE_METHOD,
        EditKind.DELETE_ARGUMENT,
        EditKind.REMOVE_CALL,
        EditKind.DROP_OPERAND,
    }
)

# Node types that can be moved or wrapped without parentheses: they bind tighter than any operator.
ATOMS = frozenset(
    {
        "identifier",
        "attribute",
        "call",
        "subscript",
        "integer",
        "float",
        "string",
        "concatenated_string",
        "true",
        "false",
        "none",
        "parenthesized_expression",
        "list",
        "tuple",
        "dictionary",
        "set",
        "list_comprehension",
        "dictionary_comprehension",
        "set_comprehension",
        "generator_expression",
    }
)
# Expressions `not` binds looser than (so `not E` needs no parentheses): comparisons and tighter.
_NOT_NEEDS_PARENS = frozenset(
    {"boolean_operator", "conditional_expression", "lambda", "named_expression", "not_operator"}
)
# Binary operators that bind at least as tightly as `+`: `E + 1` needs no parentheses around E.
_TIGHTER_THAN_PLUS = frozenset({"+", "-", "*", "/", "//", "%", "@", "**"})
# Binary operators whose operands are off-by-one slots too (`(page - 1) * size`).
_MULTIPLICATIVE = frozenset({"*", "/", "//", "%", "**"})
# Expressions that may hold a number: the targets of `+ 1` / `- 1`.
_NUMERIC_LOOKING = frozenset(
    {"identifier", "attribute", "call", "subscript", "binary_operator", "unary_operator"}
)
# Operators whose operands' order matters for numbers (swapping `a + b` rarely fixes a bug).
_ORDERED_OPERATORS = frozenset({"-", "/", "//", "%", "**", "<<", ">>", "in", "not in"})
# Builtins that take containers or other non-numbers: no `+ 1` on their arguments ...
_CONTAINER_FUNCTIONS = frozenset(
    {
        "all",
        "any",
        "bool",
        "dict",
        "enumerate",
        "filter",
        "frozenset",
        "getattr",
        "hasattr",
        "isinstance",
        "iter",
        "len",
        "list",
        "map",
        "next",
        "print",
        "repr",
        "reversed",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "type",
        "zip",
    }
)
# ... and those of them whose result is not a number either: no `+ 1` on the call.
_NON_NUMERIC_RESULTS = (_CONTAINER_FUNCTIONS | {"range"}) - {"len", "sum", "next", "getattr"}


@dataclass(frozen=True)
class EditOperation:
    """One structural edit of the source, with what it touches."""

    kind: EditKind  # any kind but REPLACE_TOKEN
    edit: Edit
    line: int  # 1-based line of the edit's start
    focus: tuple[int, int]  # byte span of the tokens the edit is about (scored by the model)


def edit_operations(
    source: bytes,
    tree: tree_sitter.Tree | None = None,
    region: tuple[int, int] | None = None,
    attributes: dict[bool, list[str]] | None = None,
    policy: SearchPolicy | None = None,
) -> list[EditOperation]:
    """Every structural edit of `source` (or of the byte range `region`), in source order,
    without duplicates. `attributes`: the file's `attribute_names`, if already known; `policy`:
    its `max_swapped_arguments`, `max_attribute_options` and `offset_operands` (None: the default
    policy's)."""
    tree = tree or parse(source)
    policy = policy or SearchPolicy()
    start, end = region or (0, len(source))
    seen: set[tuple[int, int, str]] = set()
    operations = []
    if attributes is None:
        attributes = attribute_names(tree.root_node, source)
    for node in _walk(tree.root_node, start, end):
        for operation in _operations_at(node, source, attributes, policy):
            edit = operation.edit
            key = (edit.start, edit.end, edit.new)
            if key not in seen and edit.new != edit.old and start <= edit.start < end:
                seen.add(key)
                operations.append(operation)
    operations.sort(key=lambda op: (op.edit.start, op.edit.end, op.kind, op.edit.new))
    return operations


def _walk(root: tree_sitter.Node, start: int, end: int) -> Iterator[tree_sitter.Node]:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.end_byte <= start or node.start_byte >= end:
            continue
        yield node
        stack.extend(reversed(node.children))


def _text(node: tree_sitter.Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8")


def _operation(
    kind: EditKind, source: bytes, start: int, end: int, new: str, focus: tuple[int, int], line: int
) -> EditOperation:
    old = source[start:end].decode("utf-8")
    return EditOperation(kind, Edit(start, end, old, new), line, focus)


def _span(node: tree_sitter.Node) -> tuple[int, int]:
    return node.start_byte, node.end_byte


def _line(node: tree_sitter.Node) -> int:
    return node.start_point[0] + 1


def _operations_at(
    node: tree_sitter.Node,
    source: bytes,
    attributes: dict[bool, list[str]],
    policy: SearchPolicy,
) -> Iterator[EditOperation]:
    kind = node.type
    if kind == "attribute":
        yield from _replace_attribute(node, source, attributes, policy.max_attribute_options)
    if kind in ("binary_operator", "comparison_operator"):
        yield from _swap_operands(node, source)
    if kind == "binary_operator":
        yield from _remove_offset(node, source)
    if kind == "argument_list":
        yield from _swap_arguments(node, source, policy.max_swapped_arguments)
    if kind == "not_operator":
        yield from _remove_not(node, source)
    for condition in _conditions(node):
        yield from _insert_not(condition, source)
    for expression in _numeric_slots(node, policy.offset_operands):
        yield from _add_offset(expression, source)
    if kind == "slice":
        yield from _slice_bounds(node, source)


# --- swaps ---------------------------------------------------------------------------------


def _moved(node: tree_sitter.Node, source: bytes) -> str:
    """The text of an operand moved to the other side: parenthesised unless it is an atom."""
    text = _text(node, source)
    return text if node.type in ATOMS else f"({text})"


def _swap_operands(node: tree_sitter.Node, source: bytes) -> Iterator[EditOperation]:
    operands = [child for child in node.named_children if child.type != "comment"]
    operators = [child for child in node.children if not child.is_named]
    if len(operands) != 2 or len(operators) != 1:
        return
    operator = " ".join(_text(operators[0], source).split())  # "not  in" -> "not in"
    if operator not in _ORDERED_OPERATORS:
        return
    left, right = operands
    middle = source[left.end_byte : right.start_byte].decode("utf-8")
    if "\n" in middle:
        return
    new = _moved(right, source) + middle + _moved(left, source)
    yield _operation(
        EditKind.SWAP_OPERANDS,
        source,
        left.start_byte,
        right.end_byte,
        new,
        _span(operators[0]),
        _line(node),
    )


def _swap_arguments(
    node: tree_sitter.Node, source: bytes, max_swapped: int
) -> Iterator[EditOperation]:
    arguments = [child for child in node.named_children if child.type != "comment"]
    positional = []
    for argument in arguments:
        if argument.type in ("keyword_argument", "list_splat", "dictionary_splat"):
            break
        positional.append(argument)
    if len(positional) < 2 or node.parent is None or node.parent.type != "call":
        return
    if len(positional) <= max_swapped:
        pairs = [(i, j) for i in range(len(positional)) for j in range(i + 1, len(positional))]
    else:
        pairs = [(i, i + 1) for i in range(len(positional) - 1)]
    for i, j in pairs:
        first, second = positional[i], positional[j]
        if "\n" in _text(first, source) or "\n" in _text(second, source):
            continue
        if _text(first, source) == _text(second, source):
            continue
        middle = source[first.end_byte : second.start_byte].decode("utf-8")
        if "\n" in middle:
            continue
        new = _text(second, source) + middle + _text(first, source)
        yield _operation(
            EditKind.SWAP_ARGUMENTS,
            source,
            first.start_byte,
            second.end_byte,
            new,
            (first.start_byte, second.end_byte),
            _line(first),
        )


# --- not -----------------------------------------------------------------------------------


def _conditions(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Expressions read as truth values: conditions of if / elif / while / assert / a
    conditional expression, and the operands of `and` / `or`."""
    kind = node.type
    if kind in ("if_statement", "elif_clause", "while_statement"):
        condition = node.child_by_field_name("condition")
        if condition is not None:
            yield condition
    elif kind == "assert_statement":
        named = node.named_children
        if named:
            yield named[0]
    elif kind == "conditional_expression":
        named = node.named_children
        if len(named) == 3:
            yield named[1]
    elif kind == "boolean_operator":
        for field in ("left", "right"):
            operand = node.child_by_field_name(field)
            if operand is not None and operand.type != "boolean_operator":
                yield operand


def _insert_not(condition: tree_sitter.Node, source: bytes) -> Iterator[EditOperation]:
    if condition.type == "not_operator":
        return  # removing it is the other operation
    if _negated_by_replacement(condition, source):
        return  # `not a < b` is `a >= b`: the token replacement says it plainly
    text = _text(condition, source)
    if "\n" in text:
        return
    if condition.type in _NOT_NEEDS_PARENS:
        text = f"({text})"
    yield _operation(
        EditKind.INSERT_NOT,
        source,
        condition.start_byte,
        condition.end_byte,
        f"not {text}",
        _span(condition),
        _line(condition),
    )


# Comparisons whose negation is one same-class operator replacement (`repair.source`'s
# comparison class): `not a != b` is `a == b`.
_NEGATED_BY_REPLACEMENT = frozenset({"<", "<=", ">", ">=", "==", "!="})


def _negated_by_replacement(condition: tree_sitter.Node, source: bytes) -> bool:
    if condition.type != "comparison_operator":
        return False
    operators = [child for child in condition.children if not child.is_named]
    return len(operators) == 1 and _text(operators[0], source) in _NEGATED_BY_REPLACEMENT


def _remove_not(node: tree_sitter.Node, source: bytes) -> Iterator[EditOperation]:
    # `not E` binds looser than E (a comparison or tighter, or parenthesised), so E stands in
    # its place without parentheses.
    argument = node.child_by_field_name("argument")
    if argument is None:
        return
    yield _operation(
        EditKind.REMOVE_NOT,
        source,
        node.start_byte,
        node.end_byte,
        _text(argument, source),
        _span(node.children[0]),
        _line(node),
    )


# --- off by one ----------------------------------------------------------------------------


def _numeric_slots(node: tree_sitter.Node, operands: bool = True) -> Iterator[tree_sitter.Node]:
    """Expressions where an off-by-one is common: call arguments (range bounds), subscript
    indices and slice bounds, the right side of comparisons, right-hand sides of assignments,
    return values; with `operands`, the operands of a multiplication, division or power."""
    kind = node.type
    candidates: list[tree_sitter.Node] = []
    if kind == "argument_list" and not _calls_container_function(node.parent):
        for child in node.named_children:
            if child.type == "keyword_argument":
                value = child.child_by_field_name("value")
                if value is not None:
                    candidates.append(value)
            else:
                candidates.append(child)
    elif kind == "subscript":
        candidates += [
            child for child in node.children_by_field_name("subscript") if child.type != "slice"
        ]
    elif kind == "slice":
        candidates += node.named_children
    elif kind == "comparison_operator":
        candidates += node.named_children[1:]
    elif kind in ("assignment", "augmented_assignment"):
        right = node.child_by_field_name("right")
        if right is not None:
            candidates.append(right)
    elif kind == "return_statement":
        candidates += node.named_children[:1]
    elif operands and kind == "binary_operator" and _operator_text(node) in _MULTIPLICATIVE:
        left = node.child_by_field_name("left")
        if left is not None and left.type not in ("string", "concatenated_string"):
            candidates += node.named_children  # (page - 1) * size, n * (n - 1), 2 ** (k + 1)
    for candidate in candidates:
        if candidate.type in _NUMERIC_LOOKING and not _calls(candidate, _NON_NUMERIC_RESULTS):
            yield candidate


def _calls_container_function(node: tree_sitter.Node | None) -> bool:
    return node is not None and _calls(node, _CONTAINER_FUNCTIONS)


def _calls(node: tree_sitter.Node, names: frozenset[str]) -> bool:
    """`node` is a call of a plain name in `names`."""
    if node.type != "call":
        return False
    function = node.child_by_field_name("function")
    return (
        function is not None
        and function.type == "identifier"
        and (function.text or b"").decode("utf-8") in names
    )


def _add_offset(expression: tree_sitter.Node, source: bytes) -> Iterator[EditOperation]:
    text = _text(expression, source)
    if "\n" in text or _offset_of(expression, source, any_integer=True) is not None:
        return  # `x + 1` or `x - 2` already: removing the 1, or replacing the number, say it
    if (
        expression.type == "binary_operator"
        and _operator_text(expression) not in _TIGHTER_THAN_PLUS
    ):
        text = f"({text})"
    parent = expression.parent  # an operand of `*`: `(page - 1) * size`, not `page - 1 * size`
    enclosed = parent is not None and parent.type == "binary_operator"
    for kind, suffix in ((EditKind.ADD_ONE, " + 1"), (EditKind.SUBTRACT_ONE, " - 1")):
        yield _operation(
            kind,
            source,
            expression.start_byte,
            expression.end_byte,
            f"({text}{suffix})" if enclosed else text + suffix,
            _span(expression),
            _line(expression),
        )


def _operator_text(node: tree_sitter.Node) -> str:
    operator = node.child_by_field_name("operator")
    return (operator.text or b"").decode("utf-8") if operator is not None else ""


def _offset_of(node: tree_sitter.Node, source: bytes, any_integer: bool = False) -> tuple | None:
    """(left, operator, right) when `node` reads `E + 1` or `E - 1` (any integer literal for
    `any_integer`: a number's replacements include its neighbours, `repair.source.candidates`)."""
    if node.type != "binary_operator":
        return None
    operator = node.child_by_field_name("operator")
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if operator is None or left is None or right is None:
        return None
    if _text(operator, source) not in ("+", "-") or right.type != "integer":
        return None
    if _text(right, source) != "1" and not any_integer:
        return None
    return left, operator, right


def _remove_offset(node: tree_sitter.Node, source: bytes) -> Iterator[EditOperation]:
    parts = _offset_of(node, source)
    if parts is None:
        return
    left, operator, right = parts
    yield _operation(
        EditKind.REMOVE_OFFSET,
        source,
        node.start_byte,
        node.end_byte,
        _text(left, source),
        (operator.start_byte, right.end_byte),
        _line(node),
    )


# --- slices --------------------------------------------------------------------------------


def _slice_bounds(node: tree_sitter.Node, source: bytes) -> Iterator[EditOperation]:
    """`a[i:j]`: drop i or j; `a[:j]` gains a start of 1, `a[i:]` a stop of -1."""
    parts: list[list[tree_sitter.Node]] = [[]]
    colons: list[tree_sitter.Node] = []
    for child in node.children:
        if child.type == ":":
            colons.append(child)
            parts.append([])
        elif child.type != "comment":
            parts[-1].append(child)
    if not colons:
        return
    line = _line(node)
    start_part, stop_part = parts[0], parts[1]
    first_colon = colons[0]
    if start_part:
        begin, finish = start_part[0].start_byte, start_part[-1].end_byte
        yield _operation(
            EditKind.REMOVE_SLICE_BOUND, source, begin, finish, "", (begin, finish), line
        )
    else:
        position = first_colon.start_byte
        yield _operation(
            EditKind.INSERT_SLICE_BOUND, source, position, position, "1", _span(first_colon), line
        )
    if stop_part:
        begin, finish = stop_part[0].start_byte, stop_part[-1].end_byte
        yield _operation(
            EditKind.REMOVE_SLICE_BOUND, source, begin, finish, "", (begin, finish), line
        )
    else:
        position = first_colon.end_byte
        yield _operation(
            EditKind.INSERT_SLICE_BOUND, source, position, position, "-1", _span(first_colon), line
        )


# --- attributes ----------------------------------------------------------------------------


def _is_called(attribute: tree_sitter.Node) -> bool:
    parent = attribute.parent
    return (
        parent is not None
        and parent.type == "call"
        and parent.child_by_field_name("function") == attribute
    )


def attribute_names(root: tree_sitter.Node, source: bytes) -> dict[bool, list[str]]:
    """The file's attribute names, most used first, apart for method calls (True) and reads."""
    counts: dict[bool, dict[str, int]] = {True: {}, False: {}}
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "attribute":
            name = node.child_by_field_name("attribute")
            if name is not None:
                text = _text(name, source)
                table = counts[_is_called(node)]
                table[text] = table.get(text, 0) + 1
        stack.extend(node.children)
    return {
        called: sorted(table, key=lambda name: (-table[name], name))
        for called, table in counts.items()
    }


def _replace_attribute(
    node: tree_sitter.Node, source: bytes, attributes: dict[bool, list[str]], max_options: int
) -> Iterator[EditOperation]:
    name = node.child_by_field_name("attribute")
    if name is None:
        return
    parent = node.parent
    if parent is not None and parent.type in ("assignment", "augmented_assignment"):
        if parent.child_by_field_name("left") == node:
            return  # renaming what is assigned defines another attribute; not a fix
    current = _text(name, source)
    options = [other for other in attributes[_is_called(node)] if other != current]
    for option in options[:max_options]:
        yield _operation(
            EditKind.REPLACE_ATTRIBUTE,
            source,
            name.start_byte,
            name.end_byte,
            option,
            _span(node),
            _line(name),
        )
