#!/usr/bin/env bash
# The serving benchmark (issue 7): `lunette serve` under wrk on loopback, single-row scoring requests
# at increasing concurrency (throughput, p50/p90/p99 latency), beside the same rows scored in one batch
# by `lunette score`. Not a test; numbers go to BENCHMARKS.md ("Serving").
#
#   Benchmarks/serve/run.sh
#
# Needs wrk (Debian package `wrk`) and a registered metric: by default `toxicity@champion` from the
# bundled project (run `lunette run` in the repository once). Knobs (environment): METRIC
# (toxicity@champion), CONNECTIONS ("1 2 4 8 16 32 64"), SECONDS_PER_LEVEL (10), ROWS (2000),
# THREADS (2, encoder threads), BATCH_WINDOW (0, ms; `serve --batch-window`), PORT (18080),
# LUNETTE_BIN (the `lunette` on PATH).
# Results: Benchmarks/work/serve/results.txt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/Benchmarks/work/serve"
metric="${METRIC:-toxicity@champion}"
levels="${CONNECTIONS:-1 2 4 8 16 32 64}"
seconds="${SECONDS_PER_LEVEL:-10}"
rows="${ROWS:-2000}"
threads="${THREADS:-2}"
window="${BATCH_WINDOW:-0}"
port="${PORT:-18080}"
bin="${LUNETTE_BIN:-$(command -v lunette)}"
data="$repo/examples/data/davidson-hate-offensive/train.csv"
export LUNETTE_MODELS="${LUNETTE_MODELS:-$repo/cache/models}"

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
mkdir -p "$out"

# The rows: the first $rows texts of the Davidson training file, as JSONL for `lunette score` and as a
# Lua list of single-row request bodies for wrk.
python3 - "$data" "$rows" "$out/rows.jsonl" "$out/bodies.lua" <<'PY'
import csv, json, sys
source, count, jsonl, lua = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(source, newline="", encoding="utf-8") as f:
    texts = [row["input"] for row in csv.DictReader(f)][:count]
with open(jsonl, "w", encoding="utf-8") as f:
    for text in texts:
        f.write(json.dumps({"input": text}) + "\n")
def lua_string(s):
    return "[==[" + s + "]==]"
with open(lua, "w", encoding="utf-8") as f:
    f.write("return {\n")
    for text in texts:
        f.write("  " + lua_string(json.dumps({"rows": [{"input": text}]})) + ",\n")
    f.write("}\n")
PY

exec > >(tee "$out/results.txt") 2>&1
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "== $(date -u +%FT%TZ); git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'); $bin; metric $metric"
echo "== OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; $threads encoder threads; batch window ${window} ms; ${seconds}s per level; $rows distinct rows"
echo "-- load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# Batch: the same rows through `lunette score` in one process (start, model load and scoring included).
(cd "$repo" && /usr/bin/time -o "$out/batch-time.txt" -f "%e" "$bin" score "$metric" --input "$out/rows.jsonl" \
    --output "$out/scored.jsonl" --threads "$threads" >/dev/null)
batch_seconds=$(tail -1 "$out/batch-time.txt")
batch_rate=$(awk -v n="$rows" -v s="$batch_seconds" 'BEGIN { printf "%.1f", n / s }')
echo "batch: lunette score, $rows rows in $batch_seconds s = $batch_rate rows/s"

# The server, warm: one model, loaded at start.
(cd "$repo" && exec "$bin" serve --port "$port" --metrics "$metric" --threads "$threads" --batch-window "$window") >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { echo "server did not become ready:" >&2; cat "$out/serve.log" >&2; exit 1; }
export BODIES="$out/bodies.lua" SCORE_PATH="/v1/metrics/$metric/score"
# Warm-up, not reported.
wrk -t1 -c4 -d2s -s "$here/single-row.lua" "http://127.0.0.1:$port" >/dev/null

printf "%-12s %10s %9s %9s %9s %9s %8s %s\n" connections "rows/s" "p50 ms" "p90 ms" "p99 ms" "max ms" "non-2xx" "x batch"
for c in $levels; do
    line=$(wrk -t1 -c"$c" -d"${seconds}s" --timeout 10s -s "$here/single-row.lua" "http://127.0.0.1:$port" | grep '^RESULT')
    eval "$(echo "${line#RESULT }" | tr ' ' '\n' | sed 's/^/r_/')"
    rate=$(awk -v n="$r_requests" -v s="$r_seconds" 'BEGIN { printf "%.1f", n / s }')
    ratio=$(awk -v a="$rate" -v b="$batch_rate" 'BEGIN { printf "%.2f", a / b }')
    printf "%-12s %10s %9s %9s %9s %9s %8s %s\n" "$c" "$rate" "$r_p50_ms" "$r_p90_ms" "$r_p99_ms" "$r_max_ms" \
        "$((r_non2xx + r_socket_errors))" "$ratio"
done
echo "-- server batches: $(curl -fs "http://127.0.0.1:$port/metrics" | awk '/^lunette_batch_rows_sum/ {s=$2} /^lunette_batch_rows_count/ {n=$2} END {printf "%d batches, %.1f rows per batch on average", n, s / n}')"
echo "-- server RSS: $(grep VmRSS /proc/$server/status | awk '{print $2 / 1024 " MiB"}')"
echo "-- load average: $(cut -d' ' -f1-3 /proc/loadavg)"
