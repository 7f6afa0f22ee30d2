"""Learning curves of a run (training loss, validation one-shot accuracy per corruption level) as
a PNG; optional, since the metrics log holds the same numbers."""

from __future__ import annotations

from pathlib import Path


def plot_curves(history: list[dict], path: Path, title: str) -> None:
    if not history:
        return
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # plotting is optional: the metrics log has the same numbers
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = [r["epoch"] for r in history]
    left.plot(epochs, [r["loss"] for r in history])
    left.set_xlabel("epoch")
    left.set_ylabel("training loss")
    for key in sorted(k for k in history[0] if k.startswith("val_one_shot@")):
        right.plot(epochs, [r.get(key, float("nan")) for r in history], label=key.split("@")[1])
    right.set_xlabel("epoch")
    right.set_ylabel("validation one-shot accuracy")
    right.legend(title="corruption")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
