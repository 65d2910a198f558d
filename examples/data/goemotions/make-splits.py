#!/usr/bin/env python3
"""Derives the example's test and training files from data.csv (deterministic; stdlib only).

    python3 make-splits.py                 # data.csv -> the four files below (what you normally run)
    python3 make-splits.py --from DIR      # first rebuild data.csv from the full GoEmotions files in DIR
                                           # (train.csv, test.csv, raw/train.tsv, raw/dev.tsv; see SOURCE.txt)

data.csv (committed) holds every row of the official dev split (split = dev, 5,426 rows) and a seeded uniform
sample of 15,000 rows of the official train split (split = train), with the upstream comment id, the text and the
GoEmotions labels joined by '|'. Two tasks are recast from those multilabel rows:

neutral-test.csv / neutral-train.csv: `neutral` = true when the comment's only label is neutral, false when it has
  any emotion (neutral together with an emotion counts as an emotion). Stratified by `neutral`, proportionally.
ekman-test.csv / ekman-train.csv: `ekman` = the comment's Ekman group (anger, disgust, fear, joy, sadness, surprise)
  under the GoEmotions authors' own mapping (below), or neutral. Only comments whose labels fall in exactly ONE of
  those seven groups are kept (neutral counts as its own group, so neutral + an emotion is dropped too).
  Stratified by `ekman`: proportional, except that a group never gets fewer than MIN_TEST (test) or MIN_TRAIN
  (training) rows when it has that many (fear and disgust are ~1.5% each; proportionally the test set would hold
  5 or 6 of each), the other groups sharing the rest in proportion.

Test rows come from the dev split only, training rows from the train split only. No comment text appears in two
places: texts are compared normalised (lower-cased, every run of non-letters/digits one space: Lunette's own rule),
only the first occurrence of a normalised text in each split is kept, a train-split row whose text is also in the
dev split is dropped, and rows whose normalised text is empty are dropped. Every file has the columns id (the
upstream comment id), input (the comment), emotions (its GoEmotions labels) and the task's label column.
Re-running gives the same bytes.
"""
import csv, os, random, sys
from collections import Counter, defaultdict

# The GoEmotions authors' Ekman mapping: google-research/google-research, goemotions/data/ekman_mapping.json
# (Apache-2.0), copied as published; neutral is its own group.
EKMAN_MAPPING = {
    "anger": ["anger", "annoyance", "disapproval"],
    "disgust": ["disgust"],
    "fear": ["fear", "nervousness"],
    "joy": ["joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief", "pride",
            "admiration", "desire", "caring"],
    "sadness": ["sadness", "disappointment", "embarrassment", "grief", "remorse"],
    "surprise": ["surprise", "realization", "confusion", "curiosity"],
    "neutral": ["neutral"],
}
GROUP_OF = {emotion: group for group, emotions in EKMAN_MAPPING.items() for emotion in emotions}

TRAIN_POOL = 15000                 # train-split rows kept in data.csv
NEUTRAL_TEST, NEUTRAL_TRAIN = 400, 2500
EKMAN_TEST, EKMAN_TRAIN = 400, 3000
MIN_TEST, MIN_TRAIN = 30, 150      # per Ekman group


