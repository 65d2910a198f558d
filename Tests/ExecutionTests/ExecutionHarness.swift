import Basics
import ContentCache
import Execution
import Foundation
import Planning
import RunStore
import TaskInterface
import WorkflowModel
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A workspace in a temporary folder with a real content cache, an in-memory store and fake task
/// types: plans projects the way `Workspace` does and executes them.
final class ExecutionHarness: Sendable {
    let temp: TemporaryDirectory
    let cache: ContentCache
    let store: RunStore
    let recorder: InvocationRecorder
    let registry: TaskTypeRegistry
    let observer = RecordingObserver()

    /// - Parameter configure: adjusts the registry of fakes (every built-in id by default).
    init(configure: (inout TaskTypeRegistry, InvocationRecorder) -> Void = { _, _ in }) throws {
        temp = try TemporaryDirectory(prefix: "execution")
        cache = try ContentCache(root: temp("cache"))
        store = try RunStore.inMemory()
        recorder = InvocationRecorder()
        var registry = FakeTasks.registry(recorder: recorder)
        configure(&registry, recorder)
        self.registry = registry
        try temp.write("input,label\nyou are kind,false\nyou are awful,true\n", to: "data/test.csv")
        try temp.write("input,label\nhello,false\nidiot,true\n", to: "data/train.csv")
        try temp.write("input,label\nb kind,false\nb awful,true\n", to: "data/test-b.csv")
        try temp.write("input,label\nb hello,false\nb idiot,true\n", to: "data/train-b.csv")
        try temp.write("input\nraw one\nraw two\n", to: "data/raw.csv")
        try temp.write("extra\n", to: "data/extra.txt")
        try temp.write("weights", to: "cache/models/minilm-l6/model.safetensors")
    }

    deinit { temp.remove() }

    var executor: Executor {
        Executor(
            registry: registry,
            runner: StageRunner(cache: cache, modelsDirectory: temp("cache/models"), environment: [:]),
            store: store, workspaceRoot: temp.url, observer: observer)
    }

    /// Plans `projects` with file digests measured now and the cache as the record of what ran.
    func plan(_ projects: [Project], targets: [String] = [], force: Bool = false) throws -> RunPlan {
        var digests: [String: ContentHash] = [:]
        for path in RunPlan.requiredPaths(for: projects) {
            if let measured = try? ContentHash.ofFile(at: temp(path).path) { digests[path] = measured.hash }
        }
        let cache = cache
        return try Planner().plan(
            PlanInputs(
                projects: projects, taskVersions: FakeTasks.versions(of: registry), fileDigests: digests,
                modelDigests: ["minilm-l6": .of("weights")],
                cachedOutputs: { key in cache.record(for: key)?.outputs.mapValues(\.lockedOutput) }, targets: targets,
                force: force))
    }

    /// Plans and executes `projects`.
    func run(
        _ projects: [Project], jobs: Int = 2, keepGoing: Bool = false, pools: [String: Int] = ["train": 1]
    ) async throws -> ExecutionReport {
        let plan = try plan(projects)
        return try await execute(plan, jobs: jobs, keepGoing: keepGoing, pools: pools)
    }

    func execute(
        _ plan: RunPlan, jobs: Int = 2, keepGoing: Bool = false, pools: [String: Int] = ["train": 1]
    ) async throws -> ExecutionReport {
        let invocation = try store.beginInvocation(command: "lunette run", pid: getpid(), at: Date())
        return await executor.execute(
            plan, options: ExecutionOptions(jobs: jobs, keepGoing: keepGoing, pools: pools), invocation: invocation)
    }

    /// The status the store holds for `project/run`.
    func status(_ run: String, project: String = "demo") throws -> RunStatusRecord? {
        try store.runStatuses().first { $0.project == project && $0.run == run }
    }
}

/// Keeps every event, thread-safely.
final class RecordingObserver: ExecutionObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [ExecutionEvent] = []

    func handle(_ event: ExecutionEvent) { lock.withLock { storage.append(event) } }

    var events: [ExecutionEvent] { lock.withLock { storage } }

    /// The statuses `project/run` went through, in order.
    func statuses(of run: String) -> [RunStatus] {
        events.compactMap { event in
            if case .status(_, let name, let status, _) = event, name == run { return status }
            return nil
        }
    }
}

extension ExecutionReport {
    /// `stage: status` per outcome (`run/stage` when `withRun`), in plan order.
    func lines(withRun: Bool = false) -> [String] {
        outcomes.map { outcome in
            let name = withRun ? "\(outcome.id.run)/\(outcome.id.stage)" : outcome.id.stage
            return "\(name): \(outcome.status.name)"
        }
    }

    func outcome(_ stage: String, run: String = "tox") -> StageOutcome? {
        outcomes.first { $0.id.stage == stage && $0.id.run == run }
    }
}

extension RunPlan {
    /// `stage action: reason` per stage, in plan order.
    var lines: [String] { stages.map { "\($0.id.stage) \($0.action.rawValue): \($0.reason.text)" } }
}
