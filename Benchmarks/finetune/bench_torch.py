"""The reference side of the fine-tuning benchmark: transformers' BertForSequenceClassification over the
same weights, torch AdamW, same batches as finetune-bench (WORK_DIR/finetune-N.jsonl, in file order).

Usage: bench_torch.py MODEL_DIR WORK_DIR [--threads N] [--batch B] [--tokens T] [--warmup W]
Each step: forward with labels (dropout on, train mode), backward, clipping to norm 1, AdamW step
(lr 5e-5, weight decay 0.01 except biases and layer norms, as Lunette), zero_grad.
"""
import argparse, json, os, time

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("work")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--batch", type=int, default=16)
parser.add_argument("--tokens", type=int, default=60)
parser.add_argument("--warmup", type=int, default=2)
args = parser.parse_args()

import torch
from transformers import AutoTokenizer, BertForSequenceClassification
from transformers.utils import logging
logging.set_verbosity_error()

torch.set_num_threads(args.threads)
torch.manual_seed(42)
tokenizer = AutoTokenizer.from_pretrained(args.model)
model = BertForSequenceClassification.from_pretrained(args.model, num_labels=2)
model.train()
decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=5e-5)
print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")

with open(os.path.join(args.work, f"finetune-{args.tokens}.jsonl")) as f:
    rows = [json.loads(line) for line in f if line.strip()]
batches = []
for start in range(0, len(rows) - args.batch + 1, args.batch):
    chunk = rows[start:start + args.batch]
    encoded = tokenizer([r["text"] for r in chunk], truncation=True, max_length=max(128, args.tokens), padding=True,
                        return_tensors="pt")
    batches.append((encoded, torch.tensor([r["label"] for r in chunk])))

times, cpus, losses = [], [], []
for encoded, labels in batches:
    t0, c0 = time.perf_counter(), time.process_time()
    loss = model(**encoded, labels=labels).loss
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    t3 = time.perf_counter()
    times.append((t1 - t0, t2 - t1, t3 - t2, t3 - t0))
    cpus.append(time.process_time() - c0)
    losses.append(loss.item())
timed, timed_cpu = times[args.warmup:], cpus[args.warmup:]
total = sum(t[3] for t in timed)
steps = sorted(t[3] for t in timed)
mean = lambda i: sum(t[i] for t in timed) / len(timed)
tokens = batches[0][0]["input_ids"].shape[1]
print(f"full fine-tuning, batch {args.batch}, ~{args.tokens} tokens (padded {tokens}): "
      f"{args.batch * len(timed) / total:.1f} examples/s (mean over {len(timed)} steps; median step {steps[len(steps) // 2]:.3f} s, "
      f"min {steps[0]:.3f} s; {sum(timed_cpu) / len(timed):.3f} s CPU per step); forward {mean(0):.3f} s, backward {mean(1):.3f} s, "
      f"clip+AdamW {mean(2):.3f} s per step; loss {losses[0]:.3f} -> {losses[-1]:.3f}")
