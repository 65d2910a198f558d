#!/usr/bin/env bash
# The workflow-engine benchmark of issue 2 (see BENCHMARKS.md, "Workflow engine").
#
#   Benchmarks/workflow/run.sh
#
# What it does, in order:
#   1. builds `lunette` in release mode (skipped when LUNETTE_BIN names an executable);
#   2. generates, once, a Lunette workspace of 200 runs × 7 stages (load, split, s1…s5) under
#      Benchmarks/work/lunette-200x7/;
#   3. generates, once, the same DAG as a dvc.yaml (1,400 `cp` stages, one params.yaml) under
#      Benchmarks/work/dvc-200x7/, installs DVC from PyPI into Benchmarks/work/venv, and builds the
#      DVC lock once (only when dvc.lock is missing; see DVC_BUILD below);
#   4. times with hyperfine: the first `lunette run` of the 1,400 stages (cold: cache and outputs
#      removed), then the no-op `lunette run` (answered by the up-to-date stamp the previous
#      no-op left), the same with the stamp removed first (the full check), `lunette plan` (warm),
#      and `dvc status`;
#   5. times hashing a 1 GiB file: `sha256sum` against Lunette's ContentHash.ofFile (the
#      Benchmarks/workflow/hash package compiles Lunette's own Sources/Basics);
#   6. prints a summary with the machine and writes it to Benchmarks/work/results-workflow.txt.
#
# Environment:
#   LUNETTE_BIN     a lunette executable to use instead of building one
#   LUNETTE_MODELS  installed base models (default: <repo>/cache/models; installed when missing)
#   DVC_BUILD       how to build the DVC lock the first time: `commit` (default; the outputs are made
#                   with a shell loop of the same `cp` commands, then `dvc commit` records them: minutes)
#                   or `repro` (`dvc repro`, which rewrites dvc.lock after every stage: ~40 minutes)
#   WARM_RUNS       timed runs of each no-op command (default 30); DVC_RUNS for `dvc status` (default 5)
#   COLD_RUNS       timed cold runs (default 1: each one runs the 1,400 stages)
#   JOBS            `lunette run --jobs` (default: lunette's own default, 2)
#   SKIP_HASH       set to skip the hashing measurement (it builds swift-crypto once: ~10 minutes)
#
# Everything generated lives under Benchmarks/work/ (ignored by git) and is reused between runs;
# delete a folder there to regenerate it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK="$ROOT/Benchmarks/work"
RUN_COUNT=200
DVC_VERSION=3.67.1
LW="$WORK/lunette-200x7"
DW="$WORK/dvc-200x7"
VENV="$WORK/venv"
BIG="$WORK/hash-1GiB.bin"
RESULTS="$WORK/results-workflow.txt"
JSON="$WORK/hyperfine"
WARM_RUNS=${WARM_RUNS:-30}
DVC_RUNS=${DVC_RUNS:-5}
COLD_RUNS=${COLD_RUNS:-1}
DVC_BUILD=${DVC_BUILD:-commit}
export LUNETTE_MODELS=${LUNETTE_MODELS:-$ROOT/cache/models}
JOBS_FLAG=""
if [[ -n "${JOBS:-}" ]]; then JOBS_FLAG="--jobs $JOBS"; fi

say() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }
mkdir -p "$WORK" "$JSON"

# ---------------------------------------------------------------------------------------------
# 1. Tools: lunette, hyperfine, the base model.
# ---------------------------------------------------------------------------------------------
if [[ -n "${LUNETTE_BIN:-}" ]]; then
    LUNETTE=$(cd "$(dirname "$LUNETTE_BIN")" && pwd)/$(basename "$LUNETTE_BIN")
    [[ -x "$LUNETTE" ]] || die "LUNETTE_BIN=$LUNETTE_BIN is not an executable"
else
    say "building lunette (release)"
    (cd "$ROOT" && swift build -c release --product lunette --scratch-path .build-release)
    LUNETTE="$ROOT/.build-release/release/lunette"
