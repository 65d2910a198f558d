#!/usr/bin/env python3
"""Checks that a Lunette model folder gives the same probabilities in Python as in Lunette.

usage: python-parity.py MODEL_FOLDER CASES_JSON [--tolerance 1e-4]

CASES_JSON holds {"inputs": [{"text": "...", "pair": "..." or null, "sides": ["...", "..."]}, ...],
                  "probabilities": [[p0, p1, ...], ...]}: rendered rows (see Sources/TaskTypes/Train.md;
"sides", each side of a pair alone, only for a head that reads pair features) and the probabilities
Lunette gave for them. The script scores the same inputs with the documented
snippet (AutoTokenizer + AutoModel + pooling + the head), prints the largest difference, and exits 1
when it exceeds the tolerance. Needs torch, transformers and safetensors.
"""
import argparse
import json
import sys

import torch
from safetensors.torch import load_file
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer


def probabilities(folder, inputs):
    """The snippet documented in Train.md; a seed ensemble (metric.json "ensemble") averages its members."""
    meta = json.load(open(f"{folder}/metric.json"))
    members = meta.get("ensemble", {}).get("members", 1)
    folders = [folder] + [f"{folder}/{meta['ensemble']['folder']}/{index}" for index in range(2, members + 1)]
    scored = [member_probabilities(member, meta, inputs) for member in folders]
    return [[sum(values) / len(values) for values in zip(*rows)] for rows in zip(*scored)]


def member_probabilities(folder, meta, inputs):
    # One model folder, generalised to pairs.
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    head = load_file(f"{folder}/head.safetensors")
    texts = [case["text"] for case in inputs]
    pairs = [case.get("pair") for case in inputs]
    result = []

    def pooled(text, pair=None):  # one at a time: no padding differences
        batch = tokenizer(text, pair, truncation=True, max_length=meta["max_tokens"], return_tensors="pt")
        with torch.no_grad():
            out = model(**batch)
        mask = batch["attention_mask"].unsqueeze(-1).float()
        if meta["pooling"] == "mean":
            return (out.last_hidden_state * mask).sum(1) / mask.sum(1)
        return out.pooler_output

    for case, text, pair in zip(inputs, texts, pairs):
        features = pooled(text, pair)
        if meta.get("head_features", "pooled") == "pair":  # [joint, u, v, |u - v|, u * v], each side alone
            u, v = pooled(case["sides"][0]), pooled(case["sides"][1])
            features = torch.cat([features, u, v, (u - v).abs(), u * v], dim=-1)
        logits = features @ head["classifier.weight"].T + head["classifier.bias"]
        result.append(torch.softmax(logits, dim=-1)[0].tolist())
    return result


def sequence_classification_probabilities(folder, inputs):
    """With cls pooling the folder is also a BertForSequenceClassification checkpoint: score it that way."""
    meta = json.load(open(f"{folder}/metric.json"))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    result = []
    for case in inputs:
        batch = tokenizer(case["text"], case.get("pair"), truncation=True, max_length=meta["max_tokens"], return_tensors="pt")
        with torch.no_grad():
            result.append(torch.softmax(model(**batch).logits, dim=-1)[0].tolist())
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("cases")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = json.load(open(args.cases))
    python = probabilities(args.model, cases["inputs"])
    worst = 0.0
    meta = json.load(open(f"{args.model}/metric.json"))
    if meta["pooling"] == "cls" and meta.get("head_features", "pooled") == "pooled":
        classifier = sequence_classification_probabilities(args.model, cases["inputs"])
        for ours, theirs in zip(cases["probabilities"], classifier):
            worst = max(worst, max(abs(a - b) for a, b in zip(ours, theirs)))
        print(f"AutoModelForSequenceClassification agrees within {worst:.2e}")
    for index, (ours, theirs) in enumerate(zip(cases["probabilities"], python)):
        if len(ours) != len(theirs):
            print(f"case {index}: {len(ours)} probabilities from Lunette, {len(theirs)} from Python")
            return 1
        worst = max(worst, max(abs(a - b) for a, b in zip(ours, theirs)))
    print(f"{len(python)} cases, largest probability difference {worst:.2e} (tolerance {args.tolerance:.0e})")
    return 0 if worst <= args.tolerance and len(python) == len(cases["probabilities"]) else 1


if __name__ == "__main__":
    sys.exit(main())
