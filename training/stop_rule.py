"""Where the log's Exp 2 early-stopping rule would have stopped a run, computed after the fact.

The log: "Early stopping: stop if one-shot@20% < 70%", starting from 73.4 %. Our metric is stricter
(the model must also find the positions), so the rule has three readings, each checked after every
epoch on the validation one-shot accuracy at 20 %:
- `absolute`: below 70 %, the log's number as written;
- `ratio`: below start × 70 / 73.4 (the same share of the starting accuracy);
- `drop`: more than 3.4 points below the start (the reading our first Exp 2 run applied).
"""

from __future__ import annotations

from collections.abc import Sequence

LOG_START, LOG_FLOOR = 0.734, 0.70
KEY = "val_one_shot@0.2"


def thresholds(start: float) -> dict[str, float]:
    return {
        "absolute": LOG_FLOOR,
        "ratio": start * LOG_FLOOR / LOG_START,
        "drop": start - (LOG_START - LOG_FLOOR),
    }


def stop_epochs(history: Sequence[dict], start: float | None) -> dict[str, int | None]:
    """Per reading, the epoch after which the rule would have stopped the run (None: never)."""
    if start is None:
        return {}
    result: dict[str, int | None] = {}
    for name, floor in thresholds(start).items():
        result[name] = next((r["epoch"] for r in history if KEY in r and r[KEY] < floor), None)
    return result


def plot_marked(history: Sequence[dict], start: float | None, path, title: str) -> None:
    """Validation one-shot per level over the epochs, each reading's threshold and stop marked."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # optional: the marks are also in the results' JSON
        return
    figure, axes = plt.subplots(figsize=(7, 4))
    epochs = [r["epoch"] for r in history]
    for key in sorted(k for k in history[0] if k.startswith("val_one_shot@")):
        axes.plot(epochs, [r.get(key) for r in history], label=f"one-shot @ {key.split('@')[1]}")
    if start is not None:
        axes.axhline(start, color="grey", linewidth=0.8, label=f"start @ 0.2 ({start:.1%})")
        stops = stop_epochs(history, start)
        for (name, floor), style in zip(thresholds(start).items(), (":", "--", "-.")):
            if floor < 0.6:  # the absolute 70 % lies far above every curve here
                axes.axhline(
                    floor, color="red", linestyle=style, linewidth=0.6, label=f"'{name}' threshold"
                )
            if stops.get(name) is not None:
                axes.axvline(
                    stops[name],
                    color="red",
                    linestyle=style,
                    linewidth=1.0,
                    label=f"rule '{name}' stops after epoch {stops[name]}",
                )
    axes.set_xlabel("epoch")
    axes.set_ylabel("validation one-shot accuracy")
    axes.set_title(title)
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
