"""SARIF 2.1.0 logs of `repair localize` and `repair fix`, for code scanning and editors.

One run of the tool `repair`, whose invocation's properties hold the failing tests (and, for
`fix`, how the search went). Results:
- `suspicious-statement` (level note): each ranked statement, its region the statement's lines;
  `rank` is its score times 100 (SARIF ranks run from 0 to 100, every score is in [0, 1]), and
  `properties.place` its place in the ranking (tied statements share one). The failing tests'
  files are its related locations.
- `verified-fix` (level warning; `fix` only, when a fresh pytest run verified a fix): located at
  each changed region, with one `fixes` entry whose `artifactChanges` hold the replacements of
  `repair.replacements`. Each `deletedRegion` names the replaced text three ways that agree:
  `byteOffset`/`byteLength` in UTF-8 bytes of the file as stored, `charOffset`/`charLength` in
  code points (the run's `columnKind`) and line/column; `insertedContent` has `text` and `binary`
  (base64). Applied from last to first they give the bytes `--apply` writes.
Paths are URIs relative to `base` (the working directory: in CI, the repository's root, which is
what GitHub resolves them against) with the uriBaseId `%SRCROOT%`, whose file URI is in
`originalUriBaseIds`; a file outside `base` gets its absolute file URI.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path
from urllib.parse import quote

from repair.fix import FIXED, RepairResult
from repair.localize import Localization, RankedLine
from repair.replacements import Replacement, exact_replacements

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
BASE_ID = "%SRCROOT%"
TESTS_NAMED = 3  # failing tests named in a result's message
TESTS_RELATED = 10  # failing tests among a result's related locations (all: the invocation's)
RULES = [
    {
        "id": "suspicious-statement",
        "name": "SuspiciousStatement",
        "shortDescription": {"text": "Statement likely to hold the bug that makes tests fail."},
        "fullDescription": {
            "text": "Ranked by repair's fault localization: which statements the failing tests "
            "ran and the passing tests did not, the failing tests' tracebacks, and the words the "
            "failing tests share with the statement."
        },
        "defaultConfiguration": {"level": "note"},
    },
    {
        "id": "verified-fix",
        "name": "VerifiedFix",
        "shortDescription": {"text": "A change that makes the failing tests pass."},
        "fullDescription": {
            "text": "Found by repair's search and verified by a fresh pytest run of the whole "
            "suite; the result's fix holds the exact replacements."
        },
        "defaultConfiguration": {"level": "warning"},
    },
]


def localization_log(result: Localization, base: Path | None = None) -> dict:
    """The SARIF log of `repair localize`'s result; paths relative to `base` (default: cwd)."""
    run = result.run
    uris = _Uris(result.root, base)
    failing = run.failed
    properties = {"failingTests": failing, "policy": result.policy.key()}
    properties |= {"timedOut": run.timed_out, "crashed": run.crashed}
    notes = [
        {"level": "warning", "message": {"text": problem}} for problem in run.collection_errors
    ]
    results = [_suspicious(line, failing, uris) for line in result.ranked]
    return _log(uris, results, properties, notes)


def repair_log(result: RepairResult, base: Path | None = None) -> dict:
    """The SARIF log of `repair fix`'s result; paths relative to `base` (default: cwd)."""
    uris = _Uris(result.root, base)
    failing = result.failing_before
    results = [_suspicious(line, failing, uris) for line in result.suspicious]
    if result.status == FIXED and result.changes:
        results.append(_fix_result(result, uris))
    properties = {
        "status": result.status,
        "failingTests": failing,
        "passingAfter": result.passing_after,
        "stillFailing": result.still_failing,
        "verified": result.verified,
        "applied": result.applied,
        "heldBack": result.held_back,
        "candidatesTried": result.candidates_tried,
        "testRuns": result.test_runs,
        "seconds": round(result.seconds, 3),
        "model": result.model,
        "stopReason": result.stop_reason,
    }
    return _log(uris, results, properties, [])


