import Basics
import Foundation
import TaskInterface
import WorkflowModel

/// A configurable ``TaskInterface/TaskType`` for engine tests: writes derived or fixed bytes to
/// every output, can sleep, fail, and records each invocation in an ``InvocationRecorder``.
///
/// By default every output is *derived*: the bytes of each input (sorted by input name, folders
/// walked in path order), then the stage's canonical params, then the output's name. So an output
/// changes exactly when an input or a param does, like a real deterministic task.
///
/// ```swift
/// let recorder = InvocationRecorder()
/// var registry = FakeTasks.registry(recorder: recorder)   // a fake for every built-in id
/// registry.register(FakeTaskType<FakeTaskIDs.Train>(recorder: recorder, pool: "train", delay: .milliseconds(50)))
/// ```
public struct FakeTaskType<Identity: FakeTaskIdentity>: TaskType {
    /// What the fake writes to each output.
    public enum Outputs: Sendable {
        /// Input bytes + canonical params + output name (see the type's documentation).
        case derived
        /// The same bytes for every output.
        case fixed(Data)
        /// Bytes per output name; names not listed are derived.
        case perOutput([String: Data])
    }

    public static var id: String { Identity.id }
    public static var version: Int { Identity.version }

    public let recorder: InvocationRecorder
    public var outputs: Outputs
    public var pool: String?
    public var isDeterministic: Bool
    public var statusWhileRunning: RunStatus?
    public var statusAfterSuccess: RunStatus?
    public var statusWhenInputProduced: [String: RunStatus]
    /// How long each invocation sleeps before writing its outputs (cancellation cuts it short).
    public var delay: Duration
    /// Decides, per invocation, whether to fail and with which error; `nil` means succeed.
    public var failure: @Sendable (StageContext) -> TaskError?
    /// Output names the fake leaves unwritten (to test "finished without writing its output").
    public var skippedOutputs: Set<String>

    public init(
        recorder: InvocationRecorder, outputs: Outputs = .derived, pool: String? = nil, isDeterministic: Bool = true,
        statusWhileRunning: RunStatus? = nil, statusAfterSuccess: RunStatus? = nil,
        statusWhenInputProduced: [String: RunStatus] = [:], delay: Duration = .zero,
        failure: @escaping @Sendable (StageContext) -> TaskError? = { _ in nil }, skippedOutputs: Set<String> = []
    ) {
        self.recorder = recorder
        self.outputs = outputs
        self.pool = pool
        self.isDeterministic = isDeterministic
        self.statusWhileRunning = statusWhileRunning
        self.statusAfterSuccess = statusAfterSuccess
        self.statusWhenInputProduced = statusWhenInputProduced
        self.delay = delay
        self.failure = failure
        self.skippedOutputs = skippedOutputs
    }

    /// A fake that always fails with `error`.
    public init(recorder: InvocationRecorder, failingWith error: TaskError, delay: Duration = .zero) {
        self.init(recorder: recorder, delay: delay, failure: { _ in error })
    }

    /// A fake that fails with `error` only for the stages whose names are in `stages` (e.g. `["split"]`)
    /// or whose full id is in it (e.g. `["demo/a/split"]`).
    public init(recorder: InvocationRecorder, failingWith error: TaskError, for stages: Set<String>, delay: Duration = .zero)
    {
        self.init(
            recorder: recorder, delay: delay,
            failure: { context in
                stages.contains(context.stageID.stage) || stages.contains(context.stageID.description) ? error : nil
            })
    }

    public func run(_ context: StageContext) async throws -> StageResult {
        recorder.begin(context.stageID, task: Self.id)
        do {
            if delay > .zero { try await Task.sleep(for: delay) }
            try Task.checkCancellation()
            if let error = failure(context) { throw error }
            var written = 0
            for (name, url) in context.outputs.sorted(by: { $0.key < $1.key }) where !skippedOutputs.contains(name) {
                let bytes = try bytes(for: name, context: context)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try bytes.write(to: url)
                written += bytes.count
            }
            recorder.end(.finished(context.stageID), task: Self.id)
            return StageResult(
                summary: "\(Self.id) wrote \(context.outputs.count - skippedOutputs.count) outputs",
                metrics: ["bytes": .int(written)])
        } catch {
            let cancelled = error is CancellationError || Task.isCancelled
            recorder.end(cancelled ? .cancelled(context.stageID) : .failed(context.stageID), task: Self.id)
            throw error
        }
    }

    private func bytes(for output: String, context: StageContext) throws -> Data {
        switch outputs {
        case .fixed(let data): return data
        case .perOutput(let table) where table[output] != nil: return table[output] ?? Data()
        case .derived, .perOutput: return try Self.derive(output, context: context)
        }
    }

