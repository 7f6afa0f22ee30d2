"""The exception a `raise`, an `except` or a class's bases name, replaced by another:
`raise ValueError(...)` -> `raise TypeError(...)`, `except Exception:` -> `except KeyError:`,
`class E(Exception)` -> `class E(BaseException)`, `raise NotImplemented` -> `raise
NotImplementedError`; and one more exception caught: `except ValueError:` -> `except
(ValueError, TypeError):`, `except (A, B) as e:` -> `except (A, B, KeyError) as e:` (dev mined
fixes: 19 do only this). A test that expects one exception (`pytest.raises(TypeError)`) fails on
another, and the builtin exceptions are not among an identifier's same-class options
(`repair.source` offers the lower-case builtins only). The options: the commonest builtin
exceptions and the exception classes the file binds at module level. Each is an `EditOperation`
(`repair.edits`); the result parses.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator

import tree_sitter

from repair.edits import EditKind, EditOperation
from repair.operator_context import OperatorContext, is_field, span

# The builtin exceptions fixes swap most, commonest first (dev mined fixes: ValueError ->
# TypeError / IndexError / NotImplementedError, Exception -> ImportError / RuntimeError ...).
COMMON = (
    "ValueError",
    "TypeError",
    "KeyError",
    "IndexError",
    "AttributeError",
    "RuntimeError",
    "NotImplementedError",
    "Exception",
    "ImportError",
    "OSError",
    "LookupError",
    "BaseException",
)
BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
) | {"NotImplemented"}  # raised by mistake for NotImplementedError
_SUFFIXES = ("Error", "Exception")


def operations_at(node: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    if node.type == "except_clause":
        yield from _catch_more(node, ctx)
    if node.type != "identifier" or not _names_an_exception(node):
        return
    name = ctx.text(node)
    if name not in BUILTIN_EXCEPTIONS and not name.endswith(_SUFFIXES):
        return
    for option in options(ctx):
        if option != name:
            yield ctx.operation(EditKind.REPLACE_EXCEPTION, *span(node), option, span(node))


def options(ctx: OperatorContext) -> tuple[str, ...]:
    """The common builtin exceptions, then the file's own exception classes (sorted)."""
    own = sorted(
        name for name in ctx.facts.module_names if name.endswith(_SUFFIXES) and name not in COMMON
    )
    return COMMON + tuple(own)


_CAUGHT = frozenset({"identifier", "attribute", "tuple"})


def _catch_more(clause: tree_sitter.Node, ctx: OperatorContext) -> Iterator[EditOperation]:
    """`except X` -> `except (X, Y)`; `except (A, B)` -> `except (A, B, Y)`; not after
    `Exception` or `BaseException`, which catch the options already."""
    named = [child for child in clause.named_children if child.type != "comment"]
    caught = named[0] if named and named[0].type != "block" else None
    if caught is not None and caught.type == "as_pattern":
        caught = caught.named_children[0] if caught.named_children else None
    if caught is None or caught.type not in _CAUGHT:
        return
    if caught.type == "tuple":
        names = [child for child in caught.named_children if child.type != "comment"]
    else:
        names = [caught]
    texts = {ctx.text(name) for name in names}
    if not names or texts & {"Exception", "BaseException"}:
        return
    for option in options(ctx):
        if option in texts or option in ("Exception", "BaseException"):
            continue
        if caught.type == "tuple":
            at = names[-1].end_byte
            yield ctx.operation(EditKind.CATCH_EXCEPTION, at, at, f", {option}", span(caught))
        else:
            new = f"({ctx.text(caught)}, {option})"
            yield ctx.operation(EditKind.CATCH_EXCEPTION, *span(caught), new, span(caught))


def _names_an_exception(identifier: tree_sitter.Node) -> bool:
    """`raise X`, `raise X(...)`, `except X`, `except (X, Y)`, `except X as e`, `class C(X)`."""
    parent = identifier.parent
    if parent is None:
        return False
    if is_field(identifier, "call", "function"):
        return (
            parent.parent is not None
            and parent.parent.type == "raise_statement"
            and _first(parent.parent, parent)
        )
    if parent.type == "raise_statement":
        return _first(parent, identifier)
    if parent.type in ("tuple", "as_pattern"):
        if parent.type == "as_pattern" and not _first(parent, identifier):
            return False
        parent = parent.parent
        if parent is not None and parent.type == "as_pattern":
            parent = parent.parent
        return parent is not None and parent.type == "except_clause"
    if parent.type == "except_clause":
        return True
    if parent.type == "argument_list":
        owner = parent.parent
        return owner is not None and owner.type == "class_definition"
    return False


def _first(parent: tree_sitter.Node, child: tree_sitter.Node) -> bool:
    named = [node for node in parent.named_children if node.type != "comment"]
    return bool(named) and named[0] == child
