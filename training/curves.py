"""Learning curves of a run (training loss, validation one-shot accuracy per corruption level) as
a PNG; optional, since the metrics log holds the same numbers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Curves:
    x: str  # "epoch" (the log's recipes) or "step" (the real-code recipe)
    xs: list
    loss: list
    validation: dict[str, list]  # label -> values (NaN where a record has none)
    by_level: bool  # one-shot accuracy per corruption level, else the recipe's own keys


def curves_of(history: list[dict]) -> Curves:
    x = "epoch" if "epoch" in history[0] else "step"
    levels = sorted(k for k in history[0] if k.startswith("val_one_shot@"))
    keys = levels or sorted(k for k in history[0] if k.startswith("val_"))
    validation = {
        key.split("@")[1] if levels else key.removeprefix("val_"): [
            r.get(key, float("nan")) for r in history
        ]
        for key in keys
    }
    return Curves(
        x, [r[x] for r in history], [r["loss"] for r in history], validation, bool(levels)
    )


def plot_curves(history: list[dict], path: Path, title: str) -> None:
    if not history:
        return
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # plotting is optional: the metrics log has the same numbers
        return
    curves = curves_of(history)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(curves.xs, curves.loss)
    left.set_xlabel(curves.x)
    left.set_ylabel("training loss")
    for label, values in curves.validation.items():
        right.plot(curves.xs, values, label=label)
    right.set_xlabel(curves.x)
    right.set_ylabel("validation one-shot accuracy" if curves.by_level else "validation")
    right.legend(title="corruption" if curves.by_level else None)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
