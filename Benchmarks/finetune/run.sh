#!/usr/bin/env bash
# The fine-tuning benchmark (issue 4): full fine-tuning throughput of MLCore's FineTuner against
# transformers' BertForSequenceClassification + torch AdamW (same weights, same batches, same machine,
# alternating), peak memory at batch 16 x 128 tokens, and `head` mode wall time on 2,000 rows through
# `lunette run`. Not a test; numbers go to BENCHMARKS.md.
#
#   Benchmarks/finetune/run.sh
#
# Knobs (environment): ROUNDS (3), STEPS (12 timed steps after 2 warm-up steps), THREADS (2),
# LUNETTE_BIN (default: built into .build-release), SKIP_HEAD=1, SKIP_MEMORY=1, ROUNDS=0 to skip the
# throughput rounds, RESULTS_SUFFIX to write results$SUFFIX.txt beside earlier results (all are summarised).
# Results: Benchmarks/work/finetune/results.txt (raw) and summary.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/Benchmarks/work/finetune"
work="$out/texts"
venv="$repo/Benchmarks/.build/torch-venv"
model="${LUNETTE_MODELS:-$repo/cache/models}/minilm-l6"
export LUNETTE_MODELS="$(dirname "$model")"
rounds="${ROUNDS:-3}"
steps="${STEPS:-12}"
threads="${THREADS:-2}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

[[ -f "$model/model.safetensors" ]] || "$repo/scripts/install-model" minilm-l6
[[ -x "$venv/bin/python" ]] || { echo "no torch venv at $venv (python -m venv; pip install torch transformers)" >&2; exit 1; }

echo "== building (release)" >&2
swift build -c release --package-path "$here" --scratch-path "$repo/Benchmarks/.build/finetune" --product finetune-bench 2>&1 | tail -1 >&2
bench="$repo/Benchmarks/.build/finetune/release/finetune-bench"
if [[ -z "${LUNETTE_BIN:-}" ]]; then
    (cd "$repo" && swift build -c release --product lunette --scratch-path .build-release 2>&1 | tail -1 >&2)
    LUNETTE_BIN="$repo/.build-release/release/lunette"
fi
mkdir -p "$out" "$work"
exec > >(tee "$out/results${RESULTS_SUFFIX:-}.txt") 2>&1

load() { echo "-- load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }
total=$((steps + 2))
swift() { "$bench" "$model" "$work" --threads "$threads" --batch 16 --steps "$total" --warmup 2 "$@"; }
torch() { "$venv/bin/python" "$here/bench_torch.py" "$model" "$work" --threads "$threads" --batch 16 --warmup 2 "$@"; }

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "== $(date -u +%FT%TZ); git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "== OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}; $rounds rounds, $steps timed steps, $threads threads"
for round in $(seq 1 "$rounds"); do
    load
    echo "== round $round: swift as-set"
    swift --tokens 60
    echo "== round $round: swift unset"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bench" "$model" "$work" --threads "$threads" --batch 16 --steps "$total" --warmup 2 --tokens 60
    echo "== round $round: torch"
    torch --tokens 60
done
load

if [[ "${SKIP_MEMORY:-0}" != 1 ]]; then
    # Peak resident memory of full fine-tuning at batch 16 x 128 tokens (6 steps), both sides.
    for side in swift torch; do
        echo "== memory: $side batch 16 x 128 tokens"
        if [[ "$side" == swift ]]; then
            /usr/bin/time -v "$bench" "$model" "$work" --threads "$threads" --batch 16 --steps 6 --warmup 1 --tokens 128 2> "$out/time-$side.txt"
        else
            # trains on the finetune-128.jsonl (6 batches) the Swift side just wrote
            /usr/bin/time -v "$venv/bin/python" "$here/bench_torch.py" "$model" "$work" --threads "$threads" --batch 16 --warmup 1 --tokens 128 2> "$out/time-$side.txt"
        fi
        grep -E "Maximum resident|Elapsed|User time|System time" "$out/time-$side.txt"
    done
    load
fi

if [[ "${SKIP_HEAD:-0}" != 1 ]]; then
    # head mode on 2,000 training rows (the first 2,000 of the bundled Davidson training set) plus a
    # 100-row test set (20 seed rows join the training rows, 80 are scored by evaluate), all through
    # `lunette run`: cold (no cache: every row encoded) and warm (the train stage forced to rerun; the
    # embeddings come from the stage memo).
    ws="$out/head-2000"
    rm -rf "$ws"
    mkdir -p "$ws/workflows" "$ws/data"
    python3 - "$repo/examples/data/davidson-hate-offensive" "$ws/data" <<'PY'
import csv, sys
source, target = sys.argv[1], sys.argv[2]
for name, count in (("train.csv", 2000), ("test.csv", 100)):
    with open(f"{source}/{name}", newline="") as f:
        rows = list(csv.DictReader(f))[:count]
    assert len(rows) == count, (name, len(rows))
    with open(f"{target}/{name}", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "input", "toxic"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
PY
    cat > "$ws/workflows/bench.yaml" <<'YAML'
project: bench
defaults:
  base_model: minilm-l6
  seed: 7
runs:
  head2000:
    metric: toxicity
    test_set:
      path: ../data/test.csv
      columns: { input: input, label: toxic }
    training_set:
      upload:
        path: ../data/train.csv
        columns: { input: input, label: toxic }
    train: { mode: head }
    register: false
YAML
    for pass in cold warm; do
        load
        echo "== head: $pass"
        if [[ "$pass" == cold ]]; then
            /usr/bin/time -f "time: %e s wall, %U s user, %S s system, %M KiB max RSS" "$LUNETTE_BIN" run -C "$ws" 2>&1 | tail -15
        else
            /usr/bin/time -f "time: %e s wall, %U s user, %S s system, %M KiB max RSS" "$LUNETTE_BIN" run -C "$ws" --force 'bench/head2000/train' 2>&1 | tail -15
        fi
    done
    "$LUNETTE_BIN" status -C "$ws" 2>&1 | tail -5 || true
fi
cat "$out"/results*.txt > "$out/all.txt"
python3 "$here/summarize.py" "$out/all.txt" | tee "$out/summary.md"
