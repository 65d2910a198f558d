import Basics
import Execution
import Foundation
import TaskInterface
import TaskTypes
import Testing
import WorkflowModel
import Workspace

/// A temporary copy of `Cases/<name>` with a chosen manifest version, for end-to-end tests.
///
/// Base models are represented by a folder with the files the loader checks for (the engine only
/// hashes them); the real encoder is exercised by MLCore's tests.
final class CaseWorkspace: @unchecked Sendable {
    let root: URL
    let models: URL
    let project: String

    init(_ name: String, project: String, manifest version: String = "v1") throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Cases/\(name)")
        root = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-it-\(UUID().uuidString)")
        models = root.appendingPathComponent("models")
        self.project = project
        try FileManager.default.copyItem(at: source, to: root)
        let model = models.appendingPathComponent("minilm-l6")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        for file in ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"] {
            try Data("stand-in for \(file)\n".utf8).write(to: model.appendingPathComponent(file))
        }
        try use(version)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Makes `workflows/<version>.yaml` the project's manifest.
    func use(_ version: String) throws {
        let text = try String(contentsOf: root.appendingPathComponent("workflows/\(version).yaml"), encoding: .utf8)
        try Data(text.utf8).write(to: root.appendingPathComponent("workflows/\(project).yaml"))
        for other in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("workflows").path)
        where other.hasPrefix("v") && other.hasSuffix(".yaml") {
            try FileManager.default.moveItem(
                at: root.appendingPathComponent("workflows/\(other)"),
                to: root.appendingPathComponent("versions-\(other)"))
        }
    }

    /// Switches to a stored manifest version (after ``use(_:)`` moved them aside).
    func switchTo(_ version: String) throws {
        let text = try String(contentsOf: root.appendingPathComponent("versions-\(version).yaml"), encoding: .utf8)
        try Data(text.utf8).write(to: root.appendingPathComponent("workflows/\(project).yaml"))
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["LUNETTE_MODELS"] = models.path
        environment.removeValue(forKey: "LUNETTE_CACHE")
        return environment
    }

    func workspace(_ extra: [RecordingTask] = RecordingTask.modelStages) -> Workspace {
        var registry = TaskTypeRegistry.builtin
        for type in extra { registry.register(type, as: type.taskID) }
        return Workspace(root: root, registry: registry, environment: environment)
    }

    /// Runs and returns the ids of the stages that executed (not reused).
    @discardableResult
    func run(_ targets: [String] = [], registry extra: [RecordingTask] = RecordingTask.modelStages) async throws -> (ran: [String], report: ExecutionReport) {
        let summary = try await workspace(extra).run(RunRequest(targets: targets))
        let report = try #require(summary.report)
        return (report.outcomes.filter { $0.status == .succeeded }.map { $0.id.description }.sorted(), report)
    }

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: root.appendingPathComponent(path))
    }

    func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }
}

/// A task type standing in for the model stages (train, evaluate, register) in engine tests: it
/// writes a digest of its params and inputs, so the engine's wiring and caching can be checked
/// without fine-tuning anything.
struct RecordingTask: TaskType {
    static let id = "recording"
    static let version = 1
    let taskID: String
    var pool: String? { taskID == "train" ? "train" : nil }

    static let modelStages: [RecordingTask] = [
        RecordingTask(taskID: "train"), RecordingTask(taskID: "evaluate"), RecordingTask(taskID: "register"),
    ]

    func run(_ context: StageContext) async throws -> StageResult {
        var hasher = ContentHasher()
        hasher.update(JSONValue.object(context.params).canonicalText)
        for (name, url) in context.inputs.sorted(by: { $0.key < $1.key }) where name != "base_model" {
            hasher.update(name)
            hasher.update(try Data(contentsOf: url))
        }
        for url in context.outputs.values {
            try Data("\(taskID) \(hasher.finalize())\n".utf8).write(to: url)
        }
        return StageResult(summary: "\(taskID) recorded")
    }
}
