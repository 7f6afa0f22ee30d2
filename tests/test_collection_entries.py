"""A missing table entry from the failing tests' strings: what the tests hold
(`repair.test_literals`), the entries offered (`repair.collection_entries`), their exact round
trip over the standard library, and a repair that needs one (a module of constants no test runs
a line of)."""

from __future__ import annotations

import random
import re
import sysconfig
import textwrap
from pathlib import Path

import pytest

from repair.edits import EditKind
from repair.fix import FIXED, RepairConfig, fix
from repair.operators import real_operations
from repair.policy import SearchPolicy
from repair.rank import ENTRIES, operation_prior
from repair.source import apply_edits, parse
from repair.test_literals import failing_literals

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def entries(
    code: str, literals: tuple[str, ...], policy: SearchPolicy | None = None, kind: str = ""
) -> list:
    """The code after each entry offered (of `kind` only, if given)."""
    source = code.encode()
    operations = real_operations(source, policy=policy, literals=literals)
    return [
        apply_edits(source, [op.edit]).decode()
        for op in operations
        if op.kind in ENTRIES and op.kind == (kind or op.kind)
    ]


def test_the_failing_tests_strings(tmp_path: Path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text(
        textwrap.dedent(
            """
            import pytest

            class TestParse:
                @pytest.mark.parametrize("sql", ["DROP VIEW v"])
                def test_keyword(self, sql):
                    assert parse('CREATE MATERIALIZED VIEW v') == ['gi', 'prompt_toolkit']

            def test_other():
                assert 'UNRELATED'
            """
        )
    )
    found = failing_literals(
        tmp_path,
        ["tests/test_a.py::TestParse::test_keyword[example.onion]", "tests/missing.py::test_x"],
    )
    assert found[0] == ("example.onion", "example", "onion")  # the parameters' id first
    assert ("CREATE", "MATERIALIZED", "VIEW", "v") in found  # a string's words, together
    assert ("gi", "prompt_toolkit") in found  # a collection's one-word strings, together
    assert ("DROP", "VIEW", "v") in found  # the decorators' strings too
    assert not any("UNRELATED" in group for group in found)  # another test's
    assert failing_literals(tmp_path, ["tests/test_a.py::test_other"]) == (("UNRELATED",),)


KEYWORDS = """\
KEYWORDS = {
    'MATCH': tokens.Keyword,
    'MAXEXTENTS': tokens.Keyword,
    'MESSAGE': tokens.Keyword,
}
"""


def test_an_entry_takes_the_tables_case_quotes_value_and_place():
    offered = entries(KEYWORDS, (("create", "materialized", "MATCH"),), kind="insert_entry")
    assert offered == [
        KEYWORDS.replace("    'MATCH'", "    'CREATE': tokens.Keyword,\n    'MATCH'"),
        KEYWORDS.replace("'MAXEXTENTS'", "'MATERIALIZED': tokens.Keyword,\n    'MAXEXTENTS'"),
    ]  # 'MATCH' is there already


def test_an_unsorted_table_gets_the_entry_last():
    code = 'IGNORE = [\n    "nose",\n    "six.moves",\n    "gi",\n]\n'
    tests = (("gi", "prompt_toolkit", "tensorflow.compat"),)
    assert entries(code, tests, kind="append_entry") == [
        code.replace('"gi",\n', '"gi",\n    "tensorflow.compat",\n')
    ]  # `_` is in no entry: prompt_toolkit is not offered
    inline = 'TLD = {"COM", "ORG", "DE"}\n'
    assert entries(inline, (("com", "onion"),)) == ['TLD = {"COM", "ORG", "DE", "ONION"}\n']
    # in order, the same table takes it in its place
    assert entries('TLD = {"COM", "DE", "ORG"}\n', (("onion", "de"),), kind="insert_entry") == [
        'TLD = {"COM", "DE", "ONION", "ORG"}\n'
    ]
    # a place no order tells: half as likely
    policy = SearchPolicy()
    appended = operation_prior(EditKind.APPEND_ENTRY, policy)
    assert appended == policy.append_share * operation_prior(EditKind.INSERT_ENTRY, policy)


@pytest.mark.parametrize(
    "code",
    [
        'T = ["a", "b"]\n',  # too few entries
        'T = ["a", "b", 3]\n',  # not only strings
        'T = ["a", f"{b}", "c"]\n',  # an interpolation
        'T = {"a": 1, **rest, "b": 2, "c": 3}\n',  # not only pairs
    ],
)
def test_what_is_no_table(code: str):
    assert entries(code, (("zz", "a"),)) == []


def test_no_strings_no_entries_and_the_switch():
    assert entries(KEYWORDS, ()) == []
    off = SearchPolicy(test_literal_entries=False)
    assert entries(KEYWORDS, (("materialized", "match"),), off) == []
    capped = SearchPolicy(max_entries_per_table=2)
    assert len(entries(KEYWORDS, (("aa", "bb", "cc", "dd", "MATCH"),), capped)) == 2


def test_the_words_come_from_groups_that_share_the_tables_entries():
    """A test names the missing entry beside others of its table: a group with none of them
    offers nothing, and the group sharing the most comes first."""
    assert entries(KEYWORDS, (("materialized", "view"),)) == []
    one = SearchPolicy(max_entries_per_table=1)
    groups = (("AA", "MATCH"), ("BB", "MATCH", "MESSAGE"))
    assert entries(KEYWORDS, groups, one) == [
        KEYWORDS.replace("    'MATCH'", "    'BB': tokens.Keyword,\n    'MATCH'")
    ]


def _stdlib_sample(count: int) -> list[Path]:
    paths = sorted(STDLIB.glob("*.py"))
    return random.Random(7).sample(paths, min(count, len(paths)))


@pytest.mark.parametrize("path", _stdlib_sample(12), ids=lambda path: path.name)
def test_round_trip_stdlib(path: Path):
    source = path.read_bytes()
    if parse(source).root_node.has_error:
        pytest.skip("not parsable by tree-sitter")
    words = dict.fromkeys(re.findall(r"'([A-Za-z_][A-Za-z0-9_.]*)'", source.decode("utf-8")))
    extra = ("zeta_entry", "ZETA", "zeta.mod", "Alpha9")
    literals = tuple((word, *extra) for word in list(words)[:40])
    for op in real_operations(source, literals=literals):
        if op.kind not in ENTRIES:
            continue
        edit = op.edit
        assert edit.old == "" and edit.start == edit.end
        changed = apply_edits(source, [edit])
        compile(changed, str(path), "exec")
        assert not parse(changed).root_node.has_error
        assert apply_edits(changed, [edit.inverse()]) == source


def test_a_repair_that_needs_the_tests_word(tmp_path: Path):
    """The keyword table runs at import, so coverage sees no test run it: the table is offered
    entries anyway, and the one the failing test names fixes it."""
    package = tmp_path / "lexer"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "keywords.py").write_text(
        "KEYWORDS = {\n"
        + "".join(f"    '{word}': 'keyword',\n" for word in ("AS", "CREATE", "SELECT", "TABLE"))
        + "}\n"
    )
    (package / "lex.py").write_text(
        "from lexer import keywords\n\n\n"
        "def kinds(text):\n"
        "    return [keywords.KEYWORDS.get(w.upper(), 'name') for w in text.split()]\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_lex.py").write_text(
        "from lexer.lex import kinds\n\n\n"
        "def test_view():\n"
        "    assert kinds('create view v') == ['keyword', 'keyword', 'name']\n\n\n"
        "def test_table():\n"
        "    assert kinds('create table t') == ['keyword', 'keyword', 'name']\n"
    )
    config = RepairConfig(use_model=False, jobs=2, test_timeout=1.0, timeout=90.0)
    result = fix([package], [tmp_path / "tests"], config)
    assert result.status == FIXED, result.stop_reason
    assert [(e.kind, e.new.strip()) for e in result.edits] == [
        (EditKind.INSERT_ENTRY, "'VIEW': 'keyword',")  # in order: after 'TABLE'
    ]


def test_the_round_trip_sees_entries():
    """The round trip above is not vacuous: the sample's tables take entries."""
    offered = 0
    for path in _stdlib_sample(12):
        source = path.read_bytes()
        words = dict.fromkeys(re.findall(r"'([A-Za-z_][A-Za-z0-9_.]*)'", source.decode("utf-8")))
        literals = tuple((word, "zeta_entry", "ZETA") for word in list(words)[:40])
        offered += sum(op.kind in ENTRIES for op in real_operations(source, literals=literals))
    assert offered >= 5
