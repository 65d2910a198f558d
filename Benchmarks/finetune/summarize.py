"""Summarises Benchmarks/work/finetune/results.txt: medians over the rounds, ratios to PyTorch, memory, head mode.

Usage: summarize.py RESULTS.txt  (prints Markdown)
"""
import re, statistics, sys
from collections import defaultdict

rate, step_cpu, extra, notes = defaultdict(list), defaultdict(list), [], []
section = None
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"== round \d+: (.*)$", line) or re.match(r"== ((?:memory|head): .*)$", line)
    if m:
        section = m.group(1)
        continue
    if line.startswith("-- load average") or line.startswith("== machine") or line.startswith("== OPENBLAS"):
        notes.append(line)
    if section is None:
        continue
    m = re.search(r"examples/s.*?; ([\d.]+) s CPU per step", line)
    if m and not section.startswith("memory"):
        rate[section].append(float(re.search(r": ([\d.]+) examples/s", line).group(1)))
        step_cpu[section].append(float(m.group(1)))
    if line.startswith("openblas core") or (section == "torch" and "forward" in line):
        notes.append(f"{section}: {line}")
    if section.startswith(("memory", "head")) and re.search(r"Maximum resident|Elapsed|User time|System time|^time:|summary|ran|reused", line):
        extra.append(f"{section}: {line.strip()}")

med = lambda xs: statistics.median(xs) if xs else float("nan")
print("| full fine-tuning, batch 16, ~60 tokens | examples/s, median (min–max) | CPU s per step | ratio to torch |")
print("|---|---|---|---|")
t = med(rate["torch"])
for s in ("swift as-set", "swift unset", "torch"):
    xs = rate[s]
    if xs:
        print(f"| {s} | {med(xs):.1f} ({min(xs):.1f}–{max(xs):.1f}) | {med(step_cpu[s]):.2f} | {med(xs) / t:.2f}× |")
print()
for line in extra:
    print(f"- {line}")
print()
for line in notes:
    print(f"- {line}")
