import Basics
import Foundation
import ManifestLoading
import Planning
import TaskInterface
import TaskTypes
import Testing
import WorkflowModel

/// One owner per setting (issue #15): each built-in task type declares its settings schema once; the
/// manifest reader, the stage, the planner's keys and the manifest reference all follow it.
@Suite("Settings schemas: one declaration for check, stage, key and reference")
struct SettingsSchemaTests {
    static let schemas = TaskTypeRegistry.builtin.settingsBySection

    /// A workspace holding `workflows/s.yaml` with one run `r` (toxicity, labels false/true) whose line 8
    /// is `line`; returns the load result.
    static func load(
        _ line: String, trainingSet: String = "{ upload: ../data/rows.jsonl }", schemas: [String: SettingsSchema] = schemas
    ) throws
        -> (result: ManifestLoadResult, root: URL)
    {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("workflows"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("data"), withIntermediateDirectories: true)
        try Data("input,label\nhello,false\nbye,true\n".utf8).write(to: root.appendingPathComponent("data/test.csv"))
        try Data("{\"input\":\"hi\",\"label\":\"true\"}\n".utf8).write(to: root.appendingPathComponent("data/rows.jsonl"))
        try Data("""
            project: s
            providers: { p: { kind: offline } }
            runs:
              r:
                metric: toxicity
                test_set: ../data/test.csv
                training_set: \(trainingSet)
            \(line)
            """.utf8).write(to: root.appendingPathComponent("workflows/s.yaml"))
        let result = ManifestLoader(workspaceRoot: root, modelsDirectory: nil, settings: schemas).load(manifestAt: "workflows/s.yaml")
        return (result, root)
    }

    /// What the train stage says about `train` (nil: it accepts), with the run's labels.
    static func stageError(_ train: JSONValue) -> String? {
        do {
            let settings = try TrainSettings(params: ["train": train, "seed": 1, "metric": ["labels": ["false", "true"]]], environment: [:])
            _ = try settings.resolvedClassWeights(counts: [1, 1])
            return nil
        } catch {
            return (error as? TaskError)?.message ?? "\(error)"
        }
    }

    @Test("class_weights: the label mapping, auto and a list pass check and the train stage alike",
          arguments: ["{ \"true\": 2, \"false\": 1 }", "auto", "[1, 2]"])
    func classWeightFormsAccepted(_ yaml: String) throws {
        let (result, root) = try Self.load("    train: { class_weights: \(yaml) }")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics.rendered())")
        let train = try #require(result.project?.runs.first?.train)
        #expect(Self.stageError(.object(train)) == nil)
        let settings = try TrainSettings(params: ["train": .object(train), "metric": ["labels": ["false", "true"]]], environment: [:])
        if yaml.hasPrefix("{") { #expect(settings.classWeights == .explicit([1, 2])) }  // in label order: false, true
        if yaml == "[1, 2]" { #expect(settings.classWeights == .explicit([1, 2])) }
        if yaml == "auto" { #expect(settings.classWeights == .automatic) }
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let key: String, yaml: String, message: String, column: Int
        var testDescription: String { "\(key): \(yaml)" }
    }

    @Test("out-of-range train: values are refused at load, located, in the stage's words", arguments: [
        Refusal(key: "validation_fraction", yaml: "0.7", message: "validation_fraction must be between 0 and 0.5, found 0.7", column: 35),
        Refusal(key: "dropout", yaml: "0.95", message: "dropout must be between 0 and 0.9, found 0.95", column: 23),
        Refusal(key: "epochs", yaml: "5000", message: "epochs must be between 1 and 1000, found 5000", column: 22),
        Refusal(key: "batch_size", yaml: "10000", message: "batch_size must be between 1 and 4096, found 10000", column: 26),
    ])
    func outOfRangeRefusedAtLoad(_ refusal: Refusal) throws {
        let (result, root) = try Self.load("    train: { \(refusal.key): \(refusal.yaml) }")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(result.project == nil)
        let errors = result.diagnostics.filter(\.isError)
        #expect(errors.count == 1, "\(result.diagnostics.rendered())")
        let error = try #require(errors.first)
        #expect(error.message == refusal.message)
        #expect(error.keyPath == "runs.r.train.\(refusal.key)")
        #expect(error.location == Basics.SourceLocation(file: "workflows/s.yaml", line: 8, column: refusal.column))
        let value = try JSONValue.parse(refusal.yaml)
        #expect(Self.stageError([refusal.key: value]) == "train.\(refusal.key): \(refusal.message)")
    }

    @Test("generate: the stage refuses what check refuses, with the same message")
    func generateAgrees() throws {
        let (result, root) = try Self.load("    provider: p", trainingSet: "{ generate: { count: 0 } }")
        defer { try? FileManager.default.removeItem(at: root) }
        let error = try #require(result.diagnostics.first { $0.message.contains("count") })
        #expect(error.message == "count must be at least 1, found 0")
        #expect(error.keyPath == "runs.r.training_set.generate.count")
        let schema = try #require(GenerateData.settings)
        #expect(schema.check(["count": 0]).map(\.message) == ["count must be at least 1, found 0"])
        #expect(schema.check(["label_distribution": ["true": 0, "false": 0]], labels: ["false", "true"]).map(\.message)
                == ["label_distribution gives no label a positive weight"])
    }

    @Test("without a schema a section is kept as written; with one it is checked")
    func schemasAreGiven() throws {
        let (loose, root) = try Self.load("    train: { epochs: 5000 }", schemas: [:])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(!loose.diagnostics.hasErrors)
        #expect(loose.project?.runs.first?.train["epochs"] == 5000)
        #expect(Set(Self.schemas.keys) == ["train", "generate", "split", "gate"])
        #expect(Train.settings?.section == "train" && SplitDataset.settings?.section == "split")
        #expect(RegisterMetric.settings?.names == GateCheck.bounds.map(\.key))
    }

    @Test("every default a schema declares is a value its own check accepts, and the train stage's default")
    func defaultsAreValid() throws {
        for schema in Self.schemas.values {
            for parameter in schema.parameters {
                guard let value = parameter.defaultValue else { continue }
                #expect(schema.check(value, of: parameter, labels: ["false", "true"]).isEmpty, "\(schema.section).\(parameter.name)")
            }
        }
        let recorded = try #require(TrainSettings().jsonValue.objectValue)
        for parameter in TrainSettings.schema.parameters {
            guard let value = parameter.defaultValue else { continue }
            #expect(recorded[parameter.name]?.canonicalText == value.canonicalText
                    || recorded[parameter.name]?.doubleValue == value.doubleValue, "train.\(parameter.name)")
        }
    }

