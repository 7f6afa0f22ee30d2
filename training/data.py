"""The data of an experiment: programs with tests split by program, and the vocabulary.

Held-out: a fixed 20 % of HumanEval (by name hash), never trained on or validated on; every
table `repair evaluate` prints is computed on it. Training and validation take the rest of
HumanEval first, then the project's synthetic programs, de-duplicated by normalised source.
"""

from __future__ import annotations

import ast
import random
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from repair.source import OPERATOR_CLASSES, parse, tokens
from repair.vocabulary import Vocabulary
from training.config import TrainConfig
from training.programs import Program, dedupe, humaneval_programs, split_programs


@dataclass
class Splits:
    train: list[Program]
    validation: list[Program]
    held_out: list[Program]
    summary: dict = field(default_factory=dict)


@lru_cache(maxsize=2)
def _humaneval() -> tuple[Program, ...]:
    return tuple(humaneval_programs())


def held_out_programs(fraction: float = 0.2, seed: int = 0) -> list[Program]:
    _, held_out = split_programs(list(_humaneval()), held_out_fraction=fraction, seed=seed)
    return held_out


def load_splits(config: TrainConfig) -> Splits:
    humaneval = list(_humaneval())
    rest, held_out = split_programs(humaneval, held_out_fraction=config.held_out_fraction, seed=0)
    validation_share = config.val_samples / (config.train_samples + config.val_samples)
    he_train, he_validation = split_programs(rest, held_out_fraction=validation_share, seed=1)
    needed = config.train_samples + config.val_samples
    missing = needed - len(rest)
    synthetic: list[Program] = []
    if missing > 0:
        from training.synthetic import synthetic_programs

        synthetic = synthetic_programs(int(missing * 1.1) + 20, seed=config.seed)
    pool = [*humaneval, *synthetic]
    unique = dedupe(pool)
    held_hashes = {p.source_hash for p in held_out}
    synthetic_kept = [p for p in dedupe(synthetic) if p.source_hash not in held_hashes]
    syn_train, syn_validation = split_programs(
        synthetic_kept, held_out_fraction=validation_share, seed=2
    )
    train = [p for p in he_train if p.source_hash not in held_hashes]
    train = (train + syn_train)[: config.train_samples]
    validation = (he_validation + syn_validation)[: config.val_samples]
    train_hashes = {p.source_hash for p in train}
    validation = [p for p in validation if p.source_hash not in train_hashes]
    summary = {
        "train_programs": len(train),
        "validation_programs": len(validation),
        "held_out_programs": len(held_out),
        "train_origins": _origins(train),
        "validation_origins": _origins(validation),
        "held_out_origin": "humaneval",
        "candidate_programs": len(pool),
        "duplication_rate": round(1 - len(unique) / max(1, len(pool)), 4),
    }
    return Splits(train, validation, held_out, summary)


def _origins(programs: list[Program]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for program in programs:
        counts[program.origin] = counts.get(program.origin, 0) + 1
    return counts


def stdlib_functions(limit: int, seed: int = 0) -> list[str]:
    """Source of standard-library functions (code without tests) for token-recovery pre-training.

    Read from the running interpreter's own library: every machine has it, nothing is copied.
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "test" not in p.relative_to(root).parts[:1])
    files = [p for p in files if "site-packages" not in p.parts and "idlelib" not in p.parts]
    random.Random(seed).shuffle(files)
    found: list[str] = []
    for path in files:
        for function in _functions_of(path):
            found.append(function)
            if len(found) >= limit:
                return found
    return found


def _functions_of(path: Path) -> Iterator[str]:
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and 4 <= len(node.body) and node.col_offset == 0:
            segment = ast.get_source_segment(text, node)
            if segment and 200 <= len(segment) <= 3000:
                yield segment + "\n"


def build_vocabulary(sources: list[str], max_size: int) -> Vocabulary:
    corpus: list[str] = []
    for source in sources:
        data = source.encode()
        corpus.extend(token.text for token in tokens(data, parse(data)))
    # Every operator of a closed class gets an id: a replacement the vocabulary lacks has no
    # probability at all (`is not` was rare enough in the corpus of the bundled models to miss).
    operators = [op for ops in OPERATOR_CLASSES.values() for op in ops]
    return Vocabulary.build(corpus, max_size=max_size, min_count=2, always=operators)
