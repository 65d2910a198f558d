"""Summarises Benchmarks/work/encoder/results.txt: medians over the rounds and the ratios to PyTorch.

Usage: summarize.py RESULTS.txt  (prints Markdown)
"""
import re, statistics, sys
from collections import defaultdict

values = defaultdict(list)   # (section, measurement) -> [value per round]
cpu = defaultdict(list)
notes = defaultdict(set)
section = None
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"== round \d+: (.*)$", line) or re.match(r"== (loaded: .*)$", line)
    if m:
        section = m.group(1)
        continue
    if section is None:
        continue
    if line.startswith("openblas core:") or line.startswith("golden parity:") or line.startswith("torch "):
        notes[section].add(line)
    m = re.match(r"throughput ~(\d+) tokens.*?: ([\d.]+) texts/s .*?([\d.]+) ms CPU per text", line)
    if m:
        values[(section, f"texts/s ~{m.group(1)}")].append(float(m.group(2)))
        cpu[(section, f"texts/s ~{m.group(1)}")].append(float(m.group(3)))
    m = re.match(r"latency ~(\d+) tokens: median ([\d.]+) ms, p90 ([\d.]+) ms .*?([\d.]+) ms CPU per call", line)
    if m:
        values[(section, f"latency ~{m.group(1)}")].append(float(m.group(2)))
        cpu[(section, f"latency ~{m.group(1)}")].append(float(m.group(4)))
    m = re.match(r"cli ~(\d+) tokens: .*?([\d.]+) texts/s end to end, ([-\d.]+) texts/s steady", line)
    if m:
        values[(section, f"cli e2e ~{m.group(1)}")].append(float(m.group(2)))
        values[(section, f"cli steady ~{m.group(1)}")].append(float(m.group(3)))

med = lambda xs: statistics.median(xs) if xs else float("nan")
def cell(section, measurement):
    xs = values.get((section, measurement), [])
    if not xs:
        return "–"
    text = f"{med(xs):.1f}"
    if len(xs) > 1:
        text += f" ({min(xs):.1f}–{max(xs):.1f})"
    c = cpu.get((section, measurement))
    if c:
        text += f"; CPU {med(c):.2f} ms"
    return text

print("## Medians over rounds (min–max); CPU = CPU time per text or per call\n")
measurements = [f"texts/s ~{n}" for n in (12, 60, 128)] + [f"latency ~{n}" for n in (16, 60)]
print("| measurement | swift as-set | swift unset | torch | as-set / torch | unset / torch |")
print("|---|---|---|---|---|---|")
for m in measurements:
    a, u, t = (med(values.get((s, m), [])) for s in ("swift as-set", "swift unset", "torch"))
    if m.startswith("latency"):   # lower is better: ratio = torch time / swift time
        r1, r2 = t / a, t / u
    else:
        r1, r2 = a / t, u / t
    print(f"| {m} | {cell('swift as-set', m)} | {cell('swift unset', m)} | {cell('torch', m)} | {r1:.2f}× | {r2:.2f}× |")
print()
print("| `lunette embed` | as-set | unset | torch (in-process) | as-set steady / torch | unset steady / torch |")
print("|---|---|---|---|---|---|")
for n in (12, 60, 128):
    t = med(values.get(("torch", f"texts/s ~{n}"), []))
    a = med(values.get(("cli as-set", f"cli steady ~{n}"), []))
    u = med(values.get(("cli unset", f"cli steady ~{n}"), []))
    print(f"| ~{n} tokens: end to end / steady texts/s | {cell('cli as-set', f'cli e2e ~{n}')} / {cell('cli as-set', f'cli steady ~{n}')} "
          f"| {cell('cli unset', f'cli e2e ~{n}')} / {cell('cli unset', f'cli steady ~{n}')} | {t:.1f} | {a / t:.2f}× | {u / t:.2f}× |")
print()
loaded = sorted({s for s, _ in values if s.startswith("loaded")})
if loaded:
    print("## Under load (busy loop on CPU 1)\n")
    print("| measurement | " + " | ".join(s.replace("loaded: ", "") for s in loaded) + " |")
    print("|---|" + "---|" * len(loaded))
    for m in measurements:
        print(f"| {m} | " + " | ".join(cell(s, m) for s in loaded) + " |")
    print()
print("## Notes\n")
for s in sorted(notes):
    for n in sorted(notes[s]):
        print(f"- {s}: {n}")
