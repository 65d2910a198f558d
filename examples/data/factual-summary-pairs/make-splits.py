#!/usr/bin/env python3
"""Derives the example's test and training files from data.csv (deterministic; stdlib only).

Every article sentence (pair_id) has one supported and one unsupported summary, and the same article
sentence (context) recurs in up to 5 pairs (211 distinct contexts in 371 pairs). A model that has seen
a context with one label learns "this context → that label" and then gets the other summaries of that
context wrong, so no context may be shared between what is trained on and what is scored. The pairs are
grouped by context (compared as lower-cased letters and digits, as Lunette compares text); whole groups
go to one side. The test set holds ONE row of each of its pairs (alternating supported / unsupported)
and the manifest splits it with `split: {group_by: context}`, so the seed rows (trained on) and the eval
rows share no context either; the training set holds both rows of the other groups' pairs:

test.csv:  the pairs of 100 contexts, one row each: the hand-labelled test set.
train.csv: the pairs of the other 111 contexts, both rows: the uploaded labelled training set.
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
def normalise(text):
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


groups = defaultdict(list)  # context → its pairs, in pair order
for p in pairs:
    groups[normalise(by_pair[p]["1"]["context"])].append(p)
contexts = sorted(groups)
rng = random.Random(2019)
rng.shuffle(contexts)
test_pairs = [p for c in contexts[:100] for p in groups[c]]
test = [by_pair[p]["1" if i % 2 == 0 else "0"] for i, p in enumerate(test_pairs)]
train = [by_pair[p][label] for c in contexts[100:] for p in groups[c] for label in ("1", "0")]

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
