// Scores rows in-process through `MetricModel(folder:)`, the library entry point `lunette score` uses:
// load time, single-row latency (p50/p90/p99) and batch throughput. Writes the rows it used to
// WORK/score-rows-N.jsonl so that bench_torch_score.py and `lunette score` see the same inputs.
//
//   score-bench MODEL_FOLDER WORK_DIR [--threads N] [--seconds S]
import Foundation
import MLCore
import TaskTypes

var positional: [String] = []
var threads = 2, seconds = 3.0
var arguments = Array(CommandLine.arguments.dropFirst())[...]
while let argument = arguments.popFirst() {
    switch argument {
    case "--threads": threads = Int(arguments.popFirst() ?? "") ?? threads
    case "--seconds": seconds = Double(arguments.popFirst() ?? "") ?? seconds
    default: positional.append(argument)
    }
}
guard positional.count == 2 else {
    FileHandle.standardError.write(Data("usage: score-bench MODEL_FOLDER WORK_DIR [--threads N] [--seconds S]\n".utf8))
    exit(2)
}
let folder = URL(fileURLWithPath: positional[0]), work = URL(fileURLWithPath: positional[1])
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)

/// CPU time of the whole process (every thread), in seconds.
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

let environment = ProcessInfo.processInfo.environment
let loadStart = Date(), loadCPU = cpuSeconds()
let model = try MetricModel(folder: folder, threads: threads, batchSize: 32)
print(String(format: "load: %.0f ms wall, %.0f ms CPU", Date().timeIntervalSince(loadStart) * 1000, (cpuSeconds() - loadCPU) * 1000))
print("openblas core: \(BLAS.coreName) (OPENBLAS_CORETYPE=\(environment["OPENBLAS_CORETYPE"] ?? "unset")), threads: \(threads)")
guard let tokenizer = model.artifact.encoder.tokenizer else { fatalError("no tokenizer") }

/// Deterministic message-like rows of about `tokens` tokens ([CLS] and [SEP] included).
func rows(tokens target: Int, count: Int) -> [String] {
    let words = """
        honestly this is the worst reply i have ever read you clearly did not understand the question and
        your answer makes no sense at all please try again and read what i wrote before you respond thanks
        for the quick help yesterday it worked perfectly and my whole team was happy with the result
        """.split(whereSeparator: \.isWhitespace).map(String.init)
    return (0..<count).map { index in
        var picked: [String] = []
        var position = (index * 5) % words.count
        while tokenizer.encode(picked.joined(separator: " "), maxTokens: 512).count < target {
            picked.append(words[position % words.count])
            position += 1
        }
        return picked.joined(separator: " ")
    }
}

func write(_ texts: [String], name: String) throws {
    let lines = try texts.map { String(decoding: try JSONSerialization.data(withJSONObject: ["input": $0]), as: UTF8.self) }
    try (lines.joined(separator: "\n") + "\n").write(to: work.appendingPathComponent(name), atomically: true, encoding: .utf8)
}

// Single row, after load: the whole `predictions(for:)` call (render, tokenize, encode, head, threshold).
let single = rows(tokens: 16, count: 1)
try write(single, name: "score-rows-16-single.jsonl")
let row = [CanonicalRow(row: 1, input: single[0])]
for _ in 0..<10 { _ = try model.predictions(for: row) }
var laps: [Double] = []
let started = Date(), startCPU = cpuSeconds()
while Date().timeIntervalSince(started) < seconds || laps.count < 200 {
    let lap = Date()
    _ = try model.predictions(for: row)
    laps.append(Date().timeIntervalSince(lap))
}
let singleCPU = (cpuSeconds() - startCPU) / Double(laps.count)
let sorted = laps.sorted()
let percentile = { (p: Double) -> Double in sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
print(String(format: "single row ~16 tokens (%d tokens): p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, min %.2f ms (%d calls; %.2f ms CPU per call)",
             tokenizer.encode(single[0], maxTokens: 128).count, percentile(0.5), percentile(0.9), percentile(0.99),
             sorted[0] * 1000, sorted.count, singleCPU * 1000))

// Batches: 1,024 rows per call, batch 32.
for target in [16, 60] {
    let texts = rows(tokens: target, count: 1024)
    try write(texts, name: "score-rows-\(target).jsonl")
    let batch = texts.enumerated().map { CanonicalRow(row: $0.offset + 1, input: $0.element) }
    _ = try model.predictions(for: Array(batch.prefix(64)))
    var done = 0, wall = 0.0
    let cpu0 = cpuSeconds()
    while wall < seconds {
        let lap = Date()
        _ = try model.predictions(for: batch)
        wall += Date().timeIntervalSince(lap)
        done += batch.count
    }
    print(String(format: "batch ~%d tokens: %.1f rows/s (1024 rows per call, batch 32; %.2f ms CPU per row)",
                 target, Double(done) / wall, (cpuSeconds() - cpu0) / Double(done) * 1000))
}