def rebuild_data(source):
    """data.csv from the full files: all dev rows, a seeded sample of TRAIN_POOL train rows (in upstream order)."""
    out = []
    for split, csv_name, tsv_name in (("dev", "test.csv", "dev.tsv"), ("train", "train.csv", "train.tsv")):
        decoded = list(csv.DictReader(open(os.path.join(source, csv_name), newline="", encoding="utf-8")))
        raw = list(csv.reader(open(os.path.join(source, "raw", tsv_name), newline="", encoding="utf-8"),
                              delimiter="\t"))
        assert len(decoded) == len(raw), (csv_name, len(decoded), len(raw))
        rows = []
        for d, r in zip(decoded, raw):
            assert d["input"] == r[0], (csv_name, r[2])
            rows.append({"split": split, "id": r[2], "input": d["input"], "labels": d["labels"]})
        if split == "train":
            keep = set(random.Random(2020).sample(range(len(rows)), TRAIN_POOL))
            rows = [row for i, row in enumerate(rows) if i in keep]
        out += rows
    with open("data.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["split", "id", "input", "labels"], lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    print(f"data.csv: {len(out)} rows", file=sys.stderr)


def normalise(text):
    out, pending = [], False
    for ch in text.lower():
        if ch.isalnum():
            if pending and out:
                out.append(" ")
            pending = False
            out.append(ch)
        else:
            pending = True
    return "".join(out)


def quotas(counts, total, minimum):
    """Per-label sizes: proportional, but at least `minimum` (or all there is) for every label."""
    floored = {}
    while True:
        rest = {k: n for k, n in counts.items() if k not in floored}
        left = total - sum(floored.values())
        share = sum(rest.values())
        small = {k: min(n, minimum) for k, n in rest.items() if left * n / share < minimum}
        if not small:
            break
        floored.update(small)
    sizes = dict(floored)
    for k, n in rest.items():
        sizes[k] = min(n, round(left * n / share))
    return sizes


def stratified(rows, column, total, minimum, seed):
    by_label = defaultdict(list)
    for row in rows:
        by_label[row[column]].append(row)
    sizes = quotas({k: len(v) for k, v in by_label.items()}, total, minimum)
    rng = random.Random(seed)
    chosen = []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        chosen += group[: sizes[label]]
    chosen.sort(key=lambda r: r["order"])
    return chosen


def write(name, rows, column):
    with open(name, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "input", "emotions", column], lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({"id": r["id"], "input": r["input"], "emotions": r["labels"], column: r[column]})
    counts = Counter(r[column] for r in rows)
    print(f"{name}: {len(rows)} rows, " + ", ".join(f"{k} {counts[k]}" for k in sorted(counts)), file=sys.stderr)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--from":
        rebuild_data(sys.argv[2])
    elif len(sys.argv) != 1:
        sys.exit(__doc__)
    rows = list(csv.DictReader(open("data.csv", newline="", encoding="utf-8")))
    dropped = Counter()
    kept = {"dev": [], "train": []}
    seen = {"dev": set(), "train": set()}
    for order, row in enumerate(rows):  # dev rows come first in data.csv, so every dev text is known below
        row["order"] = order
        key = normalise(row["input"])
        split = row["split"]
        if not key:
            dropped[f"{split}: empty normalised text"] += 1
        elif key in seen[split]:
            dropped[f"{split}: repeats an earlier {split} text"] += 1
        elif split == "train" and key in seen["dev"]:
            dropped["train: repeats a dev text"] += 1
        else:
            seen[split].add(key)
            emotions = row["labels"].split("|")
            row["neutral"] = "true" if emotions == ["neutral"] else "false"
            groups = {GROUP_OF[e] for e in emotions}
            row["ekman"] = groups.pop() if len(groups) == 1 else ""
            kept[split].append(row)
    for split in ("dev", "train"):
        multi = sum(1 for r in kept[split] if not r["ekman"])
        dropped[f"{split}: ekman only, labels in more than one group"] = multi
    for reason in sorted(dropped):
        print(f"dropped ({reason}): {dropped[reason]}", file=sys.stderr)
    write("neutral-test.csv", stratified(kept["dev"], "neutral", NEUTRAL_TEST, 0, 1), "neutral")
    write("neutral-train.csv", stratified(kept["train"], "neutral", NEUTRAL_TRAIN, 0, 2), "neutral")
    ekman_dev = [r for r in kept["dev"] if r["ekman"]]
    ekman_train = [r for r in kept["train"] if r["ekman"]]
    write("ekman-test.csv", stratified(ekman_dev, "ekman", EKMAN_TEST, MIN_TEST, 3), "ekman")
    write("ekman-train.csv", stratified(ekman_train, "ekman", EKMAN_TRAIN, MIN_TRAIN, 4), "ekman")


if __name__ == "__main__":
    main()
