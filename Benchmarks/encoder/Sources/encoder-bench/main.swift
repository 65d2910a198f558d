// Measures MLCore's encoder: golden parity, throughput at ~12/60/128 tokens (batch 32) and single-text
// latency at ~16/60 tokens. Writes the texts it used to WORK/texts-N.jsonl so that bench_torch.py
// measures PyTorch on exactly the same inputs.
//
//   encoder-bench MODEL_DIR WORK_DIR [--threads N] [--golden FILE] [--seconds S] [--only throughput|latency]
import Foundation
import MLCore

struct Options {
    var model = URL(fileURLWithPath: "cache/models/minilm-l6")
    var work = URL(fileURLWithPath: "Benchmarks/.build/encoder-work")
    var threads = 2
    var golden: URL?
    var seconds = 3.0
    /// `throughput` or `latency` to run only that part (for profiling).
    var only: String?

    init(_ arguments: [String]) {
        var positional: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let value = index + 1 < arguments.count ? arguments[index + 1] : ""
            switch argument {
            case "--threads": threads = Int(value) ?? threads; index += 1
            case "--golden": golden = URL(fileURLWithPath: value); index += 1
            case "--seconds": seconds = Double(value) ?? seconds; index += 1
            case "--only": only = value; index += 1
            default: positional.append(argument)
            }
            index += 1
        }
        if positional.count > 0 { model = URL(fileURLWithPath: positional[0]) }
        if positional.count > 1 { work = URL(fileURLWithPath: positional[1]) }
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let encoder = try BertEncoder(modelDirectory: options.model, threads: options.threads)
guard let tokenizer = encoder.tokenizer else { fatalError("no tokenizer") }
try FileManager.default.createDirectory(at: options.work, withIntermediateDirectories: true)

let environment = ProcessInfo.processInfo.environment
print("openblas core: \(BLAS.coreName) (OPENBLAS_CORETYPE=\(environment["OPENBLAS_CORETYPE"] ?? "unset"), "
      + "OPENBLAS_L2_SIZE=\(environment["OPENBLAS_L2_SIZE"] ?? "unset")), threads: \(options.threads)")

// Golden parity under this kernel.
if let golden = options.golden, let text = try? String(contentsOf: golden, encoding: .utf8) {
    var worst: Float = 0, tokenMismatches = 0, count = 0
    for line in text.split(separator: "\n") {
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let input = object["text"] as? String, let ids = object["input_ids"] as? [Int],
              let expected = (object["embedding"] as? [NSNumber])?.map(\.floatValue) else { continue }
        count += 1
        if tokenizer.encode(input, maxTokens: 128).ids != ids { tokenMismatches += 1 }
        let vector = try encoder.embed([TextInput(input)], maxTokens: 128)[0]
        worst = max(worst, zip(vector, expected).map { abs($0 - $1) }.max() ?? .infinity)
    }
    print("golden parity: \(count) cases, token mismatches \(tokenMismatches), max abs diff \(worst) "
          + (tokenMismatches == 0 && worst <= 1e-4 ? "OK" : "FAILED"))
}

/// Deterministic English-like texts of about `tokens` tokens ([CLS] and [SEP] included).
func texts(tokens target: Int, count: Int) -> [String] {
    let words = """
        the committee met on tuesday to review the budget for the coming year and agreed that spending on
        public transport should rise while the plan for a new bridge across the river was postponed until
        engineers finish their survey of the old foundations residents who attended the meeting asked about
        noise during construction and the mayor promised regular updates a local school will host an open
        evening next month where families can learn about the changes and share their own ideas for the
        town centre which many people feel has been neglected for too long
        """.split(whereSeparator: \.isWhitespace).map(String.init)
    return (0..<count).map { index in
        var picked: [String] = []
        var position = (index * 7) % words.count
        while tokenizer.encode(picked.joined(separator: " "), maxTokens: 512).count < target {
            picked.append(words[position % words.count])
            position += 1
        }
        return picked.joined(separator: " ")
    }
}

func write(_ texts: [String], name: String) throws {
    let lines = try texts.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0]), as: UTF8.self) }
    try (lines.joined(separator: "\n") + "\n").write(to: options.work.appendingPathComponent(name), atomically: true, encoding: .utf8)
}

func measure(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    let wall = Date(), cpu = clock()
    try body()
    return (Date().timeIntervalSince(wall), Double(clock() - cpu) / Double(CLOCKS_PER_SEC))
}

for target in [12, 60, 128] where options.only != "latency" {
    let batch = texts(tokens: target, count: 256)
    try write(batch, name: "texts-\(target).jsonl")
    let inputs = batch.map { TextInput($0) }
    _ = try encoder.embed(Array(inputs.prefix(64)), maxTokens: 128, batchSize: 32)  // warm up
    var done = 0
    var total = (wall: 0.0, cpu: 0.0)
    while total.wall < options.seconds {
        let lap = try measure { _ = try encoder.embed(inputs, maxTokens: 128, batchSize: 32) }
        total = (total.wall + lap.wall, total.cpu + lap.cpu)
        done += inputs.count
    }
    let mean = Double(batch.map { tokenizer.encode($0, maxTokens: 128).count }.reduce(0, +)) / Double(batch.count)
    print(String(format: "throughput ~%d tokens (mean %.1f): %.1f texts/s (batch 32; %.2f ms CPU per text)",
                 target, mean, Double(done) / total.wall, total.cpu / Double(done) * 1000))
}

for target in [16, 60] where options.only != "throughput" {
    let input = TextInput(texts(tokens: target, count: 1)[0])
    try write([input.text], name: "latency-\(target).jsonl")
    for _ in 0..<5 { _ = try encoder.embed([input]) }
    var laps: [Double] = []
    var cpu = 0.0
    let started = Date()
    while Date().timeIntervalSince(started) < options.seconds / 2 || laps.count < 20 {
        let lap = try measure { _ = try encoder.embed([input]) }
        laps.append(lap.wall)
        cpu += lap.cpu
    }
    let cpuPerCall = cpu / Double(laps.count)
    laps.sort()
    print(String(format: "latency ~%d tokens: median %.2f ms, p90 %.2f ms (%d runs; %.2f ms CPU per call)", target,
                 laps[laps.count / 2] * 1000, laps[laps.count * 9 / 10] * 1000, laps.count, cpuPerCall * 1000))
}
