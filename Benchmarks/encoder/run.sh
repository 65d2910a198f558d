#!/usr/bin/env bash
# The encoder benchmark: MLCore's BertEncoder against sentence-transformers on PyTorch CPU, same texts,
# same machine, one run. Not a test; numbers go to BENCHMARKS.md.
#
#   Benchmarks/encoder/run.sh [--threads N] [--seconds S] [--skip-torch] [--under-load]
#
# Runs the Swift side twice: with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE as set in the environment, and
# with both unset (what a user's machine does), printing the kernel OpenBLAS picked and checking the
# golden parity under each. Then the reference in a venv it creates (Benchmarks/.build/torch-venv;
# `pip install torch sentence-transformers`, a large download). --under-load repeats the
# measurements with a busy process pinned beside them, since OpenBLAS threads spin while waiting.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="$repo/Benchmarks/.build/encoder"
work="$repo/Benchmarks/.build/encoder-work"
venv="$repo/Benchmarks/.build/torch-venv"
model="${LUNETTE_MODELS:-$repo/cache/models}/minilm-l6"
golden="$repo/Tests/MLCoreTests/Fixtures/golden.jsonl"
threads=2
seconds=3
skip_torch=0
under_load=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --threads) threads="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --skip-torch) skip_torch=1; shift ;;
        --under-load) under_load=1; shift ;;
        *) echo "usage: $0 [--threads N] [--seconds S] [--skip-torch] [--under-load]" >&2; exit 2 ;;
    esac
done

if [[ ! -f "$model/model.safetensors" ]]; then
    "$repo/scripts/install-model" minilm-l6
fi

echo "== building (release)"
swift build -c release --package-path "$here" --scratch-path "$build" --product encoder-bench 2>&1 | tail -1
bench="$build/release/encoder-bench"
mkdir -p "$work"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== Swift (MLCore), OpenBLAS settings as set"
"$bench" "$model" "$work" --threads "$threads" --seconds "$seconds" --golden "$golden"
echo "== Swift (MLCore), OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bench" "$model" "$work" --threads "$threads" --seconds "$seconds" --golden "$golden"

if [[ "$under_load" == 1 ]]; then
    echo "== Swift (MLCore) with a busy process on one core, threads $threads then 1"
    ( while :; do :; done ) &
    busy=$!
    trap 'kill "$busy" 2>/dev/null || true' EXIT
    "$bench" "$model" "$work" --threads "$threads" --seconds "$seconds"
    "$bench" "$model" "$work" --threads 1 --seconds "$seconds"
fi

if [[ "$skip_torch" == 1 ]]; then exit 0; fi
echo "== PyTorch (sentence-transformers), threads $threads"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet torch sentence-transformers
fi
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$venv/bin/python" "$here/bench_torch.py" "$model" "$work" \
    --threads "$threads" --seconds "$seconds"
if [[ "$under_load" == 1 ]]; then
    echo "== PyTorch with a busy process on one core"
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$venv/bin/python" "$here/bench_torch.py" "$model" "$work" \
        --threads "$threads" --seconds "$seconds"
fi
