"""What every edit operator of `repair.operators` reads: the file's bytes, its facts
(`repair.file_facts`), the policy's caps, and the names in scope of a function."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import tree_sitter

from repair.edits import EditKind, EditOperation
from repair.file_facts import BUILTINS, FileFacts, plain_names, text_of
from repair.policy import SearchPolicy
from repair.source import Edit
from repair.test_literals import Literals

# Expressions that bind tighter than any operator: wrapped, moved or unwrapped without parentheses.
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


@dataclass
class OperatorContext:
    source: bytes
    facts: FileFacts
    policy: SearchPolicy
    # the failing tests' strings, in groups met together (`repair.test_literals`)
    literals: Literals = ()
    _scopes: dict[int, frozenset[str]] = field(default_factory=dict)
    _newlines: list[int] | None = None
    # what an operator reads of a function once per region, by (the operator's key, its start)
    memo: dict[tuple[str, int], object] = field(default_factory=dict)

    def text(self, node: tree_sitter.Node) -> str:
        return text_of(node, self.source)

    def operation(
        self,
        kind: EditKind,
        start: int,
        end: int,
        new: str,
        focus: tuple[int, int],
        line: int | None = None,
    ) -> EditOperation:
        """The operation; `line`: the line it is about (None: the line of `start`)."""
        old = self.source[start:end].decode("utf-8")
        return EditOperation(kind, Edit(start, end, old, new), line or self.line_at(start), focus)

    def line_at(self, offset: int) -> int:
        if self._newlines is None:
            self._newlines = [i for i, byte in enumerate(self.source) if byte == 10]
        return bisect.bisect_left(self._newlines, offset) + 1

    def local_names(self, function: tree_sitter.Node) -> frozenset[str]:
        """The plain names `function` holds: its parameters, what it binds and reads."""
        key = ("local_names", function.start_byte)
        if key not in self.memo:
            self.memo[key] = plain_names(function, self.source)
        return self.memo[key]

    def names_in_scope(self, node: tree_sitter.Node) -> frozenset[str]:
        """Plain names a statement at `node` may use: those of its innermost function (its
        parameters, what it binds and reads), the module's, and the builtins."""
        function = enclosing_function(node)
        key = function.start_byte if function is not None else -1
        if key not in self._scopes:
            local = plain_names(function, self.source) if function is not None else frozenset()
            self._scopes[key] = local | self.facts.module_names | BUILTINS
        return self._scopes[key]


def enclosing_function(node: tree_sitter.Node | None) -> tree_sitter.Node | None:
    while node is not None and node.type != "function_definition":
        node = node.parent
    return node


def span(node: tree_sitter.Node) -> tuple[int, int]:
    return node.start_byte, node.end_byte


def line_of(node: tree_sitter.Node) -> int:
    return node.start_point[0] + 1


def is_field(node: tree_sitter.Node, parent_type: str, field_name: str) -> bool:
    """`node` is its parent's `field_name` child and the parent is a `parent_type`."""
    parent = node.parent
    return (
        parent is not None
        and parent.type == parent_type
        and parent.child_by_field_name(field_name) == node
    )


def value_slots(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """Expressions `node` holds in a value position: call arguments (keyword values too), the
    return value, an assignment's right side, comparison and arithmetic operands, a for loop's
    iterable, a subscript's index. Where wraps, negations and argument edits act."""
    kind = node.type
    if kind == "argument_list":
        found = []
        for child in node.named_children:
            if child.type == "keyword_argument":
                value = child.child_by_field_name("value")
                if value is not None:
                    found.append(value)
            elif child.type not in ("comment", "list_splat", "dictionary_splat"):
                found.append(child)
        return found
    if kind == "return_statement":
        return [child for child in node.named_children[:1] if child.type != "expression_list"]
    if kind in ("assignment", "augmented_assignment"):
        right = node.child_by_field_name("right")
        return [right] if right is not None and right.type != "expression_list" else []
    if kind in ("comparison_operator", "binary_operator"):
        return [child for child in node.named_children if child.type != "comment"]
    if kind == "for_statement":
        right = node.child_by_field_name("right")
        return [right] if right is not None else []
    if kind == "subscript":
        return [
            child for child in node.children_by_field_name("subscript") if child.type != "slice"
        ]
    return []
