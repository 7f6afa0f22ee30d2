"""Structural edit operations: each kind on small code, and exact round trips over the standard
library (apply, the result compiles, the inverse restores every byte)."""

from __future__ import annotations

import ast
import random
import sysconfig
import warnings
from pathlib import Path

import pytest

from repair.edits import edit_operations
from repair.source import apply_edits, parse

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def edits_of(code: str, kind: str) -> list[str]:
    """The code after each operation of `kind`, in the order they are offered."""
    source = code.encode()
    return [
        apply_edits(source, [op.edit]).decode() for op in edit_operations(source) if op.kind == kind
    ]


def test_swap_operands():
    assert edits_of("x = a - b\n", "swap_operands") == ["x = b - a\n"]
    # Moving a compound operand keeps its meaning with parentheses.
    assert edits_of("x = a - b - c\n", "swap_operands") == ["x = b - a - c\n", "x = c - (a - b)\n"]
    assert edits_of("ok = key not in table\n", "swap_operands") == ["ok = table not in key\n"]
    assert edits_of("x = a + b\n", "swap_operands") == []  # commutative for numbers


def test_swap_arguments():
    assert edits_of("f(a, b, key=c)\n", "swap_arguments") == ["f(b, a, key=c)\n"]
    assert edits_of("move(x[1], y[2], n)\n", "swap_arguments") == [
        "move(y[2], x[1], n)\n",
        "move(n, y[2], x[1])\n",
        "move(x[1], n, y[2])\n",
    ]


def test_insert_and_remove_not():
    assert edits_of("if a in b:\n    pass\n", "insert_not") == ["if not a in b:\n    pass\n"]
    # `not a < b` is `a >= b`, a token replacement: no `not` in front of such a comparison
    assert edits_of("if a < b:\n    pass\n", "insert_not") == []
    assert edits_of("assert x != 0\n", "insert_not") == []
    assert edits_of("if a < b < c:\n    pass\n", "insert_not") == ["if not a < b < c:\n    pass\n"]
    assert edits_of("while x or y:\n    pass\n", "insert_not") == [
        "while not x or y:\n    pass\n",
        "while not (x or y):\n    pass\n",
        "while x or not y:\n    pass\n",
    ]
    assert edits_of("if a and not b.isdigit():\n    pass\n", "remove_not") == [
        "if a and b.isdigit():\n    pass\n"
    ]


def test_off_by_one():
    assert edits_of("for _ in range(n - 1):\n    pass\n", "remove_offset") == [
        "for _ in range(n):\n    pass\n"
    ]
    assert edits_of("lo = mid\n", "add_one") == ["lo = mid + 1\n"]
    assert edits_of("left = 2 * i\n", "add_one") == ["left = 2 * i + 1\n", "left = 2 * (i + 1)\n"]
    # an operand of `*`, `//`, `%`, `**` is a slot too, in parentheses (a 1-based page)
    assert edits_of("start = page * size\n", "subtract_one") == [
        "start = (page - 1) * size\n",
        "start = page * size - 1\n",
        "start = page * (size - 1)\n",
    ]
    assert edits_of("s = '%d' % n\n", "add_one") == ["s = '%d' % n + 1\n"]  # a format: no `(n + 1)`
    assert edits_of("y = a << b\n", "subtract_one") == ["y = (a << b) - 1\n"]
    assert edits_of("if i < n:\n    pass\n", "add_one") == ["if i < n + 1:\n    pass\n"]
    # `x + 1` gets no further `+ 1`: replacing or removing the 1 are the edits for it.
    assert edits_of("right = 2 * i + 1\n", "add_one") == ["right = 2 * (i + 1) + 1\n"]
    # ... nor does `x + 0` or `x - 2`: the number's neighbours are replacements of it
    assert edits_of("j = i + 0\n", "add_one") == []
    assert edits_of("j = i - 2\n", "subtract_one") == []
    assert edits_of("j = i * 2\n", "add_one") == ["j = (i + 1) * 2\n", "j = i * 2 + 1\n"]
    # Containers are not numbers: `len(items) + 1`, but no `items + 1` or `range(n) + 1`.
    assert edits_of("n = len(items)\n", "add_one") == ["n = len(items) + 1\n"]
    assert edits_of("r = range(n)\n", "add_one") == ["r = range(n + 1)\n"]


