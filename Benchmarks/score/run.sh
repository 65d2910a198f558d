#!/usr/bin/env bash
# The scoring benchmark (issue 5): a registered metric scored in-process through `MetricModel(folder:)`
# (the library entry point `lunette score` uses) and through `lunette score` end to end, beside the
# documented Python snippet on PyTorch (same folder, same rows). Not a test; numbers go to BENCHMARKS.md.
#
#   Benchmarks/score/run.sh
#
# Needs a registered metric: by default `toxicity@1` from the bundled project (run `lunette run` in the
# repository once), exported to Benchmarks/work/toxicity-export. Knobs (environment): METRIC (toxicity@1),
# ROUNDS (3), BENCH_SECONDS (3), THREADS (2), LUNETTE_BIN. Results: Benchmarks/work/score/results.txt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/Benchmarks/work/score"
work="$out/rows"
venv="$repo/Benchmarks/.build/torch-venv"
export LUNETTE_MODELS="${LUNETTE_MODELS:-$repo/cache/models}"
metric="${METRIC:-toxicity@1}"
folder="$repo/Benchmarks/work/${metric%@*}-export"
rounds="${ROUNDS:-3}"
seconds="${BENCH_SECONDS:-3}"
threads="${THREADS:-2}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

echo "== building (release)" >&2
swift build -c release --package-path "$here" --scratch-path "$repo/Benchmarks/.build/score" --product score-bench 2>&1 | tail -1 >&2
bench="$repo/Benchmarks/.build/score/release/score-bench"
if [[ -z "${LUNETTE_BIN:-}" ]]; then
    (cd "$repo" && swift build -c release --product lunette --scratch-path .build-release 2>&1 | tail -1 >&2)
    LUNETTE_BIN="$repo/.build-release/release/lunette"
fi
rm -rf "$folder"
(cd "$repo" && "$LUNETTE_BIN" registry export "$metric" --to "$folder" >&2)
mkdir -p "$out" "$work"
exec > >(tee "$out/results.txt") 2>&1

load() { echo "-- load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }
# `lunette score` end to end (process start, store lookup, model load, scoring, writing), 1 row and 1,024.
cli() {
    for file in score-rows-16-single score-rows-16 score-rows-60; do
        local lines timing
        lines=$(wc -l < "$work/$file.jsonl")
        timing=$( { /usr/bin/time -f "%e %U %S" "$@" score "$metric" --input "$work/$file.jsonl" --output "$out/scored.jsonl" --threads "$threads"; } 2>&1 | tail -1)
        echo "cli $file ($lines rows): $timing" | awk '{ printf "%s %s %s %s %s s wall, %.2f s CPU\n", $1, $2, $3, $4, $5, $6 + $7 }'
    done
}

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "== $(date -u +%FT%TZ); git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'); metric $metric"
echo "== OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}; $rounds rounds, $threads threads"
for round in $(seq 1 "$rounds"); do
    load
    echo "== round $round: swift as-set"
    "$bench" "$folder" "$work" --threads "$threads" --seconds "$seconds"
    echo "== round $round: swift unset"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bench" "$folder" "$work" --threads "$threads" --seconds "$seconds"
    echo "== round $round: swift as-set threads 1"
    "$bench" "$folder" "$work" --threads 1 --seconds "$seconds"
    echo "== round $round: torch"
    "$venv/bin/python" "$here/bench_torch.py" "$folder" "$work" --threads "$threads" --seconds "$seconds"
    echo "== round $round: cli as-set"
    (cd "$repo" && cli "$LUNETTE_BIN")
done
load
