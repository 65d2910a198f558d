import Basics
import Foundation
import NearDuplicateFilter
import Planning
import TaskInterface
import Testing
import WorkflowModel
import _TestSupport

/// The example of a task type written outside Lunette (`examples/custom-task`): the near-duplicate
/// filter's decisions, and the `lunette-dedupe` executable running the example's manifest end to end.
@Suite("Custom task type: the near-duplicate filter example", .serialized)
struct CustomTaskTypeTests {
    static let settings = NearDuplicateFilter.Settings(similarity: 0.6, shingle: 3, compare: "input")

    @Test("a near-duplicate with the same label is dropped, one with another label kept as a conflict")
    func filterDecides() {
        let rows: [(text: String, label: String?)] = [
            ("the cat sat on the mat today", "true"),
            ("The cat sat on the mat, today!", "true"),          // the same words: dropped
            ("the cat sat on the mat yesterday", "true"),        // 4 of 6 shingles shared (0.67): dropped at 0.6
            ("a completely different message about dogs", "true"),
            ("the cat sat on the mat today", "false"),           // same text, other label: kept, a conflict
            ("", "true"), ("!!!", "true"),                       // no words: the second repeats the first
        ]
        let outcome = NearDuplicateFilter.filter(rows, settings: Self.settings)
        #expect(outcome.kept == [0, 3, 4, 5])
        #expect(outcome.dropped == [1: 0, 2: 0, 6: 5])
        #expect(outcome.conflicts == [.init(later: 4, earlier: 0)])

        var strict = Self.settings
        strict.similarity = 0.9
        #expect(NearDuplicateFilter.filter(rows, settings: strict).kept == [0, 2, 3, 4, 5])
    }

    @Test("settings: defaults, compare auto from the metric's input, a bad value named with its key")
    func settingsFromParams() throws {
        let pair = try NearDuplicateFilter.settings(from: ["metric": .object(["input": "input_output"])])
        #expect(pair == NearDuplicateFilter.Settings(similarity: 0.9, shingle: 3, compare: "both"))
        let message = try NearDuplicateFilter.settings(
            from: ["settings": .object(["similarity": 0.7]), "metric": .object(["input": "message"])])
        #expect(message.similarity == 0.7 && message.compare == "input")
        do {
            _ = try NearDuplicateFilter.settings(from: ["settings": .object(["similarity": 2])])
            Issue.record("similarity 2 was accepted")
        } catch let error as TaskError {
            #expect(error.message.hasPrefix("settings.similarity: "), "\(error.message)")
        }
    }

    /// `lunette-dedupe`, built beside `lunette`.
    static var binary: URL { ProcessTests.binary.deletingLastPathComponent().appendingPathComponent("lunette-dedupe") }

    /// A copy of `examples/custom-task` (manifest and data) with the tiny encoder as its base model.
    static func example() throws -> (root: URL, environment: [String: String]) {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../examples/custom-task").standardizedFileURL
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-custom-\(UUID().uuidString)")
        for folder in ["workflows", "data"] {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source.appendingPathComponent(folder), to: root.appendingPathComponent(folder))
        }
        // Fast: 120 generated rows, the frozen-encoder head.
        let manifest = root.appendingPathComponent("workflows/dedupe.yaml")
        var text = try String(contentsOf: manifest, encoding: .utf8)
        text = text.replacingOccurrences(of: "generate: { count: 400 }", with: "generate: { count: 120 }\n    train: { mode: head }")
        try Data(text.utf8).write(to: manifest)
        let models = root.appendingPathComponent("models")
        try TinyModel.write(to: models.appendingPathComponent("minilm-l6"))
        var environment = ProcessInfo.processInfo.environment
        environment["LUNETTE_MODELS"] = models.path
        environment.removeValue(forKey: "LUNETTE_CACHE")
        return (root, environment)
    }

    static func run(_ binary: URL, _ arguments: [String], in root: URL, environment: [String: String]) throws -> ProcessTests.Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = root
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessTests.Result(
            status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
            error: String(decoding: error, as: UTF8.self))
    }

    @Test("lunette-dedupe runs the example: dedupe drops rows, train reads its rows; plain lunette refuses the manifest")
    func exampleEndToEnd() throws {
        let (root, environment) = try Self.example()
        defer { try? FileManager.default.removeItem(at: root) }

        let check = try Self.run(ProcessTests.binary, ["check"], in: root, environment: environment)
        #expect(check.status == 2, "\(check.output)\(check.error)")
        #expect(check.error.contains("no task type 'near-duplicate-filter' is registered in this lunette"), "\(check.error)")
        #expect(check.error.contains("workflows/dedupe.yaml:"), "\(check.error)")

        let run = try Self.run(Self.binary, ["run"], in: root, environment: environment)
        #expect(run.status == 0, "\(run.output)\(run.error)")
        let summary = try #require(
            run.output.split(separator: "\n").first { $0.contains("dedupe") && $0.contains("near-duplicate(s) dropped") },
            "\(run.output)")
        let numbers = summary.split(separator: " ").compactMap { Int($0) }
        // "kept K of N rows: D near-duplicate(s) dropped": the offline provider's variations nearly repeat.
        let (kept, total, dropped) = (numbers[0], numbers[1], numbers[2])
        #expect(total == 120 && dropped > 0 && kept + dropped == total, "\(summary)")

        let lockText = try String(contentsOf: root.appendingPathComponent("workflows/dedupe.lock"), encoding: .utf8)
        let lock = try Lockfile.parse(lockText, file: "workflows/dedupe.lock")
        let dedupe = try #require(lock.stages[StageID(project: "dedupe", run: "toxicity", stage: "dedupe")])
        let train = try #require(lock.stages[StageID(project: "dedupe", run: "toxicity", stage: "train")])
        let generate = try #require(lock.stages[StageID(project: "dedupe", run: "toxicity", stage: "generate")])
        #expect(dedupe.task == "near-duplicate-filter" && dedupe.version == NearDuplicateFilter.version)
        #expect(dedupe.inputs["rows"] == generate.outputs["rows"]?.digest)
        #expect(train.inputs["rows"] == dedupe.outputs["rows"]?.digest)
        #expect(train.inputs["rows"] != generate.outputs["rows"]?.digest)
        #expect(lockText.contains(#""settings":{"similarity":0.6}"#))

        // The same inputs give the same rows: a second run re-runs nothing; the lock is unchanged.
        let again = try Self.run(Self.binary, ["run"], in: root, environment: environment)
        #expect(again.status == 0, "\(again.error)")
        #expect(try String(contentsOf: root.appendingPathComponent("workflows/dedupe.lock"), encoding: .utf8) == lockText)
        let status = try Self.run(Self.binary, ["check"], in: root, environment: environment)
        #expect(status.status == 0, "\(status.output)\(status.error)")

        // A setting out of the schema's range is refused by check, located, before anything runs.
        let manifest = root.appendingPathComponent("workflows/dedupe.yaml")
        let text = try String(contentsOf: manifest, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "similarity: 0.6", with: "similarity: 1.6").utf8).write(to: manifest)
        let bad = try Self.run(Self.binary, ["check"], in: root, environment: environment)
        #expect(bad.status == 2)
        #expect(bad.error.contains("similarity must be"), "\(bad.error)")
        #expect(bad.error.contains("runs.toxicity.stages.dedupe.settings.similarity"), "\(bad.error)")
    }
}
