"""A reference for the scoring benchmark: the documented Python snippet (AutoTokenizer + AutoModel + mean
pooling + the head) on PyTorch CPU, over the exported metric folder, same rows as score-bench.

Usage: bench_torch.py MODEL_FOLDER WORK_DIR [--threads N] [--seconds S]
"""
import argparse, json, os, time

parser = argparse.ArgumentParser()
parser.add_argument("folder")
parser.add_argument("work")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seconds", type=float, default=3.0)
args = parser.parse_args()

import torch
from safetensors.torch import load_file
from transformers import AutoModel, AutoTokenizer

torch.set_num_threads(args.threads)
started = time.perf_counter()
meta = json.load(open(os.path.join(args.folder, "metric.json")))
tokenizer = AutoTokenizer.from_pretrained(args.folder)
model = AutoModel.from_pretrained(args.folder).eval()
head = load_file(os.path.join(args.folder, "head.safetensors"))
print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; load {(time.perf_counter() - started) * 1000:.0f} ms")

def score(texts):
    batch = tokenizer(texts, truncation=True, max_length=meta["max_tokens"], padding=True, return_tensors="pt")
    out = model(**batch)
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (out.last_hidden_state * mask).sum(1) / mask.sum(1)
    return torch.softmax(pooled @ head["classifier.weight"].T + head["classifier.bias"], dim=-1)

def read(name):
    with open(os.path.join(args.work, name)) as f:
        return [json.loads(line)["input"] for line in f if line.strip()]

with torch.inference_mode():
    text = read("score-rows-16-single.jsonl")[0]
    for _ in range(10):
        score([text])
    laps, began, cpu0 = [], time.perf_counter(), time.process_time()
    while time.perf_counter() - began < args.seconds or len(laps) < 200:
        t = time.perf_counter()
        score([text])
        laps.append(time.perf_counter() - t)
    cpu = (time.process_time() - cpu0) / len(laps)
    laps.sort()
    p = lambda q: laps[min(len(laps) - 1, int(len(laps) * q))] * 1000
    print(f"single row ~16 tokens: p50 {p(0.5):.2f} ms, p90 {p(0.9):.2f} ms, p99 {p(0.99):.2f} ms, min {laps[0] * 1000:.2f} ms "
          f"({len(laps)} calls; {cpu * 1000:.2f} ms CPU per call)")
    for target in (16, 60):
        texts = read(f"score-rows-{target}.jsonl")
        score(texts[:64])
        done, wall, cpu0 = 0, 0.0, time.process_time()
        while wall < args.seconds:
            t = time.perf_counter()
            for start in range(0, len(texts), 32):
                score(texts[start:start + 32])
            wall += time.perf_counter() - t
            done += len(texts)
        print(f"batch ~{target} tokens: {done / wall:.1f} rows/s (1024 rows per call, batch 32; "
              f"{(time.process_time() - cpu0) / done * 1000:.2f} ms CPU per row)")
