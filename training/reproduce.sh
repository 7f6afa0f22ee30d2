#!/usr/bin/env bash
# Reproduce the research log's experiments and evaluate each best checkpoint on the held-out split.
#   training/reproduce.sh OUT_DIR EXPERIMENT... [-- --set key=value ...]
# Example (one H200): training/reproduce.sh runs exp1 exp2 exp3 exp3b exp3c
set -euo pipefail
out=${1:?usage: reproduce.sh OUT_DIR EXPERIMENT... [-- --set k=v ...]}
shift
experiments=()
while [[ $# -gt 0 && $1 != "--" ]]; do experiments+=("$1"); shift; done
[[ ${1:-} == "--" ]] && shift
overrides=("$@")
python=${PYTHON:-python3}
for experiment in "${experiments[@]}"; do
  init=()
  [[ $experiment == exp2 ]] && init=(--init "$out/exp1/best.pt")
  echo "=== train $experiment $(date +%T)"
  "$python" -m repair train --experiment "$experiment" --out "$out/$experiment" "${init[@]}" "${overrides[@]}"
  echo "=== evaluate $experiment $(date +%T)"
  "$python" -m repair evaluate "$out/$experiment/best.pt" --iterations "${ITERATIONS:-5}" \
    --per-program "${PER_PROGRAM:-3}" --json > "$out/$experiment/evaluation.json"
  "$python" -c "import json,sys; print(json.load(open(sys.argv[1]))['table'])" "$out/$experiment/evaluation.json"
done