fi

if ! command -v hyperfine >/dev/null; then
    say "installing hyperfine"
    if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq hyperfine >/dev/null
fi

if [[ ! -d "$LUNETTE_MODELS/minilm-l6" ]]; then
    say "installing the base model into $LUNETTE_MODELS"
    LUNETTE_MODELS="$LUNETTE_MODELS" "$ROOT/scripts/install-model"
fi

# ---------------------------------------------------------------------------------------------
# 2. The Lunette workspace: 200 runs, each load → split → s1 → … → s5 (plus load-training,
#    which is not upstream of s5 and is not run). A distinct 20-row test set per run, so that no
#    two runs share a stage key and every stage does real work.
# ---------------------------------------------------------------------------------------------
run_name() { printf 'r%03d' "$1"; }

write_test_set() { # $1 run index, $2 path
    {
        echo "text,label"
        for j in $(seq 0 9); do
            echo "\"Run $1, message $j: thanks for the quick reply about order $((1000 * $1 + j)).\",0"
            echo "\"Run $1, message $j: you are a useless idiot, ticket $((1000 * $1 + j)).\",1"
        done
    } >"$2"
}

if [[ ! -f "$LW/.generated" ]]; then
    say "generating $LW (200 runs × 7 stages)"
    rm -rf "$LW"
    mkdir -p "$LW/workflows" "$LW/data"
    {
        echo "text,label"
        for j in $(seq 0 9); do
            echo "\"Training message $j: have a nice day.\",0"
            echo "\"Training message $j: get lost, loser.\",1"
        done
    } >"$LW/data/train.csv"
    manifest="$LW/workflows/bench.yaml"
    {
        echo "# Generated by Benchmarks/workflow/run.sh: 200 runs × (load, split, s1…s5)."
        echo "project: bench"
        echo "description: Workflow-engine benchmark, 200 runs of 7 stages."
        echo "runs:"
    } >"$manifest"
    for i in $(seq 0 $((RUN_COUNT - 1))); do
        r=$(run_name "$i")
        write_test_set "$i" "$LW/data/test-$r.csv"
        cat >>"$manifest" <<EOF
  $r:
    metric: toxicity
    test_set: { path: ../data/test-$r.csv, columns: { input: text, label: label } }
    training_set:
      upload: { path: ../data/train.csv, columns: { input: text, label: label } }
    stages:
      s1:
        after: split
        command: cp "\$LUNETTE_INPUT_SPLIT_EVAL" ../out/$r/s1.txt
        outputs: [../out/$r/s1.txt]
EOF
        for n in 2 3 4 5; do
            cat >>"$manifest" <<EOF
      s$n:
        command: cp ../out/$r/s$((n - 1)).txt ../out/$r/s$n.txt
        inputs: [../out/$r/s$((n - 1)).txt]
        outputs: [../out/$r/s$n.txt]
EOF
        done
    done
    touch "$LW/.generated"
fi

# ---------------------------------------------------------------------------------------------
# 3. The DVC workspace: the same DAG as 1,400 `cp` stages, each depending on params.yaml's seed.
# ---------------------------------------------------------------------------------------------
if [[ ! -x "$VENV/bin/dvc" ]]; then
    say "installing DVC $DVC_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "dvc==$DVC_VERSION"
fi
DVC="$VENV/bin/dvc"

if [[ ! -f "$DW/.generated" ]]; then
    say "generating $DW (1,400 stages)"
    rm -rf "$DW"
    mkdir -p "$DW/data"
    echo "seed: 42" >"$DW/params.yaml"
    {
        echo "# Generated by Benchmarks/workflow/run.sh: 200 runs × (load, split, s1…s5), each a cp."
        echo "stages:"
        for i in $(seq 0 $((RUN_COUNT - 1))); do
            r=$(run_name "$i")
            write_test_set "$i" "$DW/data/test-$r.csv"
            prev="data/test-$r.csv"
            for s in load split s1 s2 s3 s4 s5; do
                out="out/$r/$s.txt"
                cat <<EOF
  $r-$s:
    cmd: mkdir -p out/$r && cp $prev $out
    deps: [$prev]
    params: [seed]
    outs: [$out]
EOF
                prev=$out
            done
        done
    } >"$DW/dvc.yaml"
    (cd "$DW" && "$DVC" init --no-scm -q && "$DVC" config core.analytics false)
    touch "$DW/.generated"
