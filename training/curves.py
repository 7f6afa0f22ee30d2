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
    # the log's recipes record epochs and one-shot accuracy per level; the real-code recipe steps
    x = "epoch" if "epoch" in history[0] else "step"
    epochs = [r[x] for r in history]
    left.plot(epochs, [r["loss"] for r in history])
    left.set_xlabel(x)
    left.set_ylabel("training loss")
    levels = sorted(k for k in history[0] if k.startswith("val_one_shot@"))
    for key in levels or sorted(k for k in history[0] if k.startswith("val_")):
        label = key.split("@")[1] if levels else key.removeprefix("val_")
        right.plot(epochs, [r.get(key, float("nan")) for r in history], label=label)
    right.set_xlabel(x)
    right.set_ylabel("validation one-shot accuracy" if levels else "validation")
    right.legend(title="corruption" if levels else None)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
