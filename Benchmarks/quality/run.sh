#!/usr/bin/env bash
# The quality benchmark of issue 5 (see BENCHMARKS.md, "Quality").
#
#   Benchmarks/quality/run.sh [PROJECT…]      # default: every example project
#
# For each example project in examples/workflows/ (davidson, do-not-answer, factual-summaries,
# fine-foods, goemotions, halueval) it:
#   1. runs the project with `lunette run -C examples PROJECT` (each metric's run with the default
#      training, its `-head` run and, for the pair projects, its `-joint-head` run: the head over the
#      joint pair alone, `pair_features: false`, the frozen-encoder baseline; stages already in examples/cache are reused: FORCE=1 re-runs them, for timings);
#   2. writes each run's report (`lunette report`), which holds the macro-F1 on the eval rows;
#   3. fits the TF-IDF + logistic regression baseline (Benchmarks/quality/baseline.py) on exactly the
#      run's training rows (uploaded rows + seed rows) and scores it on exactly its eval rows, both
#      read from the workspace's content cache;
#   4. prints a Markdown table (macro-F1 and times) and writes it to Benchmarks/work/results-quality.md
#      (raw JSON lines in Benchmarks/work/results-quality.jsonl).
#
# Environment:
#   LUNETTE_BIN     a lunette executable to use instead of building one (release build by default)
#   LUNETTE_MODELS  installed base models (default: <repo>/cache/models; installed when missing)
#   PYTHON          a Python with scikit-learn (default: Benchmarks/.build/torch-venv/bin/python when
#                   present, else a venv made in Benchmarks/.build/quality-venv with scikit-learn from PyPI)
#   FORCE=1         re-run every stage (`lunette run --force`) so the times are fresh
#   TORCH=1         also fine-tune with PyTorch + transformers (finetune_baseline.py: 3 epochs, 5e-5, mean
#                   pooling, arg max) on the same rows, for each run with the default training; needs
#                   Benchmarks/.build/torch-venv (made here when missing: torch==2.13.0+cpu, transformers)
#
# Times are the train and evaluate stages' own durations as recorded in the workspace's store
# (`lunette show`), so a reused stage reports the time of the run that made it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK="$ROOT/Benchmarks/work"
EXAMPLES="$ROOT/examples"
export LUNETTE_MODELS=${LUNETTE_MODELS:-$ROOT/cache/models}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
PROJECTS=("$@")
[[ ${#PROJECTS[@]} -gt 0 ]] || PROJECTS=(davidson do-not-answer factual-summaries fine-foods goemotions halueval)
FORCE_FLAG=""
[[ "${FORCE:-}" == 1 ]] && FORCE_FLAG="--force"

say() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }
mkdir -p "$WORK"

if [[ -n "${LUNETTE_BIN:-}" ]]; then
    LUNETTE=$(cd "$(dirname "$LUNETTE_BIN")" && pwd)/$(basename "$LUNETTE_BIN")
    [[ -x "$LUNETTE" ]] || die "LUNETTE_BIN=$LUNETTE_BIN is not an executable"
else
    say "building lunette (release)"
    (cd "$ROOT" && swift build -c release --product lunette --scratch-path .build-release)
    LUNETTE="$ROOT/.build-release/release/lunette"
fi
if [[ ! -d "$LUNETTE_MODELS/minilm-l6" ]]; then
    say "installing the base model into $LUNETTE_MODELS"
    LUNETTE_MODELS="$LUNETTE_MODELS" "$ROOT/scripts/install-model"
fi
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x "$ROOT/Benchmarks/.build/torch-venv/bin/python" ]]; then
        PYTHON="$ROOT/Benchmarks/.build/torch-venv/bin/python"
    else
        PYTHON="$ROOT/Benchmarks/.build/quality-venv/bin/python"
        if [[ ! -x "$PYTHON" ]]; then
            say "making $ROOT/Benchmarks/.build/quality-venv (scikit-learn)"
            python3 -m venv "$ROOT/Benchmarks/.build/quality-venv"
            "$PYTHON" -m pip install -q scikit-learn
        fi
    fi
fi
"$PYTHON" -c 'import sklearn' || die "$PYTHON has no scikit-learn (set PYTHON)"
TORCH_PYTHON="$ROOT/Benchmarks/.build/torch-venv/bin/python"
if [[ "${TORCH:-}" == 1 && ! -x "$TORCH_PYTHON" ]]; then
    say "making $ROOT/Benchmarks/.build/torch-venv (torch CPU, transformers, scikit-learn)"
    python3 -m venv "$ROOT/Benchmarks/.build/torch-venv"
    "$TORCH_PYTHON" -m pip install -q "torch==2.13.0+cpu" transformers safetensors scikit-learn
