// Full fine-tuning throughput of MLCore's `FineTuner`: examples/s for forward + backward + clipping +
// AdamW, on generated examples of about `--tokens` tokens, `--steps` optimiser steps of `--batch`
// examples (the first `--warmup` steps not counted). No validation set, so nothing but training steps
// is timed. Writes the texts to WORK/finetune-N.jsonl so that bench_torch.py trains on the same ones.
//
//   finetune-bench MODEL_DIR WORK_DIR [--threads N] [--batch B] [--tokens T] [--steps S] [--warmup W]
import Foundation
import MLCore

var positional: [String] = []
var threads = 2, batch = 16, tokens = 60, steps = 12, warmup = 2
var arguments = Array(CommandLine.arguments.dropFirst())[...]
while let argument = arguments.popFirst() {
    let value = Int(arguments.first ?? "")
    switch argument {
    case "--threads": threads = value ?? threads; arguments.removeFirst()
    case "--batch": batch = value ?? batch; arguments.removeFirst()
    case "--tokens": tokens = value ?? tokens; arguments.removeFirst()
    case "--steps": steps = value ?? steps; arguments.removeFirst()
    case "--warmup": warmup = value ?? warmup; arguments.removeFirst()
    default: positional.append(argument)
    }
}
guard positional.count == 2 else {
    FileHandle.standardError.write(Data("usage: finetune-bench MODEL_DIR WORK_DIR [--threads N] [--batch B] [--tokens T] [--steps S] [--warmup W]\n".utf8))
    exit(2)
}
let work = URL(fileURLWithPath: positional[1])
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)

/// CPU time of the whole process (every thread), in seconds.
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

let encoder = try BertEncoder(modelDirectory: URL(fileURLWithPath: positional[0]), threads: threads)
guard let tokenizer = encoder.tokenizer else { fatalError("no tokenizer") }
let environment = ProcessInfo.processInfo.environment
print("openblas core: \(BLAS.coreName) (OPENBLAS_CORETYPE=\(environment["OPENBLAS_CORETYPE"] ?? "unset"), "
      + "OPENBLAS_L2_SIZE=\(environment["OPENBLAS_L2_SIZE"] ?? "unset")), threads: \(threads)")

// Review-like texts of about `tokens` tokens, labelled by whether they come from the positive or the negative pool.
let pools = [
    """
    this product arrived late and the box was damaged the taste was stale and bitter and nobody in my family
    would eat it i asked for a refund twice and never heard back from the seller do not waste your money
    """,
    """
    these cookies are wonderful fresh crunchy and not too sweet my kids love them and we order a new box every
    month the price is fair and delivery was quick i would recommend them to anyone who likes a good snack
    """,
].map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
let count = batch * steps
var texts: [(text: String, label: Int)] = []
for index in 0..<count {
    let label = index % 2, words = pools[label]
    var picked: [String] = []
    var position = (index * 7) % words.count
    while tokenizer.encode(picked.joined(separator: " "), maxTokens: 512).count < tokens {
        picked.append(words[position % words.count])
        position += 1
    }
    texts.append((picked.joined(separator: " "), label))
}
let lines = try texts.map {
    String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0.text, "label": $0.label], options: [.sortedKeys]), as: UTF8.self)
}
try (lines.joined(separator: "\n") + "\n").write(to: work.appendingPathComponent("finetune-\(tokens).jsonl"), atomically: true, encoding: .utf8)
let examples = texts.map { LabelledEncoding(encoding: tokenizer.encode($0.text, maxTokens: 512), label: $0.label) }
let meanTokens = Double(examples.map(\.encoding.count).reduce(0, +)) / Double(examples.count)

var settings = FineTuneSettings(epochs: 1, batchSize: batch, maxTokens: max(128, tokens), threads: threads)
settings.patience = 1
let tuner = FineTuner(encoder: encoder, labels: 2, settings: settings)
var laps: [(wall: Double, cpu: Double)] = []
var lastWall = Date(), lastCPU = cpuSeconds()
let result = try tuner.train(examples, validation: [], progress: { _ in
    let now = Date(), cpu = cpuSeconds()
    laps.append((now.timeIntervalSince(lastWall), cpu - lastCPU))
    lastWall = now
    lastCPU = cpu
}, isCancelled: { false })
let timed = laps.dropFirst(warmup)
let walls = timed.map(\.wall).sorted()
let wall = timed.map(\.wall).reduce(0, +), cpu = timed.map(\.cpu).reduce(0, +)
print(String(format: "full fine-tuning, batch %d, ~%d tokens (mean %.1f): %.1f examples/s (mean over %d steps; median step %.3f s, "
             + "min %.3f s; %.3f s CPU per step); loss %.3f -> %.3f",
             batch, tokens, meanTokens, Double(batch * timed.count) / wall, timed.count, walls[walls.count / 2], walls[0],
             cpu / Double(timed.count), result.curve.stepLoss.first ?? .nan, result.curve.stepLoss.last ?? .nan))
