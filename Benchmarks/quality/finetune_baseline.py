#!/usr/bin/env python3
"""PyTorch full fine-tune baseline for one Lunette run, on exactly the run's rows (issue 13).

Usage: finetune_baseline.py WORKSPACE PROJECT/RUN MODEL_FOLDER [--seed 7] [--epochs 3] [--lr 5e-5]
  (after `lunette run` and `lunette report` of the run, as for baseline.py, whose row reading it reuses)

What a user would write with transformers: the base model (MODEL_FOLDER, e.g. cache/models/minilm-l6)
with mean pooling and a linear head, every layer trained with AdamW (weight decay 0.01, linear warm-up
10% then decay), batch 16, 128 tokens, 3 epochs at 5e-5, plain cross-entropy, predicting the arg max; pairs
are encoded as (first side, second side) as Lunette renders them. Trains on the rows Lunette's train stage
keeps and scores the run's eval rows. Prints one JSON line: run, torch_macro_f1, seed, seconds.
Needs torch, transformers, scikit-learn (Benchmarks/.build/torch-venv).
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch
from sklearn.metrics import f1_score
from transformers import AutoModel, AutoTokenizer, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baseline import cached_rows, lock_entry, lunette_training_rows, side_texts  # noqa: E402


class Classifier(torch.nn.Module):
    def __init__(self, folder, labels):
        super().__init__()
        self.encoder = AutoModel.from_pretrained(folder)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, labels)

    def forward(self, batch):
        out = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return self.head((out * mask).sum(1) / mask.sum(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace")
    parser.add_argument("run")
    parser.add_argument("model")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-5)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
    started = time.time()

    project, run = args.run.split("/")
    report = json.load(open(os.path.join(args.workspace, "cache", "reports", project, run, "report.json")))
    eval_rows = cached_rows(args.workspace, report["digests"]["eval"])
    seeds = cached_rows(args.workspace, report["digests"]["seeds"])
    training = lock_entry(args.workspace, project, f"{args.run}/load-training")["outputs"]
    metric = lock_entry(args.workspace, project, f"{args.run}/train")["params"]["metric"]
    fmt = metric.get("input", "message")
    labels = [str(label).lower() for label in (metric.get("labels") or ["false", "true"])]
    train_rows = lunette_training_rows(cached_rows(args.workspace, training["rows"]["digest"]), seeds, eval_rows, fmt)
    y_train = [labels.index(str(r["label"]).lower()) for r in train_rows]
    y_eval = [labels.index(str(r["label"]).lower()) for r in eval_rows]

    tokenizer = AutoTokenizer.from_pretrained(args.model)

    def encode(rows, indices):
        sides = side_texts([rows[i] for i in indices], fmt)
        return tokenizer(*sides, truncation=True, max_length=128, padding=True, return_tensors="pt")

    model = Classifier(args.model, len(labels))
    no_decay = ["bias", "LayerNorm.weight"]
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)], "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=args.lr)
    steps = args.epochs * ((len(train_rows) + 15) // 16)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps), steps)
    targets = torch.tensor(y_train)
    for _ in range(args.epochs):
        model.train()
        order = list(range(len(train_rows)))
        random.shuffle(order)
        for start in range(0, len(order), 16):
            batch = order[start:start + 16]
            loss = torch.nn.functional.cross_entropy(model(encode(train_rows, batch)), targets[batch])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
    model.eval()
    predicted = []
    with torch.no_grad():
        for start in range(0, len(eval_rows), 64):
            batch = list(range(start, min(start + 64, len(eval_rows))))
            predicted += model(encode(eval_rows, batch)).argmax(-1).tolist()
    macro = f1_score(y_eval, predicted, labels=list(range(len(labels))), average="macro", zero_division=0)
    print(json.dumps({"run": args.run, "torch_macro_f1": round(float(macro), 4), "seed": args.seed,
                      "train_rows": len(train_rows), "torch_seconds": round(time.time() - started, 1)}, sort_keys=True))


if __name__ == "__main__":
    main()
