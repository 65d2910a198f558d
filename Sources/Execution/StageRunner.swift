import Basics
import ContentCache
import Foundation
import Planning
import TaskInterface
import WorkflowModel

/// Runs one stage's task and publishes its outputs to the content cache.
///
/// The same runner serves `lunette run` (working directory = the workspace) and `lunette verify`
/// (working directory = a scratch copy), so both execute a stage the same way.
public struct StageRunner: Sendable {
    public let cache: ContentCache
    public let modelsDirectory: URL
    public let environment: [String: String]
    public let memo: (any MemoCache)?
    /// Where each stage gets its private scratch folder (`stage-<uuid>/`).
    public let scratchRoot: URL
    /// The metric registry handed to stages (the `register` stage uses it).
    public let registry: (any MetricRegistry)?

    public init(
        cache: ContentCache, modelsDirectory: URL, environment: [String: String], memo: (any MemoCache)? = nil,
        scratchRoot: URL? = nil, registry: (any MetricRegistry)? = nil
    ) {
        self.cache = cache
        self.registry = registry
        self.scratchRoot = scratchRoot ?? cache.root.appendingPathComponent("tmp")
        self.modelsDirectory = modelsDirectory
        self.environment = environment
        self.memo = memo
    }

    /// An input as the runner hands it to a task.
    public enum ResolvedInput: Sendable {
        /// A workspace file or folder, read in place.
        case path(String)
        /// A base model folder.
        case baseModel(String)
        /// An artifact in the cache.
        case artifact(ArtifactRef)
    }

    /// Runs `task` for `blueprint` in `workingDirectory` and publishes every declared output.
    ///
    /// Each workspace output path is checked with ``WorkspacePathGuard`` before the task runs (it
    /// clears old copies) and again before it is published; `protected` are the workspace-relative
    /// paths no output may reach through a symlink (the files the plan reads).
    /// - Returns: what the task said, each output's artifact, and the ``MemoManifest`` of the memo
    ///   entries the task read or wrote (`nil` when none), for its ``ActionRecord/memo``.
    /// - Throws: the task's error, ``TaskError`` when an output is missing or its path goes through a
    ///   symlink out of the workspace, ``CacheError`` on publish.
    public func run(
        _ task: any TaskType, blueprint: StageBlueprint, inputs: [String: ResolvedInput], workingDirectory: URL,
        reporter: any StageReporter, inputDigests: [String: ContentHash] = [:], protected: [String] = []
    ) async throws -> (result: StageResult, outputs: [String: ArtifactRef], memo: ContentHash?) {
        let scratch = scratchRoot.appendingPathComponent("stage-\(UUID().uuidString.lowercased())")
        try FileManager.default.createDirectoryIfNeeded(atPath: scratch.path + "/work")
        defer { try? FileManager.default.removeItem(at: scratch) }

        var inputURLs: [String: URL] = [:]
        for (name, input) in inputs {
            switch input {
            case .path(let path):
                inputURLs[name] = workingDirectory.appendingPathComponent(path)
            case .baseModel(let model):
                inputURLs[name] = modelsDirectory.appendingPathComponent(BaseModel.named(model)?.folder ?? model)
            case .artifact(let ref):
                if ref.kind == .file {
                    inputURLs[name] = cache.objectURL(ref.digest)
                } else {
                    let destination = scratch.appendingPathComponent("inputs/\(safeName(name))")
                    try FileManager.default.createDirectoryIfNeeded(atPath: scratch.path + "/inputs")
                    try cache.materialize(ref, at: destination)
                    inputURLs[name] = destination
                }
            }
        }
        var outputURLs: [String: URL] = [:]
        try FileManager.default.createDirectoryIfNeeded(atPath: scratch.path + "/outputs")
        for (name, workspacePath) in blueprint.outputs {
            if let workspacePath {
                // The task clears the old copy first: a symlink made earlier in this run must not lead it away.
                try WorkspacePathGuard.check(
                    workspacePath, in: workingDirectory, before: "clear or write output '\(name)'", protected: protected)
                let url = workingDirectory.appendingPathComponent(workspacePath)
                try FileManager.default.createDirectoryIfNeeded(atPath: url.deletingLastPathComponent().path)
                outputURLs[name] = url
            } else {
                outputURLs[name] = scratch.appendingPathComponent("outputs/\(safeName(name))")
            }
        }
        let usedMemo = memo.map(RecordingMemo.init)
        let context = StageContext(
            stageID: blueprint.id, params: blueprint.params, inputs: inputURLs, outputs: outputURLs,
            workingDirectory: workingDirectory, scratchDirectory: scratch.appendingPathComponent("work"),
            modelsDirectory: modelsDirectory, environment: environment, reporter: reporter, memo: usedMemo ?? memo,
            inputDigests: inputDigests, registry: registry)
        let result = try await task.run(context)
        try Task.checkCancellation()

        var published: [String: ArtifactRef] = [:]
        for (name, url) in outputURLs.sorted(by: { $0.key < $1.key }) {
            if let workspacePath = blueprint.outputs[name] ?? nil {
                try WorkspacePathGuard.check(
                    workspacePath, in: workingDirectory, before: "publish output '\(name)'", protected: protected)
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                throw TaskError(
                    "task '\(task.id)' finished without writing its output '\(name)'",
                    remedy: blueprint.outputs[name].flatMap { $0 }.map { "make the command write \($0)" })
            }
            published[name] = isDirectory.boolValue
                ? try cache.publish(directoryAt: url) : try cache.publish(fileAt: url)
        }
        return (result, published, usedMemo?.storeManifest())
    }

    private func safeName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}

extension ArtifactRef {
    /// The lock's form of this artifact.
    public var lockedOutput: LockedOutput { LockedOutput(digest: digest, size: size, kind: kind.rawValue) }
}

extension LockedOutput {
    /// The cache's form of this output.
    public var artifactRef: ArtifactRef {
        ArtifactRef(digest: digest, size: size, kind: kind == "directory" ? .directory : .file)
    }
}
