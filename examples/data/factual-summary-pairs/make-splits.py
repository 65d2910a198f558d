#!/usr/bin/env python3
"""Derives the example's test and training files from data.csv (deterministic; stdlib only).

Splits by pair_id, so the supported and the unsupported summary of one article sentence always land
in the same file (splitting rows would let a model see one half of a pair and be tested on the other).

test.csv:  150 pairs (300 rows, half supported): the hand-labelled test set.
train.csv: the other 221 pairs (442 rows): the uploaded labelled training set.
Both have the columns id (<pair_id>-<row within pair>), pair_id, context (the article sentence),
output (the summary sentence) and supported (true / false). Re-running gives the same bytes.
"""
import csv, random, sys

rows = list(csv.DictReader(open("data.csv", newline="", encoding="utf-8")))
pairs = sorted({int(r["pair_id"]) for r in rows})
rng = random.Random(2019)
shuffled = pairs[:]
rng.shuffle(shuffled)
test_pairs = set(shuffled[:150])
seen = {}
for r in rows:
    n = seen.get(r["pair_id"], 0)
    seen[r["pair_id"]] = n + 1
    r["id"] = f"{r['pair_id']}-{n}"
for name, keep in (("test.csv", lambda p: p in test_pairs), ("train.csv", lambda p: p not in test_pairs)):
    part = [r for r in rows if keep(int(r["pair_id"]))]
    with open(name, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "pair_id", "context", "output", "supported"], lineterminator="\n")
        w.writeheader()
        for r in part:
            w.writerow({"id": r["id"], "pair_id": r["pair_id"], "context": r["context"], "output": r["output"],
                        "supported": "true" if r["label"] == "1" else "false"})
    print(f"{name}: {len(part)} rows ({len(part) // 2} pairs)", file=sys.stderr)
