"""What a file offers the edit operators as ingredients, read once per file: the plain names it
calls (wrap a call in one of them), the methods it calls without arguments (append one), the
keyword arguments each callee receives (add one), the names it binds at module level, its
one-line simple statements (insert a copy elsewhere, `repair.statement_inserts`), and the
attributes it uses on `self` or `cls` (qualify a plain name, `repair.name_edits`).
"""

from __future__ import annotations

import builtins
from collections import Counter
from dataclasses import dataclass

import tree_sitter

# Simple statements a copy of which may be inserted elsewhere (one line each).
INGREDIENT_TYPES = frozenset(
    {
        "expression_statement",
        "return_statement",
        "raise_statement",
        "break_statement",
        "continue_statement",
        "delete_statement",
        "assert_statement",
    }
)
SELF_NAMES = frozenset({"self", "cls"})
_STARS = {"list_splat_pattern": "*", "dictionary_splat_pattern": "**"}
BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("__"))


@dataclass(frozen=True)
class Ingredient:
    text: str  # the statement, one line, no indentation
    start: int  # byte offset in its file
    function: int  # start byte of its innermost function, -1 at module level
    names: frozenset[str]  # the plain names it reads or binds (not attributes, not keywords)
    spans: tuple[tuple[int, int, str], ...] = ()  # each such name's (start, end, text) in `text`


@dataclass(frozen=True)
class FileFacts:
    called: tuple[str, ...]  # plain names called in the file, most called first
    methods: tuple[str, ...]  # attributes called with no argument, most called first
    keywords: dict[str, tuple[str, ...]]  # callee's last name -> `name=value` texts passed to it
    module_names: frozenset[str]  # names bound at module level (and every function's name)
    ingredients: tuple[Ingredient, ...]  # one-line simple statements, in source order
    parameters: dict[int, tuple[str, ...]]  # function start byte -> its parameters' names
    # attribute names the file reads or sets on `self` or `cls` (`repair.name_edits`)
    self_attributes: frozenset[str] = frozenset()


def text_of(node: tree_sitter.Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def callee_name(call: tree_sitter.Node, source: bytes) -> str:
    """The last name of a call's function (`f` for `f(x)` and `a.b.f(x)`), or ""."""
    function = call.child_by_field_name("function")
    if function is None:
        return ""
    if function.type == "attribute":
        function = function.child_by_field_name("attribute")
    return (
        text_of(function, source) if function is not None and function.type == "identifier" else ""
    )


def plain_names(node: tree_sitter.Node, source: bytes) -> frozenset[str]:
    """Identifiers under `node` that name a variable: not attribute names nor keyword names."""
    return frozenset(text for _, _, text in name_spans(node, source))


def name_spans(node: tree_sitter.Node, source: bytes) -> list[tuple[int, int, str]]:
    """(start, end, text) of each identifier under `node` that names a variable, relative to
    `node`'s start, in source order."""
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier" and not is_name_field(current):
            start, end = current.start_byte - node.start_byte, current.end_byte - node.start_byte
            found.append((start, end, text_of(current, source)))
        stack.extend(current.children)
    return sorted(found)


def parameter_names(function: tree_sitter.Node, source: bytes) -> tuple[str, ...]:
    return tuple(name for name, _ in parameter_stars(function, source))


def parameter_stars(function: tree_sitter.Node, source: bytes) -> tuple[tuple[str, str], ...]:
    """(name, "" / "*" / "**") of each parameter of `function`, in order."""
    parameters = function.child_by_field_name("parameters")
    found = []
    for parameter in parameters.named_children if parameters is not None else ():
        name = parameter
        if parameter.type != "identifier":
            name = parameter.child_by_field_name("name") or (
                parameter.named_children[0] if parameter.named_children else None
            )
        if name is not None and name.type == "identifier":
            found.append((text_of(name, source), _STARS.get(parameter.type, "")))
    return tuple(found)


def is_name_field(identifier: tree_sitter.Node) -> bool:
    """`identifier` names an attribute (`x.name`) or a keyword argument (`f(name=x)`)."""
    parent = identifier.parent
    if parent is None:
        return False
    if parent.type == "attribute":
        return parent.child_by_field_name("attribute") == identifier
    if parent.type == "keyword_argument":
        return parent.child_by_field_name("name") == identifier
    return False


def file_facts(root: tree_sitter.Node, source: bytes) -> FileFacts:
    called: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    keywords: dict[str, dict[str, None]] = {}
    module_names: set[str] = set()
    ingredients: list[Ingredient] = []
    parameters: dict[int, tuple[str, ...]] = {}
    self_attributes: set[str] = set()
    stack: list[tuple[tree_sitter.Node, int]] = [(root, -1)]
    while stack:
        node, function = stack.pop()
        kind = node.type
        if kind in ("function_definition", "class_definition"):
            name = node.child_by_field_name("name")
            if name is not None:
                module_names.add(text_of(name, source))
            if kind == "function_definition":
                function = node.start_byte
                parameters[function] = parameter_names(node, source)
        elif kind == "call":
            _note_call(node, source, called, methods, keywords)
        elif kind == "attribute":
            owner, name = node.child_by_field_name("object"), node.child_by_field_name("attribute")
            if owner is not None and name is not None and text_of(owner, source) in SELF_NAMES:
                self_attributes.add(text_of(name, source))
        elif kind in INGREDIENT_TYPES and node.start_point[0] == node.end_point[0]:
            if not _is_docstring(node):
                spans = name_spans(node, source)
                names = frozenset(name for _, _, name in spans)
                text = text_of(node, source)
                ingredients.append(Ingredient(text, node.start_byte, function, names, tuple(spans)))
        if function == -1 and kind in ("assignment", "import_from_statement", "import_statement"):
            module_names |= _bound_names(node, source)
        stack.extend((child, function) for child in reversed(node.children))
    ingredients.sort(key=lambda item: item.start)
    return FileFacts(
        called=tuple(name for name, _ in called.most_common()),
        methods=tuple(name for name, _ in methods.most_common()),
        keywords={name: tuple(texts) for name, texts in keywords.items()},
        module_names=frozenset(module_names),
        ingredients=tuple(ingredients),
        parameters=parameters,
        self_attributes=frozenset(self_attributes),
    )


def _note_call(node, source, called, methods, keywords) -> None:
    function = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if function is None or arguments is None:
        return
    if function.type == "identifier":
        called[text_of(function, source)] += 1
    elif function.type == "attribute" and arguments.named_child_count == 0:
        name = function.child_by_field_name("attribute")
        if name is not None:
            methods[text_of(name, source)] += 1
    name = callee_name(node, source)
    for argument in arguments.named_children:
        if argument.type == "keyword_argument" and "\n" not in text_of(argument, source):
            keywords.setdefault(name, {})[text_of(argument, source)] = None


def _is_docstring(node: tree_sitter.Node) -> bool:
    return (
        node.type == "expression_statement"
        and node.named_child_count == 1
        and (node.named_children[0].type in ("string", "concatenated_string"))
    )


def _bound_names(node: tree_sitter.Node, source: bytes) -> set[str]:
    if node.type == "assignment":
        left = node.child_by_field_name("left")
        return set(plain_names(left, source)) if left is not None else set()
    names = set()
    imported = (
        node.children_by_field_name("name")
        if node.type == "import_from_statement"
        else node.named_children
    )
    for child in imported:
        if child.type == "aliased_import":
            alias = child.child_by_field_name("alias")
            if alias is not None:
                names.add(text_of(alias, source))
        elif child.type == "dotted_name" and child.named_children:
            names.add(text_of(child.named_children[0], source))
    return names
