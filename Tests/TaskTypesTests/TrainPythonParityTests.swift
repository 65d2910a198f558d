import Basics
import Foundation
import MLCore
import TaskInterface
import Testing
import WorkflowModel

@testable import Scoring
@testable import TaskTypes

/// A Python with torch, transformers and safetensors: `$LUNETTE_PYTHON`, else the benchmark's virtual environment.
enum ParityPython {
    static let executable: URL? = {
        var candidates: [String] = []
        if let python = ProcessInfo.processInfo.environment["LUNETTE_PYTHON"], !python.isEmpty { candidates.append(python) }
        candidates.append(RealBaseModel.repositoryRoot.appendingPathComponent("Benchmarks/.build/torch-venv/bin/python").path)
        for path in candidates where FileManager.default.isExecutableFile(atPath: path) {
            if (try? run(URL(fileURLWithPath: path), ["-c", "import torch, transformers, safetensors"]).status) == 0 {
                return URL(fileURLWithPath: path)
            }
        }
        return nil
    }()

    static var isAvailable: Bool { executable != nil }

    static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs scripts/python-parity.py on a model folder and rows; returns its exit status and output.
    static func check(folder: URL, rows: [CanonicalRow], in directory: URL) throws -> (status: Int32, output: String) {
        let model = try MetricModel(folder: folder, threads: 1)
        let tokenizer = try #require(model.artifact.encoder.tokenizer)
        let inputs: [JSONValue] = try rows.map { row in
            let input = try model.info.rendering.render(row, tokenizer: tokenizer)
            var object: [String: JSONValue] = ["text": .string(input.text), "pair": input.pair.map(JSONValue.string) ?? .null]
            if model.info.headFeatures == .pair, let sides = try model.info.rendering.sides(row) {
                object["sides"] = [.string(sides.first), .string(sides.second)]
            }
            return .object(object)
        }
        let cases: JSONValue = [
            "inputs": .array(inputs),
            "probabilities": .array(try model.probabilities(for: rows).map { .array($0.map(JSONValue.float)) }),
        ]
        let casesURL = directory.appendingPathComponent("cases-\(UUID().uuidString).json")
        try cases.canonicalData.write(to: casesURL)
        let script = RealBaseModel.repositoryRoot.appendingPathComponent("scripts/python-parity.py").path
        return try run(try #require(executable), [script, folder.path, casesURL.path])
    }
}

@Suite(.enabled(if: ParityPython.isAvailable,
                "no Python with torch, transformers and safetensors (set LUNETTE_PYTHON): Python parity not checked"))
struct TrainPythonParityTests {
    @Test(arguments: ["mean", "cls"], [false, true])
    func tinyModelFolderScoresTheSameInPython(pooling: String, pairFeatures: Bool) async throws {
        let fixture = try TrainFixture()
        defer { fixture.stage.remove() }
        let rows = (0..<24).map { index in
            CanonicalRow(row: index + 2, input: index % 2 == 0 ? "the cat is good" : "a dog is bad !",
                         output: index % 3 == 0 ? "hello world" : "the mat", label: index % 2 == 0 ? "true" : "false")
        }
        let metric: JSONValue = ["name": "pairs", "output": "boolean", "labels": ["false", "true"], "input": "input_output"]
        let (_, folder) = try await fixture.run(
            rows: rows, train: ["mode": "head", "pooling": .string(pooling), "l2": 1e-3, "pair_features": .bool(pairFeatures)],
            metric: metric)
        #expect(try MetricModelInfo(folder: folder).headFeatures == (pairFeatures ? .pair : .pooled))
        let result = try ParityPython.check(folder: folder, rows: Array(rows[..<6]), in: fixture.stage.root)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("6 cases, largest probability difference"))
        #expect(result.output.contains("AutoModelForSequenceClassification agrees") == (pooling == "cls" && !pairFeatures))
    }

    @Test(.enabled(if: RealBaseModel.isInstalled, "minilm-l6 is not installed: scripts/install-model minilm-l6"))
    func realModelFolderScoresTheSameInPython() async throws {
        let stage = try StageFixture()
        defer { stage.remove() }
        let rows = Array(try TrainRealModelTests.rows("train").prefix(40))
        try DatasetRows.write(rows, to: stage.url("rows.jsonl"))
        let context = try stage.context(
            stage: "demo/run/train",
            params: ["metric": ["name": "great_review", "output": "boolean", "input": "message"], "train": ["mode": "head"]],
            inputs: ["rows": stage.url("rows.jsonl"), "base_model": try #require(RealBaseModel.directory)],
            outputs: ["model": "model"], environment: [:])
        _ = try await Train().run(context)
        let result = try ParityPython.check(folder: stage.url("model"), rows: Array(rows.prefix(8)), in: stage.root)
        #expect(result.status == 0, "\(result.output)")
    }
}