fi

if [[ ! -f "$DW/dvc.lock" ]]; then
    start=$(date +%s)
    case "$DVC_BUILD" in
    repro)
        say "building the DVC pipeline with dvc repro (about 40 minutes)"
        (cd "$DW" && "$DVC" repro -q)
        ;;
    commit)
        say "building the DVC pipeline: the same cp commands in a shell loop, then dvc commit"
        (
            cd "$DW"
            for i in $(seq 0 $((RUN_COUNT - 1))); do
                r=$(run_name "$i")
                mkdir -p "out/$r"
                prev="data/test-$r.csv"
                for s in load split s1 s2 s3 s4 s5; do cp "$prev" "out/$r/$s.txt"; prev="out/$r/$s.txt"; done
            done
            "$DVC" commit -f -q
        )
        ;;
    *) die "DVC_BUILD must be commit or repro, not '$DVC_BUILD'" ;;
    esac
    echo "dvc lock built with '$DVC_BUILD' in $(($(date +%s) - start)) s" >"$WORK/dvc-build.txt"
fi
DVC_STATUS=$(cd "$DW" && "$DVC" status 2>&1)
grep -q "up to date" <<<"$DVC_STATUS" || die "dvc status in $DW is not clean:"$'\n'"$DVC_STATUS"

# ---------------------------------------------------------------------------------------------
# 4. Engine timings.
# ---------------------------------------------------------------------------------------------
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TARGET="bench/*/s5"
cd "$LW"

say "cold: the first lunette run of the 1,400 stages ($COLD_RUNS timed run(s))"
hyperfine --runs "$COLD_RUNS" --export-json "$JSON/cold.json" --output "$WORK/cold-run.log" \
    --prepare "rm -rf cache out workflows/bench.lock" \
    "'$LUNETTE' run $JOBS_FLAG '$TARGET'"
COLD_SUMMARY=$(grep '^summary:' "$WORK/cold-run.log" | tail -1)
grep -q "^summary: 1400 ran, 0 reused, 0 failed" <<<"$COLD_SUMMARY" \
    || die "the cold run did not run 1,400 stages: ${COLD_SUMMARY:-see $WORK/cold-run.log}"
[[ -f out/r000/s5.txt && -f out/r199/s5.txt ]] || die "the cold run did not write out/r*/s5.txt"
NOOP_SUMMARY=$("$LUNETTE" run "$TARGET" 2>&1 | tail -1)
grep -q "^nothing to do: 1400 stages up to date" <<<"$NOOP_SUMMARY" \
    || die "after the cold run, the next run was not a no-op over 1,400 stages: $NOOP_SUMMARY"

say "warm: no-op lunette run and lunette plan ($WARM_RUNS runs each)"
# The no-op as a user meets it: the previous no-op left its up-to-date stamp, so the run answers from
# it; and the full check (planning every stage) that a run makes after any change, measured by
# removing the stamp before each run (which writes it again).
hyperfine --warmup 2 --runs "$WARM_RUNS" --export-json "$JSON/warm.json" \
    --prepare true --prepare "rm -f cache/up-to-date.stamp" --prepare true --prepare true \
    -n "lunette run (no-op)" "'$LUNETTE' run '$TARGET'" \
    -n "lunette run (no-op, full check)" "'$LUNETTE' run '$TARGET'" \
    -n "lunette plan" "'$LUNETTE' plan '$TARGET'" \
    -n "lunette plan (all 2,200 stages)" "'$LUNETTE' plan"
