#!/usr/bin/env bash
# DDP speed-up: the same one-epoch training run on one GPU and on two (torchrun), same total
# worker processes; prints each run's graphs/s (tests executed at every step) and the ratio.
#   bench/ddp_speedup.sh [WORKERS]      (on a host with two GPUs)
set -euo pipefail
workers=${1:-30}
python=${PYTHON:-python3}
args=(--experiment exp4 --set epochs=1 --set train_samples=400 --set val_samples=10)
CUDA_VISIBLE_DEVICES=0 "$python" -m repair train "${args[@]}" --out /tmp/ddp1 --set workers="$workers"
"$python" -m torch.distributed.run --standalone --nproc_per_node 2 -m repair train "${args[@]}" \
  --out /tmp/ddp2 --set workers=$((workers / 2))
"$python" - <<'PY'
import json
one = json.load(open("/tmp/ddp1/summary.json"))["graphs_per_second"]
two = json.load(open("/tmp/ddp2/summary.json"))["graphs_per_second"]
print(f"one GPU {one:.0f} graphs/s, two GPUs {two:.0f} graphs/s, speed-up {two / one:.2f}x")
PY
