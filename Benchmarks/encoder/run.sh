#!/usr/bin/env bash
# The encoder benchmark (issue 3): MLCore's BertEncoder and `lunette embed` against sentence-transformers
# on PyTorch CPU, same texts, same machine, one run. Not a test; numbers go to BENCHMARKS.md.
#
#   Benchmarks/encoder/run.sh
#
# Knobs (environment): ROUNDS (3) alternating rounds, BENCH_SECONDS (3) per measurement, THREADS (2),
# LUNETTE_BIN (default: built into .build-release), SKIP_LOAD=1 to skip the under-load part.
#
# Each round runs, one after the other: encoder-bench with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE as set,
# encoder-bench with both unset (what a user's machine does), sentence-transformers, then `lunette embed`
# end to end (as set and unset). encoder-bench prints the kernel OpenBLAS picked and, in round 1, checks
# the golden parity under each setting. Then, with a busy loop pinned to CPU 1, both sides at 2 and 1
# threads. Results: Benchmarks/work/encoder/results.txt (raw) and summary.md (medians over the rounds).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/Benchmarks/work/encoder"
work="$out/texts"
venv="$repo/Benchmarks/.build/torch-venv"
model="${LUNETTE_MODELS:-$repo/cache/models}/minilm-l6"
export LUNETTE_MODELS="$(dirname "$model")"
golden="$repo/Tests/MLCoreTests/Fixtures/golden.jsonl"
rounds="${ROUNDS:-3}"
seconds="${BENCH_SECONDS:-3}"
threads="${THREADS:-2}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

[[ -f "$model/model.safetensors" ]] || "$repo/scripts/install-model" minilm-l6
[[ -x "$venv/bin/python" ]] || { echo "no torch venv at $venv (python -m venv; pip install torch sentence-transformers)" >&2; exit 1; }

echo "== building (release)" >&2
swift build -c release --package-path "$here" --scratch-path "$repo/Benchmarks/.build/encoder" --product encoder-bench 2>&1 | tail -1 >&2
bench="$repo/Benchmarks/.build/encoder/release/encoder-bench"
if [[ -z "${LUNETTE_BIN:-}" ]]; then
    (cd "$repo" && swift build -c release --product lunette --scratch-path .build-release 2>&1 | tail -1 >&2)
    LUNETTE_BIN="$repo/.build-release/release/lunette"
fi
mkdir -p "$out" "$work"
exec > >(tee "$out/results.txt") 2>&1

load() { echo "-- load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }
torch() { "$venv/bin/python" "$here/bench_torch.py" "$model" "$work" --seconds "$seconds" "$@"; }

# `lunette embed` end to end: 1,024 texts (the 256 of texts-N.jsonl four times) and 1 text; the steady
# rate is 1,023 / (difference of the two wall times), which takes process start and model load out.
cli() {
    for target in 12 60 128; do
        for _ in 1 2 3 4; do cat "$work/texts-$target.jsonl"; done > "$work/cli-$target.jsonl"
        head -1 "$work/texts-$target.jsonl" > "$work/cli-1.jsonl"
        local big one
        big=$( { /usr/bin/time -f "%e %U %S" "$@" embed --input "$work/cli-$target.jsonl" --output /dev/null --threads "$threads" >/dev/null; } 2>&1 | tail -1)
        one=$( { /usr/bin/time -f "%e %U %S" "$@" embed --input "$work/cli-1.jsonl" --output /dev/null --threads "$threads" >/dev/null; } 2>&1 | tail -1)
        awk -v t="$target" -v big="$big" -v one="$one" 'BEGIN { split(big, b, " "); split(one, o, " ");
            printf "cli ~%d tokens: 1024 texts %.2f s wall (%.2f s CPU), 1 text %.2f s wall (%.2f s CPU); %.1f texts/s end to end, %.1f texts/s steady\n",
                t, b[1], b[2] + b[3], o[1], o[2] + o[3], 1024 / b[1], 1023 / (b[1] - o[1]) }'
    done
}

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "== $(date -u +%FT%TZ); lunette $("$LUNETTE_BIN" --version 2>/dev/null || echo '?'); git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "== OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}; $rounds rounds, ${seconds} s per measurement, $threads threads"
for round in $(seq 1 "$rounds"); do
    parity=(); [[ "$round" == 1 ]] && parity=(--golden "$golden")
    load
    echo "== round $round: swift as-set"
    "$bench" "$model" "$work" --threads "$threads" --seconds "$seconds" "${parity[@]}"
    echo "== round $round: swift unset"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bench" "$model" "$work" --threads "$threads" --seconds "$seconds" "${parity[@]}"
    echo "== round $round: torch"
    torch --threads "$threads"
    echo "== round $round: cli as-set"
    cli "$LUNETTE_BIN"
    echo "== round $round: cli unset"
    cli env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$LUNETTE_BIN"
done
load

if [[ "${SKIP_LOAD:-0}" != 1 ]]; then
    taskset -c 1 sh -c 'while :; do :; done' &
    busy=$!
    trap 'kill "$busy" 2>/dev/null || true' EXIT
    sleep 1
    for t in 2 1; do
        load
        echo "== loaded: swift as-set threads $t"
        "$bench" "$model" "$work" --threads "$t" --seconds "$seconds"
        echo "== loaded: swift unset threads $t"
        env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bench" "$model" "$work" --threads "$t" --seconds "$seconds"
        echo "== loaded: torch threads $t"
        torch --threads "$t"
    done
    kill "$busy"
    load
fi
python3 "$repo/Benchmarks/encoder/summarize.py" "$out/results.txt" | tee "$out/summary.md"