fi

RESULTS="$WORK/results-quality.jsonl"
: > "$RESULTS"
for project in "${PROJECTS[@]}"; do
    [[ -f "$EXAMPLES/workflows/$project.yaml" ]] || die "no example project examples/workflows/$project.yaml"
    say "lunette run -C examples $project $FORCE_FLAG"
    "$LUNETTE" run -C "$EXAMPLES" $FORCE_FLAG "$project"
    # The project's runs, from `lunette status` (first column: project/run).
    runs=$("$LUNETTE" status -C "$EXAMPLES" | awk -v p="$project/" 'index($1, p) == 1 { print $1 }')
    for run in $runs; do
        "$LUNETTE" report -C "$EXAMPLES" "$run" >/dev/null
        show=$("$LUNETTE" show -C "$EXAMPLES" "$run")
        train_s=$(printf '%s\n' "$show" | awk '/^  train \[train\]/ { getline; for (i = 1; i <= NF; i++) if ($i == "in") { sub(/s:?$/, "", $(i+1)); print $(i+1); exit } }')
        eval_s=$(printf '%s\n' "$show" | awk '/^  evaluate \[evaluate\]/ { getline; for (i = 1; i <= NF; i++) if ($i == "in") { sub(/s:?$/, "", $(i+1)); print $(i+1); exit } }')
        say "baseline for $run"
        line=$("$PYTHON" "$HERE/baseline.py" "$EXAMPLES" "$run")
        if [[ "${TORCH:-}" == 1 && "$run" != *-head ]]; then
            say "PyTorch fine-tune for $run"
            torch_line=$("$TORCH_PYTHON" "$HERE/finetune_baseline.py" "$EXAMPLES" "$run" "$LUNETTE_MODELS/minilm-l6" 2>/dev/null | tail -1)
            line=$(printf '%s\n%s\n' "$line" "$torch_line" | "$PYTHON" -c '
import json, sys
a, b = (json.loads(l) for l in sys.stdin.read().splitlines()[:2]); a.update({k: b[k] for k in ("torch_macro_f1", "torch_seconds")})
print(json.dumps(a, sort_keys=True))')
        fi
        printf '%s\n' "$line" | "$PYTHON" -c '
import json, sys
row = json.loads(sys.stdin.read()); row["train_seconds"] = float(sys.argv[1] or "nan"); row["evaluate_seconds"] = float(sys.argv[2] or "nan")
print(json.dumps(row, sort_keys=True))' "${train_s:-}" "${eval_s:-}" | tee -a "$RESULTS"
    done
done

"$PYTHON" - "$RESULTS" "$ROOT/examples/workflows" > "$WORK/results-quality.md" <<'PY'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by_metric = {}
for r in rows:  # <run>, <run>-head, and for pairs <run>-joint-head (the head over the joint pair alone)
    for suffix, kind in (("-joint-head", "joint"), ("-head", "head"), ("", "default")):
        if r["run"].endswith(suffix):
            by_metric.setdefault(r["run"][:len(r["run"]) - len(suffix)], {})[kind] = r
            break
def f(x): return "–" if x is None else f"{x:.3f}"
def s(x): return "–" if x is None else f"{x:.0f} s"
print("| run | train / eval rows | defaults | head | joint head | TF-IDF + LR | PyTorch fine-tune | defaults train | head train | baseline fit | PyTorch |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for name in sorted(by_metric):
    h, fu, j = by_metric[name].get("head"), by_metric[name].get("default"), by_metric[name].get("joint")
    any_ = h or fu or j
    print(f"| {name} | {any_['train_rows']} / {any_['eval_rows']} | {f(fu and fu['lunette_macro_f1'])} | "
          f"{f(h and h['lunette_macro_f1'])} | {f(j and j['lunette_macro_f1'])} | {f(any_['baseline_macro_f1'])} | "
          f"{f(fu and fu.get('torch_macro_f1'))} | "
          f"{s(fu and fu['train_seconds'])} | {s(h and h['train_seconds'])} | {s(any_['seconds'])} | "
          f"{s(fu and fu.get('torch_seconds'))} |")
PY
cat "$WORK/results-quality.md"
