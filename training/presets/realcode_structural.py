"""The real-code recipe (training/presets/realcode.py) continued with structural bugs (issues #8
and #9 item 2): half the corrupted functions get one of the search's own structural edits'
inverses (a statement inserted, a call unwrapped, an argument added; `training.structcorrupt`),
labelled on the span of the operation that undoes it, so the model's P(wrong) can rank the
insertions, deletions and statement edits as it ranks token replacements. It starts from
`models/realcode.pt` and skips the trajectory stage, which lowered localization on real code in
both runs that had it (training/results/realcode_longer_pretrain). On one H100 with 16 cores:

    repair train --experiment realcode_structural --out runs/rcs --device cuda \
        --set workers=14 --set max_minutes=9.5
    repair train --experiment realcode_structural --out runs/rcs --device cuda \
        --set workers=14 --set max_minutes=9.5 --resume

The data folder comes from `python -m training.realdata --git-root DIR --out runs/realdata`."""

from training.presets.realcode import OVERRIDES as REALCODE

OVERRIDES = {
    **REALCODE,
    "init": "models/realcode.pt",
    "structural_share": 0.5,
    "pretrain_minutes": 10.0,
    "finetune_minutes": 3.0,
    "trajectory_epochs": 0,
}
