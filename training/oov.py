"""Out-of-vocabulary rates on the dev repositories' functions, for a vocabulary before (the
bundled model's) and after (the sub-token vocabulary of `training.realdata`):

- tokens: every leaf whose text is not a vocabulary entry (it reaches the model as <unk>);
- identifiers: the same for identifier leaves; with sub-tokens, also those whose words are all
  unknown too (nothing of the name reaches the model);
- fix names: the new name of each dev fix that replaces an identifier by another, reachable when
  it is a vocabulary entry or a name the copy head covers (before: the function's own names;
  with the sub-token vocabulary also the file's module-level names).

    python -m training.oov --git-root /work/.mirror --data runs/realdata
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from repair.checkpoint import default_model_path, load_checkpoint
from repair.source import TokenClass, parse, tokens
from repair.vocabulary import Vocabulary, split_subtokens
from training.evaluate_real import dev_examples
from training.realcode import RealCodePolicy, repository_functions
from training.realdata import REPOS

PER_REPOSITORY = 300  # functions sampled from each dev repository's head


def dev_functions(git_root: Path, per_repository: int = PER_REPOSITORY) -> list[str]:
    texts = []
    for entry in json.loads(REPOS.read_text()):
        if entry.get("split") != "dev":
            continue
        git_dir = git_root / entry["repo"].replace("/", "+") / "repo"
        files = repository_functions(
            git_dir, entry["repo"], entry["commit"], RealCodePolicy(versions=0)
        )
        found = sorted({text for item in files for text in item.functions})
        random.Random(entry["repo"]).shuffle(found)
        texts += found[:per_repository]
    return texts


def token_rates(texts: Sequence[str], vocabulary: Vocabulary) -> dict[str, float]:
    counts: Counter[str] = Counter()
    for text in texts:
        source = text.encode()
        for token in tokens(source, parse(source)):
            known = token.text in vocabulary
            counts["tokens"] += 1
            counts["tokens_unknown"] += not known
            if token.token_class == TokenClass.IDENTIFIER:
                words = split_subtokens(token.text)
                counts["identifiers"] += 1
                counts["identifiers_unknown"] += not known
                if vocabulary.subtokens:
                    no_word = not any(word in vocabulary for word in words)
                    counts["identifiers_no_word_known"] += not known and no_word
                    counts["identifiers_all_words_known"] += bool(words) and all(
                        word in vocabulary for word in words
                    )
    rates = {
        "tokens_unknown": counts["tokens_unknown"] / max(1, counts["tokens"]),
        "identifiers_unknown": counts["identifiers_unknown"] / max(1, counts["identifiers"]),
    }
    if vocabulary.subtokens:
        for key in ("identifiers_no_word_known", "identifiers_all_words_known"):
            rates[key] = counts[key] / max(1, counts["identifiers"])
    return {**rates, "tokens": counts["tokens"], "identifiers": counts["identifiers"]}


def fix_name_reach(examples, vocabulary: Vocabulary) -> dict[str, float]:
    """Share of dev fixes' new identifiers the model could output at all."""
    reach = total = 0
    for example in examples:
        source = example.before.encode()
        own = {
            t.text for t in tokens(source, parse(source)) if t.token_class == TokenClass.IDENTIFIER
        }
        covered = own | (set(example.names) if vocabulary.subtokens else set())
        for (_, _, new), cls in zip(example.edits, example.classes):
            if cls == TokenClass.IDENTIFIER.value:
                total += 1
                reach += new in vocabulary or new in covered
    return {"fix_names": total, "fix_names_reachable": reach / max(1, total)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-root", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("runs/realdata"))
    parser.add_argument("--before", type=Path, default=None, help="default: models/default.pt")
    args = parser.parse_args(argv)
    texts = dev_functions(args.git_root)
    examples, _ = dev_examples(args.git_root)
    before = load_checkpoint(args.before or default_model_path()).vocabulary
    after = Vocabulary(json.loads((args.data / "vocabulary.json").read_text()))
    print(f"{len(texts)} functions of the dev repositories (at most {PER_REPOSITORY} each)")
    for label, vocabulary in (("before", before), ("after", after)):
        rates = {**token_rates(texts, vocabulary), **fix_name_reach(examples, vocabulary)}
        shown = ", ".join(
            f"{k} {v:.1%}" if isinstance(v, float) else f"{k} {v}" for k, v in rates.items()
        )
        print(f"{label} (vocabulary {len(vocabulary):,}): {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
