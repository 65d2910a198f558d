"""The reference side of the encoder benchmark: sentence-transformers on PyTorch CPU, same texts.

Usage: bench_torch.py MODEL_DIR WORK_DIR [--threads N] [--seconds S]
Reads WORK_DIR/texts-{12,60,128}.jsonl and latency-{16,60}.jsonl written by encoder-bench, and prints
lines in the same format as encoder-bench (wall-clock rates, CPU time beside them).
"""
import argparse, json, os, time

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("work")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seconds", type=float, default=3.0)
args = parser.parse_args()

import torch
from sentence_transformers import SentenceTransformer

torch.set_num_threads(args.threads)
model = SentenceTransformer(args.model, device="cpu")
model.max_seq_length = 128
print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")

def read(name):
    with open(os.path.join(args.work, name)) as f:
        return [json.loads(line)["text"] for line in f if line.strip()]

with torch.inference_mode():
    for target in (12, 60, 128):
        texts = read(f"texts-{target}.jsonl")
        model.encode(texts[:64], batch_size=32)
        done, elapsed, cpu = 0, 0.0, 0.0
        while elapsed < args.seconds:
            start, cpu_start = time.perf_counter(), time.process_time()
            model.encode(texts, batch_size=32)
            elapsed += time.perf_counter() - start
            cpu += time.process_time() - cpu_start
            done += len(texts)
        print(f"throughput ~{target} tokens: {done / elapsed:.1f} texts/s (batch 32; {cpu / done * 1000:.2f} ms CPU per text)")
    for target in (16, 60):
        text = read(f"latency-{target}.jsonl")[0]
        for _ in range(5):
            model.encode([text])
        laps, started, cpu_start = [], time.perf_counter(), time.process_time()
        while time.perf_counter() - started < args.seconds / 2 or len(laps) < 20:
            start = time.perf_counter()
            model.encode([text])
            laps.append(time.perf_counter() - start)
        cpu = (time.process_time() - cpu_start) / len(laps)
        laps.sort()
        print(f"latency ~{target} tokens: median {laps[len(laps) // 2] * 1000:.2f} ms, "
              f"p90 {laps[len(laps) * 9 // 10] * 1000:.2f} ms ({len(laps)} runs; {cpu * 1000:.2f} ms CPU per call)")