    /// The derived bytes of `output`: inputs by name, then canonical params, then the output name.
    public static func derive(_ output: String, context: StageContext) throws -> Data {
        var data = Data()
        for (name, url) in context.inputs.sorted(by: { $0.key < $1.key }) {
            data.append(Data("[\(name)]\n".utf8))
            data.append(try contents(of: url))
        }
        data.append(Data("[params]\n".utf8))
        data.append(JSONValue.object(context.params).canonicalData)
        data.append(Data("\n[output]\n\(output)\n".utf8))
        return data
    }

    /// A file's bytes; a folder's files (relative path and bytes) in path order; `<missing>` when absent.
    static func contents(of url: URL) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            return Data("<missing>\n".utf8)
        }
        guard isDirectory.boolValue else { return try Data(contentsOf: url) }
        var data = Data()
        let files = (FileManager.default.enumerator(atPath: url.path)?.compactMap { $0 as? String } ?? []).sorted()
        for file in files {
            let child = url.appendingPathComponent(file)
            var childIsDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: child.path, isDirectory: &childIsDirectory),
                !childIsDirectory.boolValue
            else { continue }
            data.append(Data("<\(file)>\n".utf8))
            data.append(try Data(contentsOf: child))
        }
        return data
    }
}

/// Builds registries of fakes.
public enum FakeTasks {
    /// A fake for `id` (one of ``FakeTaskIDs/builtin``, `alpha` or `beta`) with the given settings and
    /// the lifecycle statuses the built-in task type of that id declares (``builtinStatuses``); `nil`
    /// for another id.
    public static func make(
        _ id: String, recorder: InvocationRecorder, outputs: FakeTaskType<FakeTaskIDs.Alpha>.Outputs = .derived,
        pool: String? = nil, delay: Duration = .zero,
        failure: @escaping @Sendable (StageContext) -> TaskError? = { _ in nil }
    ) -> (any TaskType)? {
        func fake<I: FakeTaskIdentity>(_: I.Type) -> any TaskType {
            let converted: FakeTaskType<I>.Outputs
            switch outputs {
            case .derived: converted = .derived
            case .fixed(let data): converted = .fixed(data)
            case .perOutput(let table): converted = .perOutput(table)
            }
            let statuses = builtinStatuses[I.id]
            return FakeTaskType<I>(
                recorder: recorder, outputs: converted, pool: pool, statusWhileRunning: statuses?.whileRunning,
                statusAfterSuccess: statuses?.afterSuccess, statusWhenInputProduced: statuses?.whenInputProduced ?? [:],
                delay: delay, failure: failure)
        }
        switch id {
        case FakeTaskIDs.LoadDataset.id: return fake(FakeTaskIDs.LoadDataset.self)
        case FakeTaskIDs.Split.id: return fake(FakeTaskIDs.Split.self)
        case FakeTaskIDs.Generate.id: return fake(FakeTaskIDs.Generate.self)
        case FakeTaskIDs.Import.id: return fake(FakeTaskIDs.Import.self)
        case FakeTaskIDs.Label.id: return fake(FakeTaskIDs.Label.self)
        case FakeTaskIDs.Train.id: return fake(FakeTaskIDs.Train.self)
        case FakeTaskIDs.Evaluate.id: return fake(FakeTaskIDs.Evaluate.self)
        case FakeTaskIDs.Register.id: return fake(FakeTaskIDs.Register.self)
        case FakeTaskIDs.Exec.id: return fake(FakeTaskIDs.Exec.self)
        case FakeTaskIDs.Alpha.id: return fake(FakeTaskIDs.Alpha.self)
        case FakeTaskIDs.Beta.id: return fake(FakeTaskIDs.Beta.self)
        default: return nil
        }
    }

    /// The lifecycle statuses the built-in task types declare, by id (a test in TaskTypesTests checks
    /// them against the real types).
    public static let builtinStatuses:
        [String: (whileRunning: RunStatus?, afterSuccess: RunStatus?, whenInputProduced: [String: RunStatus])] = [
            "generate": (.generatingData, nil, [:]), "label": (.generatingData, nil, [:]),
            "import": (.generatingData, nil, [:]), "train": (.training, .fineTuned, ["rows": .dataReady]),
            "register": (nil, .registered, [:]),
        ]

    /// A registry with a derived-output fake for each of `ids` (every built-in id by default), all
    /// recording into `recorder`. `train` fakes take a slot in the `train` pool, like the real one.
    public static func registry(
        recorder: InvocationRecorder, ids: [String] = FakeTaskIDs.builtin, delay: Duration = .zero
    ) -> TaskTypeRegistry {
        TaskTypeRegistry(
            ids.compactMap { id in make(id, recorder: recorder, pool: id == "train" ? "train" : nil, delay: delay) })
    }

    /// Task id → version for every task in `registry`, as ``Planning`` wants them.
    public static func versions(of registry: TaskTypeRegistry) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: registry.ids.compactMap { id in registry.taskType(id: id).map { (id, $0.version) } })
    }
}