STAMP_SUMMARY=$("$LUNETTE" run "$TARGET" 2>&1 | tail -1)
PLAN_JSON_STALE=$("$LUNETTE" plan --json "$TARGET" | jq '[.stages[] | select(.action == "run")] | length')

cd "$DW"
say "dvc status ($DVC_RUNS runs)"
hyperfine --warmup 1 --runs "$DVC_RUNS" --export-json "$JSON/dvc.json" -n "dvc status" "'$DVC' status"

# ---------------------------------------------------------------------------------------------
# 5. Hashing throughput on 1 GiB.
# ---------------------------------------------------------------------------------------------
HASH_BIN="$WORK/hash-build/release/lunette-hash"
if [[ -n "${SKIP_HASH:-}" ]]; then
    say "SKIP_HASH is set: not measuring hashing (the summary's hashing lines stay empty)"
else
    say "building Benchmarks/workflow/hash (release)"
    (cd "$HERE/hash" && swift build -c release --scratch-path "$WORK/hash-build")
    if [[ ! -f "$BIG" ]]; then
        say "creating $BIG"
        head -c 1073741824 /dev/urandom >"$BIG.tmp" && mv "$BIG.tmp" "$BIG"
    fi
    want=$(sha256sum "$BIG" | cut -d' ' -f1)
    got=$("$HASH_BIN" "$BIG" | cut -d' ' -f1)
    [[ "$want" == "$got" ]] || die "lunette-hash disagrees with sha256sum: $got vs $want"
    say "hashing 1 GiB (file in the page cache)"
    hyperfine --warmup 1 --runs 5 --export-json "$JSON/hash.json" \
        -n "sha256sum" "sha256sum '$BIG'" \
        -n "lunette ContentHash.ofFile" "'$HASH_BIN' '$BIG'"
fi

# ---------------------------------------------------------------------------------------------
# 6. Summary.
# ---------------------------------------------------------------------------------------------
mean() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .mean' "$1"; }
stat() { # file name → "mean ± stddev (min, max, N runs; user + system CPU)" in ms
    jq -r --arg n "$2" '.results[] | select(.command == $n)
        | "\(.mean * 1000 | round) ms ± \((.stddev // 0) * 1000 | round) (min \(.min * 1000 | round), max \(.max * 1000 | round), \(.times | length) runs; CPU \((.user + .system) * 1000 | round) ms)"' "$1"
}
first() { jq -r '.results[0].command' "$1"; }
cpu() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .user + .system' "$1"; }
COLD_NAME=$(first "$JSON/cold.json")
COLD=$(mean "$JSON/cold.json" "$COLD_NAME")
NOOP=$(mean "$JSON/warm.json" "lunette run (no-op)")
PLAN=$(mean "$JSON/warm.json" "lunette plan")
DVCS=$(mean "$JSON/dvc.json" "dvc status")
SHA=$( [[ -f "$JSON/hash.json" ]] && mean "$JSON/hash.json" "sha256sum" || echo 1)
LH=$( [[ -f "$JSON/hash.json" ]] && mean "$JSON/hash.json" "lunette ContentHash.ofFile" || echo 1)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
mibs() { awk -v s="$1" 'BEGIN { printf "%.0f", 1024 / s }'; }
verdict() { if awk -v v="$1" -v t="$2" 'BEGIN { exit !(v < t) }'; then echo "met"; else echo "MISSED"; fi; }

