"""Repositories the project never mines, and small projects other benchmarks hold out.

RESERVED (QuixBugs, BugsInPy and the repositories of BugsInPy's projects) stay independent checks
of this project: the miner refuses them by owner/name, by repository name (forks keep it), by known
renames, and by the distribution name the repository's packaging declares.
HELD_OUT projects may be mined only when a pin puts them in a split on purpose.
"""

from __future__ import annotations

import re

RESERVED_NAMES = frozenset(
    {
        "quixbugs",
        "bugsinpy",
        "ansible",
        "black",
        "cookiecutter",
        "fastapi",
        "httpie",
        "keras",
        "luigi",
        "matplotlib",
        "pandas",
        "pysnooper",
        "sanic",
        "scrapy",
        "spacy",
        "thefuck",
        "tornado",
        "tqdm",
        "youtubedl",
        "ytdlp",
        "youtubedlc",
    }
)
# Homes of reserved projects whose repository name does not give them away (renames included).
RESERVED_REPOSITORIES = frozenset(
    {
        "httpie/cli",
        "httpie/httpie",
        "jakubroztocil/httpie",
        "ansible/ansible",
        "psf/black",
        "ambv/black",
        "explosion/spacy",
        "keras-team/keras",
        "fchollet/keras",
        "spotify/luigi",
        "cool-rr/pysnooper",
        "huge-success/sanic",
        "sanic-org/sanic",
        "nvbn/thefuck",
        "tornadoweb/tornado",
        "facebook/tornado",
        "tqdm/tqdm",
        "noamraph/tqdm",
        "ytdl-org/youtube-dl",
        "rg3/youtube-dl",
        "yt-dlp/yt-dlp",
        "blackjack4494/yt-dlc",
        "jkoppel/quixbugs",
        "soarsmu/bugsinpy",
        "tiangolo/fastapi",
        "fastapi/fastapi",
        "cookiecutter/cookiecutter",
        "audreyr/cookiecutter",
        "audreyfeldroy/cookiecutter",
        "pandas-dev/pandas",
        "pydata/pandas",
        "matplotlib/matplotlib",
        "scrapy/scrapy",
    }
)
# Owners that publish a reserved project under names of their own (ansible/ansible-core, ...).
RESERVED_OWNERS = frozenset({"ansible", "ytdl-org", "yt-dlp", "httpie"})

HELD_OUT_NAMES = frozenset({"cachetools", "parse", "humanize", "wcwidth", "semver", "boltons"})


class ReservedRepositoryError(ValueError):
    """The repository belongs to a benchmark this project must never train or tune on."""


def normalize(name: str) -> str:
    """`PySnooper`, `py-snooper`, `youtube_dl` -> `pysnooper`, `pysnooper`, `youtubedl`."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def reserved_reason(repo: str, project_names: tuple[str, ...] = ()) -> str | None:
    """Why `repo` (owner/name) or a project it declares is reserved, or None if it is not."""
    lowered = repo.lower().strip("/")
    owner, _, name = lowered.partition("/")
    if lowered in RESERVED_REPOSITORIES:
        return f"{repo} is a reserved repository"
    if owner in RESERVED_OWNERS:
        return f"{repo} belongs to {owner}, the home of a reserved project"
    if normalize(name) in RESERVED_NAMES:
        return f"{repo} is named for the reserved project {name}"
    for project in project_names:
        if normalize(project) in RESERVED_NAMES:
            return f"{repo} declares the reserved project {project}"
    return None


def refuse_reserved(repo: str, project_names: tuple[str, ...] = ()) -> None:
    """Raise ReservedRepositoryError if `repo` is reserved; the miner calls this before reading."""
    reason = reserved_reason(repo, project_names)
    if reason:
        raise ReservedRepositoryError(
            f"refused: {reason} (QuixBugs, BugsInPy and BugsInPy's projects are never mined)"
        )


def is_held_out(repo: str) -> bool:
    """A small project another benchmark holds out: kept out of the corpus unless pinned."""
    name = repo.lower().partition("/")[2]
    return normalize(name) in {normalize(held) for held in HELD_OUT_NAMES} or normalize(name) in {
        "python" + normalize(held) for held in HELD_OUT_NAMES
    }


_NAME_PATTERNS = (
    re.compile(r"""(?m)^\s*name\s*=\s*["']([^"']+)["']"""),  # pyproject.toml
    re.compile(r"""(?m)^\s*name\s*[=:]\s*([A-Za-z0-9_.\-]+)\s*$"""),  # setup.cfg
    re.compile(r"""\bname\s*=\s*["']([^"']+)["']"""),  # setup.py
)


def declared_project_names(metadata_texts: list[str]) -> tuple[str, ...]:
    """Distribution names declared in pyproject.toml / setup.cfg / setup.py texts."""
    names: dict[str, None] = {}
    for text in metadata_texts:
        for pattern in _NAME_PATTERNS:
            for match in pattern.finditer(text):
                names[match.group(1).strip()] = None
    return tuple(names)
