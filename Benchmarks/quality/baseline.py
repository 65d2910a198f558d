#!/usr/bin/env python3
"""TF-IDF + logistic regression baseline for one Lunette run, on exactly the run's rows.

Usage: baseline.py WORKSPACE PROJECT/RUN
  (after `lunette run -C WORKSPACE PROJECT/RUN` and `lunette report -C WORKSPACE PROJECT/RUN`, which
  writes cache/reports/<project>/<run>/report.json)

Reads, from the workspace's content cache, the very rows the run used:
  - eval rows:     the split's `eval` output (digest in cache/reports/<project>/<run>/report.json)
  - training rows: the `load-training` output (digest in workflows/<project>.lock) plus the split's
                   `seeds` output, as Lunette's train stage does (include_seeds defaults to true), less
                   what train drops: rows repeating an eval row (exact, or by normalised text over the
                   format's fields) and rows exactly repeating a seed row (label included)
and the metric's input format and labels from the lock's train parameters. Fits a scikit-learn
pipeline: word 1-2-gram TF-IDF (sublinear tf) and a class-balanced logistic regression (liblinear;
one-vs-rest for more than two labels) whose C is
chosen by 5-fold stratified cross-validation on the training rows (macro-F1), as Lunette's head mode
chooses its L2 strength. For a pair format (input_output, rag) each side gets its own TF-IDF and the
two are concatenated. Prints one JSON line: run, macro_f1, Lunette's own macro_f1 for the run,
train/eval row counts, seconds.
"""
import json, os, re, sys, time

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier


def cached_rows(workspace, digest):
    hex_ = digest.split(":", 1)[1]
    cache = os.path.join(workspace, os.environ.get("LUNETTE_CACHE") or "cache")
    with open(os.path.join(cache, "objects", hex_[:2], hex_), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def lock_entry(workspace, project, stage_id):
    """The `params` and `outputs` JSON of one stage in workflows/<project>.lock."""
    text = open(os.path.join(workspace, "workflows", project + ".lock"), encoding="utf-8").read()
    block = text.split(f'"{stage_id}":', 1)[1].split("\n\n", 1)[0]
    fields = {}
    for key in ("params", "outputs"):
        m = re.search(rf"^\s+{key}: (.*)$", block, re.M)
        fields[key] = json.loads(m.group(1)) if m else None
    return fields


FIELDS = {"message": ["input"], "output": ["output"], "input_output": ["input", "output"],
          "rag": ["documents", "input", "output"], "tools": ["tools", "input", "output"]}


def normalise(text):
    """Lower-cased, every run of characters other than letters and digits one space (GenerateFilter.normalise)."""
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def field_text(value):
    return " ".join(value) if isinstance(value, list) else value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def lunette_training_rows(uploaded, seeds, eval_rows, fmt):
    """The rows Lunette's train stage trains on (TrainLeakageFilter, then the seed-repeat drop, then + seeds)."""
    fields = FIELDS[fmt]
    exact = lambda r: json.dumps({f: r[f] for f in fields if f in r}, sort_keys=True)
    loose = lambda r: normalise(" ".join(field_text(r[f]) for f in fields if f in r))
    eval_exact, eval_loose = {exact(r) for r in eval_rows}, {loose(r) for r in eval_rows}
    seed_keys = {(exact(r), str(r.get("label"))) for r in seeds}
    kept = [r for r in uploaded if exact(r) not in eval_exact and loose(r) not in eval_loose]
    kept = [r for r in kept if (exact(r), str(r.get("label"))) not in seed_keys]
    return kept + seeds


def side_texts(rows, fmt):
    if fmt == "message":
        return [[r["input"] for r in rows]]
    if fmt == "output":
        return [[r["output"] for r in rows]]
    if fmt == "input_output":
        return [[r["input"] for r in rows], [r["output"] for r in rows]]
    if fmt == "rag":
        return [["\n\n".join(r["documents"]) for r in rows],
                [r["input"] + ("\n" + r["output"] if r.get("output") else "") for r in rows]]
    raise SystemExit(f"baseline.py: input format {fmt} is not supported")


def main():
    workspace, run_id = sys.argv[1], sys.argv[2]
    project, run = run_id.split("/")
    started = time.time()
    report = json.load(open(os.path.join(workspace, "cache", "reports", project, run, "report.json")))
    eval_rows = cached_rows(workspace, report["digests"]["eval"])
    seeds = cached_rows(workspace, report["digests"]["seeds"])
    training = lock_entry(workspace, project, f"{run_id}/load-training")["outputs"]
    metric = lock_entry(workspace, project, f"{run_id}/train")["params"]["metric"]
    fmt = metric.get("input", "message")
    train_rows = lunette_training_rows(cached_rows(workspace, training["rows"]["digest"]), seeds, eval_rows, fmt)
    labels = metric.get("labels") or ["false", "true"]

    def norm(label):  # boolean labels come as true/false strings in canonical rows
        return str(label).lower()

    y_train = [norm(r["label"]) for r in train_rows]
    y_eval = [norm(r["label"]) for r in eval_rows]
    vectorizers = []
    train_parts, eval_parts = [], []
    for train_side, eval_side in zip(side_texts(train_rows, fmt), side_texts(eval_rows, fmt)):
        v = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        train_parts.append(v.fit_transform(train_side))
        eval_parts.append(v.transform(eval_side))
        vectorizers.append(v)
    x_train, x_eval = hstack(train_parts).tocsr(), hstack(eval_parts).tocsr()
    model = LogisticRegression(solver="liblinear", class_weight="balanced", max_iter=5000)
    if len(labels) > 2:  # liblinear fits one binary model per label (scikit-learn wants that spelled out)
        model = OneVsRestClassifier(model)
    grid = {("estimator__C" if len(labels) > 2 else "C"): [0.1, 0.3, 1, 3, 10, 30, 100]}
    search = GridSearchCV(
        model, grid,
        scoring="f1_macro", cv=StratifiedKFold(5, shuffle=True, random_state=7))
    search.fit(x_train, y_train)
    predicted = search.predict(x_eval)
    present = [norm(l) for l in labels]
    macro = f1_score(y_eval, predicted, labels=present, average="macro", zero_division=0)
    print(json.dumps({
        "run": run_id, "baseline_macro_f1": round(float(macro), 4),
        "lunette_macro_f1": round(float(report["scores"]["macroF1"]), 4),
        "mode": (report.get("trainingCurve") or {}).get("mode"),
        "train_rows": len(train_rows), "eval_rows": len(eval_rows), "C": next(iter(search.best_params_.values())),
        "seconds": round(time.time() - started, 1)}, sort_keys=True))


if __name__ == "__main__":
    main()
