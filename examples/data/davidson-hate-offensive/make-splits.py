#!/usr/bin/env python3
"""Derives the example's test and training files from data.csv (deterministic; stdlib only).

test.csv:  400 rows, stratified by `label` (hate_speech / offensive / neither), the hand-labelled test set.
train.csv: 3,000 other rows, stratified the same way, used as an uploaded labelled training set.
Both keep the columns id, input, label, toxic. Re-running gives the same bytes.
"""
import csv, random, sys
from collections import defaultdict

rows = list(csv.DictReader(open("data.csv", newline="", encoding="utf-8")))
by_label = defaultdict(list)
for row in rows:
    by_label[row["label"]].append(row)
rng = random.Random(20171)
test, train = [], []
for label in sorted(by_label):
    group = by_label[label][:]
    rng.shuffle(group)
    share = len(group) / len(rows)
    n_test = max(40, round(400 * share))
    n_train = max(150, round(3000 * share))
    test += group[:n_test]
    train += group[n_test:n_test + n_train]
for name, part in (("test.csv", test), ("train.csv", train)):
    part.sort(key=lambda r: int(r["id"]))
    with open(name, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "input", "label", "toxic"], lineterminator="\n")
        w.writeheader()
        for r in part:
            w.writerow({k: r[k] for k in ("id", "input", "label", "toxic")})
    print(f"{name}: {len(part)} rows", file=sys.stderr)