def write_log(log: dict, path: Path) -> None:
    """Write `log` to `path` whole or not at all: a temporary file beside it, fsynced, then
    renamed over it (an existing file keeps its mode). Raises OSError."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.is_file() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write((json.dumps(log, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class _Uris:
    """Artifact locations of project paths, relative to `base` where they lie under it."""

    def __init__(self, root: Path, base: Path | None):
        self.root = Path(root).resolve()
        self.base = Path(base if base is not None else os.getcwd()).resolve()

    def location(self, path: str) -> dict:
        absolute = self.root / path
        try:
            relative = absolute.relative_to(self.base)
        except ValueError:
            return {"uri": absolute.as_uri()}
        return {"uri": quote(relative.as_posix()), "uriBaseId": BASE_ID}

    def base_ids(self) -> dict:
        return {BASE_ID: {"uri": self.base.as_uri().rstrip("/") + "/"}}


def _log(uris: _Uris, results: list[dict], properties: dict, notes: list[dict]) -> dict:
    invocation = {"executionSuccessful": True, "properties": properties}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    driver = {"name": "repair", "rules": RULES}
    version = _version()
    if version:
        driver["version"] = version
    run = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "originalUriBaseIds": uris.base_ids(),
        "columnKind": "unicodeCodePoints",
        "defaultEncoding": "utf-8",
        "defaultSourceLanguage": "python",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _suspicious(line: RankedLine, failing: list[str], uris: _Uris) -> dict:
    named = ", ".join(failing[:TESTS_NAMED])
    more = f" and {len(failing) - TESTS_NAMED} more" if len(failing) > TESTS_NAMED else ""
    region = {"startLine": line.line, "endLine": max(line.line, line.last or line.line)}
    return {
        "ruleId": "suspicious-statement",
        "ruleIndex": 0,
        "level": "note",
        "message": {
            "text": f"Suspicious statement, place {line.rank} (score {line.score:.3f}) for the "
            f"failing tests {named}{more}."
        },
        "locations": [_location(line.path, region, uris)],
        "relatedLocations": [
            {
                "id": index,
                "physicalLocation": {"artifactLocation": uris.location(nodeid.split("::")[0])},
                "message": {"text": nodeid},
            }
            for index, nodeid in enumerate(failing[:TESTS_RELATED])
        ],
        "rank": round(100 * min(1.0, max(0.0, line.score)), 3),
        "properties": {"score": line.score, "place": line.rank},
    }


def _fix_result(result: RepairResult, uris: _Uris) -> dict:
    changes = {path: exact_replacements(*versions) for path, versions in result.changes.items()}
    edits = "; ".join(f"{e.path}:{e.line} {e.old!r} -> {e.new!r}" for e in result.edits)
    text = f"A fix verified by a fresh pytest run of the whole suite: {edits or 'see the fix'}."
    return {
        "ruleId": "verified-fix",
        "ruleIndex": 1,
        "level": "warning",
        "message": {"text": text},
        "locations": [
            _location(path, _text_region(item), uris)
            for path, items in changes.items()
            for item in items
        ],
        "fixes": [
            {
                "description": {"text": f"Make the failing tests pass: {edits or 'see diff'}."},
                "artifactChanges": [
                    {
                        "artifactLocation": uris.location(path),
                        "replacements": list(map(_replacement, items)),
                    }
                    for path, items in changes.items()
                ],
            }
        ],
        "properties": {"applied": result.applied, "diff": result.diff, "doubt": result.doubt},
    }


def _location(path: str, region: dict, uris: _Uris) -> dict:
    return {"physicalLocation": {"artifactLocation": uris.location(path), "region": region}}


def _text_region(item: Replacement) -> dict:
    return {
        "startLine": item.start_line,
        "startColumn": item.start_column,
        "endLine": item.end_line,
        "endColumn": item.end_column,
    }


def _replacement(item: Replacement) -> dict:
    region = _text_region(item) | {"charOffset": item.char_offset, "charLength": item.char_length}
    region |= {"byteOffset": item.byte_offset, "byteLength": item.byte_length}
    replacement: dict = {"deletedRegion": region}
    if item.text:
        data = item.text.encode("utf-8")
        replacement["insertedContent"] = {
            "text": item.text,
            "binary": base64.b64encode(data).decode("ascii"),
        }
    return replacement


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("repair")
    except PackageNotFoundError:
        return ""
