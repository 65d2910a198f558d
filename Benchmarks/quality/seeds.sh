#!/usr/bin/env bash
# More training seeds for the quality comparison of issue 13 (BENCHMARKS.md, "Quality", "Seeds").
#
#   Benchmarks/quality/seeds.sh [PROJECT/RUN…]    # default: the four runs within ±0.01 of PyTorch
#
# For each run and each seed in SEEDS (default "8 9"; the table's figures are seed 7), in a scratch
# copy of the examples workspace (Benchmarks/work/seeds: manifests and data copied, the content cache
# hard-linked, so load and split are reused): sets the run's `train: {seed: S}` (the split keeps the
# run's own seed, so the eval rows are the very same), runs it, reads its macro-F1 from its report,
# and fine-tunes the PyTorch baseline (finetune_baseline.py --seed S) on exactly the same rows. Prints
# and appends JSON lines to Benchmarks/work/results-seeds.jsonl; TORCH=0 skips PyTorch.
#
# Environment: LUNETTE_BIN (default .build/release/lunette), LUNETTE_MODELS (default cache/models),
# SEEDS, TORCH. Needs Benchmarks/.build/torch-venv (made by `TORCH=1 Benchmarks/quality/run.sh`).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK="$ROOT/Benchmarks/work"
SCRATCH="$WORK/seeds"
LUNETTE=${LUNETTE_BIN:-$ROOT/.build/release/lunette}
PYTHON="$ROOT/Benchmarks/.build/torch-venv/bin/python"
export LUNETTE_MODELS=${LUNETTE_MODELS:-$ROOT/cache/models}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
SEEDS=${SEEDS:-8 9}
RUNS=("$@")
[[ ${#RUNS[@]} -gt 0 ]] || RUNS=(do-not-answer/risk-area goemotions/neutral goemotions/ekman fine-foods/great)
[[ -x "$LUNETTE" ]] || { echo "seeds.sh: no lunette at $LUNETTE" >&2; exit 1; }
[[ -x "$PYTHON" ]] || { echo "seeds.sh: no $PYTHON (run TORCH=1 Benchmarks/quality/run.sh once)" >&2; exit 1; }

mkdir -p "$SCRATCH/workflows" "$SCRATCH/cache"
rm -rf "$SCRATCH/data" && cp -r "$ROOT/examples/data" "$SCRATCH/data"
for part in objects index memo; do
    [[ -d "$SCRATCH/cache/$part" ]] || cp -al "$ROOT/examples/cache/$part" "$SCRATCH/cache/$part"
done
RESULTS="$WORK/results-seeds.jsonl"

for seed in $SEEDS; do
    for run in "${RUNS[@]}"; do
        project=${run%%/*} name=${run#*/}
        # The project's manifest with this run's training seed set (anchors are expanded: a scratch copy).
        "$PYTHON" - "$ROOT/examples/workflows/$project.yaml" "$SCRATCH/workflows/$project.yaml" "$name" "$seed" <<'PY'
import sys, yaml
source, target, run, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
manifest = yaml.safe_load(open(source))
manifest["runs"][run].setdefault("train", {})["seed"] = seed
yaml.safe_dump(manifest, open(target, "w"), sort_keys=False, allow_unicode=True, width=1000)
PY
        started=$(date +%s.%N)
        "$LUNETTE" run -C "$SCRATCH" "$run" --no-register >/dev/null
        lunette_seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
        "$LUNETTE" report -C "$SCRATCH" "$run" >/dev/null
        f1=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["scores"]["macroF1"])' \
            "$SCRATCH/cache/reports/$project/$name/report.json")
        torch_json='{}'
        if [[ "${TORCH:-1}" != 0 ]]; then
            torch_json=$("$PYTHON" "$HERE/finetune_baseline.py" "$SCRATCH" "$run" "$LUNETTE_MODELS/minilm-l6" --seed "$seed" 2>/dev/null | tail -1)
        fi
        "$PYTHON" -c '
import json, sys
row = {"run": sys.argv[1], "seed": int(sys.argv[2]), "lunette_macro_f1": round(float(sys.argv[3]), 4),
       "lunette_seconds": int(sys.argv[4])}
torch = json.loads(sys.argv[5])
row.update({k: torch[k] for k in ("torch_macro_f1", "torch_seconds") if k in torch})
print(json.dumps(row, sort_keys=True))' "$run" "$seed" "$f1" "$lunette_seconds" "$torch_json" | tee -a "$RESULTS"
    done
done
