"""The real-code recipe's data as one folder that travels to a training machine (no git
directories, no corpus, no tree-sitter work beyond parsing there):

- `functions.json.xz`: pre-training functions (`training.realcode`) with their files' names;
- `fixes.json.xz`: the train split's aligned fixes (`training.realfixes`), a few repositories'
  held out for validation;
- `distribution.json`: the train split's fix distribution (`training.realcorrupt`);
- `vocabulary.json`: the sub-token vocabulary, built from the pre-training functions;
- `manifest.json`: what was built, from what, and its counts.

    python -m training.realdata --git-root /work/.mirror --out runs/realdata

Nothing from a dev or test repository enters the folder; functions equal (up to whitespace) to a
dev or test fix's function are dropped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from repair.checkpoint import git_commit
from repair.source import OPERATOR_CLASSES, parse, tokens
from repair.vocabulary import Vocabulary, split_subtokens
from training.realcode import (
    FunctionCorpus,
    RealCodePolicy,
    assemble,
    cache_dir,
    cached_repository,
    iter_train_repositories,
    normalized_hash,
    stdlib_files,
)
from training.realcorrupt import FixDistribution, fix_distribution
from training.realfixes import CORPUS, FixExample, fix_examples, read_fixes

REPOS = Path(__file__).resolve().parent / "data" / "realfix_repos.json"


@dataclass(frozen=True)
class DataPolicy:
    per_repository: int = 1400  # functions kept from one repository at most
    stdlib: int = 10000  # standard-library functions at most
    vocabulary: int = 8192
    vocabulary_functions: int = 40000  # functions the vocabulary is counted on
    validation_share: float = 0.05  # of train repositories, whose fixes only validate


@dataclass
class RealData:
    functions: list[tuple[int, str]]  # (names id, text)
    names: list[list[str]]
    fixes: list[FixExample]  # fine-tuning
    validation_fixes: list[FixExample]
    distribution: FixDistribution
    vocabulary: Vocabulary
    manifest: dict

    @classmethod
    def load(cls, folder: Path) -> RealData:
        functions = _read_xz(folder / "functions.json.xz")
        fixes = _read_xz(folder / "fixes.json.xz")
        return cls(
            functions=[(int(k), text) for k, text in functions["functions"]],
            names=functions["names"],
            fixes=[FixExample.from_json(item) for item in fixes["train"]],
            validation_fixes=[FixExample.from_json(item) for item in fixes["validation"]],
            distribution=FixDistribution.from_json(
                json.loads((folder / "distribution.json").read_text())
            ),
            vocabulary=Vocabulary(json.loads((folder / "vocabulary.json").read_text())),
            manifest=json.loads((folder / "manifest.json").read_text()),
        )


def _read_xz(path: Path):
    with lzma.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def _write_xz(path: Path, value) -> None:
    temporary = path.with_suffix(".tmp")
    with lzma.open(temporary, "wt", encoding="utf-8", preset=6) as handle:
        json.dump(value, handle, separators=(",", ":"))
    os.replace(temporary, path)


def is_validation_repository(repo: str, share: float) -> bool:
    digest = int(hashlib.sha1(f"realcode-validation:{repo}".encode()).hexdigest()[:8], 16)
    return digest / 0xFFFFFFFF < share


def build_vocabulary(texts: list[str], size: int) -> Vocabulary:
    """Whole tokens and the words of identifiers and strings; every operator always in."""
    corpus, words = [], []
    for text in texts:
        data = text.encode()
        for token in tokens(data, parse(data)):
            corpus.append(token.text)
            if token.node_type in ("identifier", "string", "string_content"):
                words.extend(split_subtokens(token.text))
    operators = [op for ops in OPERATOR_CLASSES.values() for op in ops]
    return Vocabulary.build(corpus, max_size=size, min_count=2, always=operators, subtokens=words)


def held_out_hashes(corpus: Path = CORPUS) -> set[str]:
    """Normalized hashes of every dev and test fix's function, before and after."""
    found = set()
    for fix in read_fixes(corpus):
        if fix["split"] in ("dev", "test"):
            found.add(normalized_hash(fix["before"]))
            found.add(normalized_hash(fix["after"]))
    return found


