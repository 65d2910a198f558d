import Basics
import Foundation
import WorkflowModel

/// Everything a running stage may touch.
///
/// Inputs are read-only local paths (files or folders); outputs are paths the task must create,
/// one per declared output (a file, or a folder for outputs such as a model). The engine hashes
/// and publishes the outputs to the content cache after ``TaskType/run(_:)`` returns.
public struct StageContext: Sendable {
    public var stageID: StageID
    /// The stage's parameters, as they entered its action key.
    public var params: [String: JSONValue]
    /// Input name → local path (read-only).
    public var inputs: [String: URL]
    /// Output name → path to create.
    public var outputs: [String: URL]
    /// The workspace root, or the scratch copy of it under `lunette verify`. Relative paths in
    /// params are relative to this folder.
    public var workingDirectory: URL
    /// A private empty folder for temporary files, removed after the stage.
    public var scratchDirectory: URL
    /// The folder holding installed base models (`cache/models` or `$LUNETTE_MODELS`).
    public var modelsDirectory: URL
    /// The environment the task may read (injected; secrets only through ``secret(named:)``).
    public var environment: [String: String]
    /// Where the task reports progress and warnings.
    public var reporter: any StageReporter
    /// A content cache a task may use for its own memoised values (e.g. embeddings).
    public var memo: (any MemoCache)?
    /// Input name → content digest (as in the action key).
    public var inputDigests: [String: ContentHash]
    /// The metric registry, for the `register` stage.
    public var registry: (any MetricRegistry)?

    public init(
        stageID: StageID, params: [String: JSONValue], inputs: [String: URL], outputs: [String: URL],
        workingDirectory: URL, scratchDirectory: URL, modelsDirectory: URL, environment: [String: String],
        reporter: any StageReporter, memo: (any MemoCache)? = nil, inputDigests: [String: ContentHash] = [:],
        registry: (any MetricRegistry)? = nil
    ) {
        self.stageID = stageID
        self.params = params
        self.inputs = inputs
        self.outputs = outputs
        self.workingDirectory = workingDirectory
        self.scratchDirectory = scratchDirectory
        self.modelsDirectory = modelsDirectory
        self.environment = environment
        self.reporter = reporter
        self.memo = memo
        self.inputDigests = inputDigests
        self.registry = registry
    }

    /// The file beside ``scratchDirectory`` where a task that starts processes records their process
    /// group id while they run, so that the next invocation can end them if this one was killed.
    public static let processGroupFileName = "process-group"

    /// The input with this name, or a ``TaskError`` naming it.
    public func input(_ name: String) throws -> URL {
        guard let url = inputs[name] else { throw TaskError("stage \(stageID) has no input '\(name)'") }
        return url
    }

    /// The output with this name, or a ``TaskError`` naming it.
    public func output(_ name: String) throws -> URL {
        guard let url = outputs[name] else { throw TaskError("stage \(stageID) has no output '\(name)'") }
        return url
    }

    /// A string parameter, or `defaultValue`.
    public func string(_ key: String, default defaultValue: String? = nil) -> String? {
        params[key]?.stringValue ?? defaultValue
    }
}

/// Receives what a running stage has to say.
public protocol StageReporter: Sendable {
    /// A line of log output (also kept in the store's stage record).
    func log(_ line: String)
    /// A warning shown to the user at the end of the stage.
    func warning(_ message: String)
    /// Progress: `completed` of `total` units (rows, steps) with a short label.
    func progress(completed: Int, total: Int, label: String)
}

/// A reporter that drops everything; for tests and embedding.
public struct SilentReporter: StageReporter {
    public init() {}
    public func log(_ line: String) {}
    public func warning(_ message: String) {}
    public func progress(completed: Int, total: Int, label: String) {}
}

/// A content-addressed memo a task can use across stages and runs (keyed by the task).
public protocol MemoCache: Sendable {
    func value(for key: ContentHash) -> Data?
    func store(_ data: Data, for key: ContentHash) throws
    /// A value that only holds on this machine (keyed by a path, a size and a modification time, say):
    /// read like any other, but never named in the stage's action record, so it neither makes two
    /// workspaces' records of one action differ nor travels with `lunette push`.
    func localValue(for key: ContentHash) -> Data?
    /// Stores a value that only holds on this machine (see ``localValue(for:)``).
    func storeLocal(_ data: Data, for key: ContentHash) throws
}

extension MemoCache {
    public func localValue(for key: ContentHash) -> Data? { value(for: key) }
    public func storeLocal(_ data: Data, for key: ContentHash) throws { try store(data, for: key) }
}
