#!/usr/bin/env python3
"""Derives the example's test and training files from data.csv (deterministic; stdlib only).

test.csv:  300 rows, stratified by `label` (the five risk areas): the hand-labelled test set.
train.csv: the other 639 rows: the uploaded labelled training set.
Both have the columns id (the row's 0-based position in data.csv), input (the question) and label.
Re-running gives the same bytes.
"""
import csv, random, sys
from collections import defaultdict

rows = list(csv.DictReader(open("data.csv", newline="", encoding="utf-8")))
for i, row in enumerate(rows):
    row["id"] = str(i)
by_label = defaultdict(list)
for row in rows:
    by_label[row["label"]].append(row)
rng = random.Random(2023)
test, train = [], []
for label in sorted(by_label):
    group = by_label[label][:]
    rng.shuffle(group)
    n_test = round(300 * len(group) / len(rows))
    test += group[:n_test]
    train += group[n_test:]
for name, part in (("test.csv", test), ("train.csv", train)):
    part.sort(key=lambda r: int(r["id"]))
    with open(name, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "input", "label"], lineterminator="\n")
        w.writeheader()
        for r in part:
            w.writerow({"id": r["id"], "input": r["text"], "label": r["label"]})
    print(f"{name}: {len(part)} rows", file=sys.stderr)