    @Test("a threads change leaves the train stage's action key as it was; an epochs change does not")
    func threadsStayOutOfTheKey() throws {
        func trainKey(_ line: String, keyed: Bool = true) throws -> ContentHash? {
            let (result, root) = try Self.load(line)
            defer { try? FileManager.default.removeItem(at: root) }
            let project = try #require(result.project, "\(result.diagnostics.rendered())")
            let registry = TaskTypeRegistry.builtin
            var inputs = PlanInputs(
                projects: [project],
                taskVersions: Dictionary(uniqueKeysWithValues: registry.ids.compactMap { id in registry.taskType(id: id).map { (id, $0.version) } }),
                fileDigests: Dictionary(uniqueKeysWithValues: RunPlan.requiredPaths(for: [project]).map { ($0, ContentHash.of($0)) }),
                modelDigests: Dictionary(uniqueKeysWithValues: RunPlan.requiredModels(for: [project]).map { ($0, ContentHash.of($0)) }),
                cachedOutputs: { key in
                    Dictionary(uniqueKeysWithValues: ["rows", "seeds", "eval", "model", "report", "entry"].map {
                        ($0, LockedOutput(digest: ContentHash.of(key.hex + $0), size: 1, kind: "file"))
                    })
                })
            if keyed { inputs.taskSettings = registry.settingsByTask }
            let plan = try Planner().plan(inputs)
            return plan.stages.first { $0.blueprint.id.stage == "train" }?.key
        }
        let base = try #require(try trainKey("    train: { epochs: 3 }"))
        #expect(try trainKey("    train: { epochs: 3, threads: 8 }") == base)
        #expect(try trainKey("    train: { epochs: 3, threads: 1 }") == base)
        #expect(try trainKey("    train: { epochs: 4 }") != base)
        // Without the schemas the planner would key threads too (what this test guards against).
        #expect(try trainKey("    train: { epochs: 3, threads: 8 }", keyed: false) != base)
        // The stage still gets the thread count.
        let schema = try #require(Train.settings)
        #expect(schema.keyed(["train": ["threads": 8, "epochs": 3], "seed": 1]) == ["train": ["epochs": 3], "seed": 1])
    }

    @Test("the manifest reference lists exactly each schema's keys, as its table", arguments: ["train", "generate", "split", "gate"])
    func referenceMatchesSchema(_ section: String) throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/ManifestLoading/README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let schema = try #require(Self.schemas[section])
        // The table under the `#### `section:` keys` heading, up to the first line that is not a row.
        let heading = "#### `\(section):` keys"
        let after = try #require(text.range(of: heading), "README.md has no '\(heading)' heading").upperBound
        let rows = text[after...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
            .drop { $0.isEmpty }.prefix { $0.hasPrefix("|") }
        let documented = rows.dropFirst(2).compactMap { row -> String? in
            let cell = row.split(separator: "|").first?.trimmingCharacters(in: .whitespaces) ?? ""
            return cell.hasPrefix("`") ? String(cell.dropFirst().dropLast()) : nil
        }
        #expect(documented == schema.names)
        #expect(rows.joined(separator: "\n") == schema.referenceTable,
                "paste this table under '\(heading)' in Sources/ManifestLoading/README.md:\n\(schema.referenceTable)")
    }
}