def test_slice_bounds():
    assert edits_of("y = s[i:j]\n", "remove_slice_bound") == ["y = s[:j]\n", "y = s[i:]\n"]
    assert edits_of("y = s[:j]\n", "insert_slice_bound") == ["y = s[1:j]\n"]
    assert edits_of("y = s[i:]\n", "insert_slice_bound") == ["y = s[i:-1]\n"]


def test_replace_attribute():
    code = (
        "def f(item):\n    item.total = item.price\n    return item.quantity + item.name.upper()\n"
    )
    assert edits_of(code, "replace_attribute") == [
        code.replace("item.price", "item.name"),
        code.replace("item.price", "item.quantity"),
        code.replace("item.price", "item.total"),
        code.replace("item.quantity", "item.name"),
        code.replace("item.quantity", "item.price"),
        code.replace("item.quantity", "item.total"),
        code.replace("item.name.upper", "item.price.upper"),
        code.replace("item.name.upper", "item.quantity.upper"),
        code.replace("item.name.upper", "item.total.upper"),
    ]  # the assigned `item.total` stays; `upper` is called, the only called name


def test_region_limits_operations():
    source = b"def f(a, b):\n    return a - b\n\ndef g(a, b):\n    return a - b\n"
    second = source.index(b"def g")
    operations = edit_operations(source, region=(second, len(source)))
    assert operations and all(op.edit.start >= second for op in operations)
    assert {op.line for op in operations} == {5}


def test_operations_never_span_lines():
    source = b"x = f(\n    a,\n    b,\n)\nif (a and\n        b):\n    pass\n"
    for op in edit_operations(source):
        assert op.edit.new.count("\n") == op.edit.old.count("\n") == 0, op


def test_every_kind_occurs_in_the_standard_library():
    kinds = set()
    for path in stdlib_sample(12):
        kinds |= {op.kind for op in edit_operations(path.read_bytes())}
    assert kinds == {
        "swap_operands",
        "swap_arguments",
        "insert_not",
        "remove_not",
        "add_one",
        "subtract_one",
        "remove_offset",
        "insert_slice_bound",
        "remove_slice_bound",
        "replace_attribute",
    }


# --- round trips over the standard library ---------------------------------------------------


def stdlib_sample(count: int) -> list[Path]:
    files = sorted(
        path
        for path in STDLIB.glob("*.py")
        if path.stat().st_size < 40_000 and not path.name.startswith("_")
    )
    return files[:: max(1, len(files) // count)][:count]


def compiles(source: bytes) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences in old files
        try:
            ast.parse(source)
        except SyntaxError:
            return False
    return True


@pytest.mark.parametrize("path", stdlib_sample(12), ids=lambda path: path.name)
def test_round_trip_stdlib(path: Path):
    source = path.read_bytes()
    if not compiles(source) or parse(source).root_node.has_error:
        pytest.skip("not parsable by this interpreter or tree-sitter")
    operations = edit_operations(source)
    assert operations
    rng = random.Random(path.name)
    for op in rng.sample(operations, min(len(operations), 50)):
        edit = op.edit
        assert source[edit.start : edit.end].decode() == edit.old
        assert source[: edit.start].count(b"\n") + 1 == op.line
        changed = apply_edits(source, [edit])
        assert changed != source
        assert compiles(changed), (op.kind, edit)
        assert changed.count(b"\n") == source.count(b"\n")
        assert apply_edits(changed, [edit.inverse()]) == source
