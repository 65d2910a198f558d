import Basics
import Foundation
import ManifestLoading
import TaskInterface
import TaskTypes
import Testing

/// The manifest reader and the train stage judge every `train:` value alike: a value the train stage
/// (`TrainSettings`) would refuse is refused at load, with a location, and a value the loader accepts is
/// one the train stage takes as the loader hands it on (issue #14). Both check through one declaration,
/// `TrainSettings.schema` (issue #15), so this holds by construction; the table guards the wiring.
@Suite("train: settings, loader and train stage agree")
struct TrainSettingsAgreementTests {
    /// One value of one `train:` key, as written in YAML.
    struct Value: CustomTestStringConvertible, Sendable {
        let key: String
        let yaml: String
        var testDescription: String { "\(key): \(yaml)" }
    }

    /// Each limit of `TrainSettings.init(params:environment:)`, on both sides of it.
    static let table: [(key: String, yaml: [String])] = [
        ("epochs", ["0", "1", "1000", "1001"]), ("batch_size", ["0", "4096", "4097"]),
        ("threads", ["0", "256", "257"]), ("patience", ["0", "1000", "1001"]),
        ("max_tokens", ["7", "8", "512", "513"]), ("seed", ["-3", "12"]),
        ("learning_rate", ["0", "1.0e-10", "1.0e-9", "1", "1.5"]),
        ("warmup_ratio", ["-0.1", "0", "1.0", "1.1"]),
        ("validation_fraction", ["-0.1", "0", "0.5", "0.6", "1.0"]),
        ("weight_decay", ["-1", "0", "10", "10.5"]), ("dropout", ["-0.1", "0", "0.9", "0.95", "1.0"]),
        ("l2", ["0", "1.0e-13", "1.0e-12", "1.0e+6", "2.0e+6"]),
        ("max_gradient_norm", ["0", "1.0e-7", "1.0e-6", "1.0e+6", "2.0e+6"]),
        ("mode", ["auto", "head", "full", "fast"]), ("pooling", ["mean", "cls", "max"]),
        ("cv_folds", ["auto", "0", "1", "2", "20", "21", "-1", "three"]), ("seeds", ["0", "1", "10", "11", "two"]),
        ("threshold", ["macro_f1", "f1", "none", "best", "{ target_precision: 0.9 }", "{ target_recall: 1 }",
                       "{ target_recall: 0 }", "{ target_precision: 1.5 }", "{ target_precision: 0.9, target_recall: 0.5 }",
                       "{ target_f1: 0.5 }", "0.5"]),
        ("include_seeds", ["false", "maybe"]),
        ("class_weights", ["auto", "balanced", "none", "sqrt", "[1, 3]", "[0, 1]", "[1, 2, 3]",
                           "{ \"false\": 1, \"true\": 3 }", "{ \"true\": 3 }"]),
    ]

    static let values: [Value] = table.flatMap { row in row.yaml.map { Value(key: row.key, yaml: $0) } }

    @Test("a value is refused at load exactly when the train stage would refuse it", arguments: values)
    func agree(_ value: Value) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-agree-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("workflows"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("data"), withIntermediateDirectories: true)
        try Data("input,label\nhello,false\n".utf8).write(to: root.appendingPathComponent("data/test.csv"))
        try Data("{\"input\":\"hi\",\"label\":\"true\"}\n".utf8).write(to: root.appendingPathComponent("data/rows.jsonl"))
        try Data("""
            project: agree
            runs:
              r:
                metric: toxicity
                test_set: ../data/test.csv
                training_set: { upload: ../data/rows.jsonl }
                train: { \(value.key): \(value.yaml) }
            """.utf8).write(to: root.appendingPathComponent("workflows/agree.yaml"))
        let result = ManifestLoader(workspaceRoot: root, modelsDirectory: nil, settings: TaskTypeRegistry.builtin.settingsBySection)
            .load(manifestAt: "workflows/agree.yaml")

        // What the train stage gets: the loader's settings when it accepts them, else the value as JSON.
        let train: JSONValue
        if let run = result.project?.runs.first {
            train = .object(run.train)
        } else {
            let json = (try? JSONValue.parse(value.yaml)) ?? .string(value.yaml)
            train = .object([value.key: json])
        }
        // The train stage reads its settings, then weighs the labels (two here) when it starts training.
        let stageAccepts: Bool
        do {
            let settings = try TrainSettings(
                params: ["train": train, "seed": 1, "metric": ["labels": ["false", "true"]]], environment: [:])
            _ = try settings.resolvedClassWeights(counts: [1, 1])
            stageAccepts = true
        } catch {
            stageAccepts = false
        }
        let loaderAccepts = !result.diagnostics.hasErrors
        let verdicts = "loader \(loaderAccepts ? "accepts" : "refuses"), train stage \(stageAccepts ? "accepts" : "refuses")"
        #expect(loaderAccepts == stageAccepts, "\(verdicts):\n\(result.diagnostics.rendered())")
        if !loaderAccepts {
            let firstError = result.diagnostics.first { $0.isError }
            let error = try #require(firstError)
            #expect(error.keyPath?.hasPrefix("runs.r.train.\(value.key)") == true)
            #expect(error.location?.line == 7)
        }
    }
}
