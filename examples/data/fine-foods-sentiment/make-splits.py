#!/usr/bin/env python3
"""Derives the example's test and training files from data.csv (deterministic; stdlib only).

test.csv:  400 rows of modeldata's own `test` split, stratified by `label` (great / other): the hand-labelled test set.
train.csv: 2,000 rows of modeldata's `train` split, stratified the same way: the uploaded labelled training set.
Both have the columns id (the row's 0-based position in data.csv), input (the review), label (great / other)
and great (true when label is great: the boolean metric's label). Re-running gives the same bytes.
"""
import csv, random, sys
from collections import defaultdict

rows = list(csv.DictReader(open("data.csv", newline="", encoding="utf-8")))
for i, row in enumerate(rows):
    row["id"] = str(i)
rng = random.Random(2013)


def stratified(part, total):
    by_label = defaultdict(list)
    for row in part:
        by_label[row["label"]].append(row)
    chosen = []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        chosen += group[: round(total * len(group) / len(part))]
    return chosen


test = stratified([r for r in rows if r["split"] == "test"], 400)
train = stratified([r for r in rows if r["split"] == "train"], 2000)
for name, part in (("test.csv", test), ("train.csv", train)):
    part.sort(key=lambda r: int(r["id"]))
    with open(name, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "input", "label", "great"], lineterminator="\n")
        w.writeheader()
        for r in part:
            w.writerow({"id": r["id"], "input": r["text"], "label": r["label"],
                        "great": "true" if r["label"] == "great" else "false"})
    print(f"{name}: {len(part)} rows", file=sys.stderr)