def function_corpus(
    git_root: Path, policy: DataPolicy, code_policy: RealCodePolicy, say=print
) -> FunctionCorpus:
    sources = []
    for repo, head in iter_train_repositories(REPOS):
        sources.append((repo, cached_repository(git_root, repo, head, code_policy, cache_dir())))
        say(f"{repo}: {sum(len(f.functions) for f in sources[-1][1])} function versions")
    corpus = assemble(sources, held_out_hashes(), policy.per_repository)
    stdlib = assemble([("stdlib", stdlib_files(code_policy))], held_out_hashes(), policy.stdlib)
    offset = len(corpus.names)
    functions = corpus.functions + [(k + offset, text) for k, text in stdlib.functions]
    random.Random(1).shuffle(functions)
    return FunctionCorpus(
        functions, corpus.names + stdlib.names, {**corpus.sources, **stdlib.sources}
    )


def write_folder(
    out: Path,
    functions: list[tuple[int, str]],
    names: list[list[str]],
    train: list[FixExample],
    validation: list[FixExample],
    vocabulary: Vocabulary,
    manifest: dict,
) -> dict:
    """Write a data folder `RealData.load` reads; the distribution is measured on `train`."""
    out.mkdir(parents=True, exist_ok=True)
    _write_xz(out / "functions.json.xz", {"names": names, "functions": functions})
    _write_xz(
        out / "fixes.json.xz",
        {"train": [e.to_json() for e in train], "validation": [e.to_json() for e in validation]},
    )
    distribution = fix_distribution(train)
    (out / "distribution.json").write_text(json.dumps(distribution.to_json(), indent=1))
    (out / "vocabulary.json").write_text(json.dumps(vocabulary.to_list()))
    manifest = {
        "commit": git_commit(),
        **manifest,
        "functions": len(functions),
        "name_lists": len(names),
        "fine_tuning_fixes": len(train),
        "validation_fixes": len(validation),
        "vocabulary": len(vocabulary),
    }
    manifest["bytes"] = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def build(git_root: Path, out: Path, policy: DataPolicy = DataPolicy(), say=print) -> dict:
    code_policy = RealCodePolicy()
    corpus = function_corpus(git_root, policy, code_policy, say)
    unique: dict[tuple[str, ...], int] = {}
    name_ids = [unique.setdefault(tuple(names), len(unique)) for names in corpus.names]
    functions = [(name_ids[k], text) for k, text in corpus.functions]
    say(f"{len(functions)} functions")
    examples, counts = fix_examples("train", git_root)
    validation = [e for e in examples if is_validation_repository(e.repo, policy.validation_share)]
    train = [e for e in examples if not is_validation_repository(e.repo, policy.validation_share)]
    texts = [text for _, text in functions[: policy.vocabulary_functions]]
    vocabulary = build_vocabulary(texts, policy.vocabulary)
    manifest = {
        "policy": asdict(policy),
        "code_policy": asdict(code_policy),
        "function_sources": corpus.sources,
        "fixes": counts,
    }
    names = [list(names) for names in unique]
    return write_folder(out, functions, names, train, validation, vocabulary, manifest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-root", type=Path, required=True, help="DIR of DIR/OWNER+NAME/repo")
    parser.add_argument("--out", type=Path, default=Path("runs/realdata"))
    parser.add_argument("--per-repository", type=int, default=DataPolicy.per_repository)
    parser.add_argument("--stdlib", type=int, default=DataPolicy.stdlib)
    args = parser.parse_args(argv)
    policy = DataPolicy(per_repository=args.per_repository, stdlib=args.stdlib)
    manifest = build(args.git_root, args.out, policy)
    print(json.dumps({k: v for k, v in manifest.items() if k != "function_sources"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