{
    echo "Lunette workflow-engine benchmark ($(date -u +%Y-%m-%dT%H:%MZ)), Benchmarks/workflow/run.sh"
    echo
    echo "DAG: $RUN_COUNT runs × 7 stages (load, split, s1…s5; s1…s5 are exec stages doing cp) = 1,400 stages"
    printf '%-38s %s\n' "first lunette run (cold, 1,400 stages)" "$(stat "$JSON/cold.json" "$COLD_NAME")  [target < 60 s: $(verdict "$COLD" 60)]"
    printf '%-38s %s\n' "no-op lunette run" "$(stat "$JSON/warm.json" "lunette run (no-op)")  [target < 100 ms: $(verdict "$NOOP" 0.1)]"
    printf '%-38s %s\n' "no-op lunette run, full check" "$(stat "$JSON/warm.json" "lunette run (no-op, full check)")  (no up-to-date stamp: plans every stage)"
    printf '%-38s %s\n' "no-op lunette plan 'bench/*/s5'" "$(stat "$JSON/warm.json" "lunette plan")"
    printf '%-38s %s\n' "lunette plan (all 2,200 stages)" "$(stat "$JSON/warm.json" "lunette plan (all 2,200 stages)")"
    printf '%-38s %s\n' "dvc status (DVC $DVC_VERSION)" "$(stat "$JSON/dvc.json" "dvc status")"
    printf '%-38s %s\n' "ratio dvc status / no-op lunette run" "$(ratio "$DVCS" "$NOOP")×  [target ≥ 50×: $(if awk -v r="$(ratio "$DVCS" "$NOOP")" 'BEGIN { exit !(r >= 50) }'; then echo met; else echo MISSED; fi)]"
    printf '%-38s %s\n' "ratio dvc status / full-check no-op" "$(ratio "$DVCS" "$(mean "$JSON/warm.json" "lunette run (no-op, full check)")")×"
    printf '%-38s %s\n' "ratio dvc status / lunette plan" "$(ratio "$DVCS" "$PLAN")×"
    printf '%-38s %s\n' "same ratio in CPU time (user + system)" "$(ratio "$(cpu "$JSON/dvc.json" "dvc status")" "$(cpu "$JSON/warm.json" "lunette run (no-op)")")×  (steadier than wall time on a busy machine)"
    printf '%-38s %s\n' "cold run's own summary" "$COLD_SUMMARY"
    printf '%-38s %s\n' "no-op run's own summary" "$NOOP_SUMMARY"
    printf '%-38s %s\n' "next no-op's summary" "$STAMP_SUMMARY"
    printf '%-38s %s\n' "stages to run after the cold run" "$PLAN_JSON_STALE (lunette plan --json)"
    echo
    echo "Hashing 1 GiB (page cache warm):"
    [[ -f "$JSON/hash.json" ]] && printf '%-38s %s\n' "sha256sum" "$(stat "$JSON/hash.json" "sha256sum")  = $(mibs "$SHA") MiB/s"
    [[ -f "$JSON/hash.json" ]] && printf '%-38s %s\n' "Lunette ContentHash.ofFile" "$(stat "$JSON/hash.json" "lunette ContentHash.ofFile")  = $(mibs "$LH") MiB/s  [target ≥ sha256sum: $(verdict "$LH" "$(awk -v s="$SHA" 'BEGIN { print s * 1.02 }')")]"
    [[ -f "$JSON/hash.json" ]] && printf '%-38s %s\n' "ratio sha256sum / Lunette time" "$(ratio "$SHA" "$LH")×"
    echo
    echo "DVC lock: $(cat "$WORK/dvc-build.txt" 2>/dev/null || echo 'built earlier')"
    echo "Machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), Linux $(uname -r)"
    echo "Memory: $(free -g | awk '/^Mem:/ { print $2 " GiB" }'); load average before timing: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "OpenBLAS: $(env | grep '^OPENBLAS' | tr '\n' ' ' || true)$(env | grep -q '^OPENBLAS' || echo 'no OPENBLAS_* variables set')"
    echo "Tools: $(swift --version 2>/dev/null | head -1); $("$DVC" --version | head -1 | sed 's/^/dvc /'); $(hyperfine --version); $(sha256sum --version | head -1)"
    echo "Raw hyperfine results: $JSON/*.json"
} | tee "$RESULTS"
echo "wrote $RESULTS" >&2
