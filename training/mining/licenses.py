"""A repository's license, read from its own files at the recorded commit, and whether we keep it.

The license file decides (LICENSE, LICENCE, COPYING, with any suffix); the packaging metadata
(pyproject.toml, setup.cfg, setup.py: a license field or a trove classifier) is the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Callable

PERMISSIVE = frozenset(
    {"MIT", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "ISC", "PSF-2.0", "Unlicense"}
)
UNKNOWN = "unknown"

# (license, every pattern that must occur). The license stated first in the file wins (a project's
# own license comes before the notices of code it bundles); on a tie, the earlier rule.
_TEXT_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0", (r"GNU AFFERO GENERAL PUBLIC LICENSE",)),
    ("LGPL", (r"GNU LESSER GENERAL PUBLIC LICENSE|GNU LIBRARY GENERAL PUBLIC LICENSE",)),
    ("GPL", (r"GNU GENERAL PUBLIC LICENSE",)),
    ("MPL-2.0", (r"Mozilla Public License",)),
    ("EPL", (r"Eclipse Public License",)),
    ("Apache-2.0", (r"Apache License", r"Version 2\.0")),
    ("PSF-2.0", (r"PYTHON SOFTWARE FOUNDATION LICENSE",)),
    ("Unlicense", (r"This is free and unencumbered software released into the public domain",)),
    ("MIT", (r"Permission is hereby granted, free of charge, to any person",)),
    ("ISC", (r"Permission to use, copy, modify, and(/or)? distribute this software for any",)),
    (
        "BSD-3-Clause",
        (
            r"Redistribution and use in source and binary forms",
            r"(endorse or promote|names? of (its|the) contributors|Neither the name)",
        ),
    ),
    ("BSD-2-Clause", (r"Redistribution and use in source and binary forms",)),
    ("HPND", (r"Historical Permission Notice|PIL Software License",)),
)

# Short names in metadata: license = "...", License :: OSI Approved :: ... classifiers, SPDX ids.
_NAME_RULES: tuple[tuple[str, str], ...] = (
    ("AGPL-3.0", r"\bAGPL|Affero"),
    ("LGPL", r"\bLGPL|Lesser General Public"),
    ("GPL", r"\bGPL|GNU General Public"),
    ("MPL-2.0", r"\bMPL|Mozilla Public"),
    ("Apache-2.0", r"\bApache"),
    ("PSF-2.0", r"\bPSF|Python Software Foundation"),
    ("Unlicense", r"\bUnlicense|The Unlicense"),
    ("MIT", r"\bMIT\b"),
    ("ISC", r"\bISC\b"),
    ("BSD-2-Clause", r"BSD[- ]2|Simplified BSD|FreeBSD"),
    ("BSD-3-Clause", r"\bBSD\b|BSD[- ]3|New BSD|Modified BSD"),
)

_LICENSE_FILE = re.compile(r"^(LICEN[CS]E|COPYING)([-._ ].*)?$", re.IGNORECASE)
_METADATA_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "PKG-INFO")
_METADATA_LINE = re.compile(
    r"""(?mi)^\s*(?:license\s*[=:]\s*(?:\{\s*text\s*=\s*)?["']?([^"'\n}]+)"""
    r"""|["']?License\s*::\s*OSI Approved\s*::\s*([^"'\n]+))"""
)
# An SPDX tag, or the first "License:" field of a Debian-style copyright file.
_SPDX = re.compile(r"(?m)(?:SPDX-License-Identifier|^License):\s*([\w.+-]+)")


def classify_text(text: str) -> str:
    """The license a license file's text states, or "unknown"."""
    spdx = _SPDX.search(text)
    if spdx:
        return classify_name(spdx.group(1))
    # The project's own license opens the file; texts of bundled code may follow it.
    head = " ".join(text.split())[:4000]  # line breaks and indentation vary between copies
    found: list[tuple[int, int, str]] = []
    for order, (name, patterns) in enumerate(_TEXT_RULES):
        matches = [re.search(pattern, head, re.IGNORECASE) for pattern in patterns]
        if all(matches):
            found.append((min(match.start() for match in matches if match), order, name))
    if found:
        return min(found)[2]
    return UNKNOWN


def classify_name(name: str) -> str:
    """A short license name ("MIT", "BSD License", "Apache Software License") as one of ours."""
    for license_id, pattern in _NAME_RULES:
        if re.search(pattern, name, re.IGNORECASE):
            return license_id
    return UNKNOWN


def classify_metadata(text: str) -> str:
    """The license named in packaging metadata (a license field or an OSI classifier)."""
    for match in _METADATA_LINE.finditer(text):
        name = match.group(1) or match.group(2) or ""
        found = classify_name(name)
        if found != UNKNOWN:
            return found
    return UNKNOWN


def repository_license(file_names: list[str], read: Callable[[str], bytes | None]) -> str:
    """Classify a repository from its top-level `file_names`, reading files with `read`."""
    license_files = sorted(name for name in file_names if _LICENSE_FILE.match(name))
    # LICENSE before LICENSE.thirdparty and the like: the shortest name is the project's own.
    for name in sorted(license_files, key=len):
        data = read(name)
        if data:
            found = classify_text(data.decode("utf-8", "replace"))
            if found != UNKNOWN:
                return found
    for name in _METADATA_FILES:
        if name in file_names:
            data = read(name)
            if data:
                found = classify_metadata(data.decode("utf-8", "replace"))
                if found != UNKNOWN:
                    return found
    return UNKNOWN


def is_permissive(license_id: str) -> bool:
    return license_id in PERMISSIVE
