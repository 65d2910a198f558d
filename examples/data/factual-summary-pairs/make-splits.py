#!/usr/bin/env python3
"""Derives the example's test and training files from data.csv (deterministic; stdlib only).

Every article sentence (pair_id) has one supported and one unsupported summary. A model that has seen
one half of a pair learns "this context → that label" and then gets the other half wrong, so no pair
may be split between what is trained on and what is scored. Lunette splits the test set row by row
(20% seed rows, which are added to the training rows, and 80% eval rows), so the test set holds ONE
row of each of its pairs, and the training set holds both rows of the other pairs:

test.csv:  200 pairs, one row each (100 supported, 100 unsupported, alternating): the hand-labelled test set.
train.csv: the other 171 pairs, both rows (342 rows): the uploaded labelled training set.
Both have the columns id (<pair_id>-<0 supported | 1 unsupported>), pair_id, context (the article
sentence), output (the summary sentence) and supported (true / false). Re-running gives the same bytes.
"""
import csv, random, sys
from collections import defaultdict

rows = list(csv.DictReader(open("data.csv", newline="", encoding="utf-8")))
by_pair = defaultdict(dict)
for r in rows:
    by_pair[int(r["pair_id"])][r["label"]] = r
pairs = sorted(by_pair)
assert all(set(by_pair[p]) == {"0", "1"} for p in pairs), "each pair needs one supported and one unsupported row"
rng = random.Random(2019)
shuffled = pairs[:]
rng.shuffle(shuffled)
test = [by_pair[p]["1" if i % 2 == 0 else "0"] for i, p in enumerate(shuffled[:200])]
train = [by_pair[p][label] for p in shuffled[200:] for label in ("1", "0")]


def write(name, part):
    part = sorted(part, key=lambda r: (int(r["pair_id"]), r["label"] == "0"))
    with open(name, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "pair_id", "context", "output", "supported"], lineterminator="\n")
        w.writeheader()
        for r in part:
            w.writerow({"id": f"{r['pair_id']}-{0 if r['label'] == '1' else 1}", "pair_id": r["pair_id"],
                        "context": r["context"], "output": r["output"],
                        "supported": "true" if r["label"] == "1" else "false"})
    print(f"{name}: {len(part)} rows", file=sys.stderr)


write("test.csv", test)
write("train.csv", train)
