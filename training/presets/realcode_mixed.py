"""The structural model (training/presets/realcode_structural.py) continued with Exp 4's small
programs inside the real-code batches (issue #8): a quarter of each batch's corrupted functions
are small training programs corrupted at 20, 50 or 75 % (`training.realbatches.small_graph`),
the lesson the trajectory stage teaches, learned beside real code instead of after it (a
trajectory stage after real code undid it: training/results/realcode_structural_traj). No
trajectory stage. On one H100 with 16 cores, in one call:

    repair train --experiment realcode_mixed --out runs/rcm --device cuda --set workers=14 \
        --set max_minutes=9.5

The data folder comes from `python -m training.realdata --git-root DIR --out runs/realdata`."""

from training.presets.realcode_structural import OVERRIDES as STRUCTURAL

OVERRIDES = {
    **STRUCTURAL,
    "init": "models/realcode_structural.pt",
    "small_share": 0.25,
    "pretrain_minutes": 6.0,
    "finetune_minutes": 2.0,
    "trajectory_epochs": 0,
}
