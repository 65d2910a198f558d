import Basics
import ContentCache
import Foundation
import Planning
import RunStore
import TaskInterface
import WorkflowModel

/// Executes a ``RunPlan``: stale stages in dependency order, up to `jobs` at a time, with resource
/// pools, recording every stage in the store and publishing outputs to the cache.
///
/// Decisions made here rather than in planning, because they need the upstream outputs:
/// a stage whose key was unknown at planning time computes it once its inputs exist, and is
/// reused when the cache already holds that action (an upstream re-run that produced the same
/// bytes stops here). Cached outputs that a running stage is about to read are re-hashed first;
/// a corrupt object is quarantined and the stage that made it runs again.
public final class Executor: Sendable {
    public let registry: TaskTypeRegistry
    public let runner: StageRunner
    public let store: RunStore
    public let workspaceRoot: URL
    public let observer: any ExecutionObserver
    /// The wall clock, injected.
    public let now: @Sendable () -> Date
    /// Digest of a workspace file (through the stat cache), for restoring exec outputs.
    public let workspaceFileDigest: @Sendable (String) -> ContentHash?
    /// On a local cache miss, brings action `key`'s record and outputs from a remote cache when it
    /// has them (read-through); the remote's name when it did, `nil` otherwise.
    public let remoteLookup: (@Sendable (ContentHash, StageID) async -> String?)?

    public init(
        registry: TaskTypeRegistry, runner: StageRunner, store: RunStore, workspaceRoot: URL,
        observer: any ExecutionObserver = SilentObserver(), now: @escaping @Sendable () -> Date = { Date() },
        workspaceFileDigest: @escaping @Sendable (String) -> ContentHash? = { _ in nil },
        remoteLookup: (@Sendable (ContentHash, StageID) async -> String?)? = nil
    ) {
        self.remoteLookup = remoteLookup
        self.registry = registry
        self.runner = runner
        self.store = store
        self.workspaceRoot = workspaceRoot
        self.observer = observer
        self.now = now
        self.workspaceFileDigest = workspaceFileDigest
    }

    /// Runs every stage of `plan` that needs it and reuses the rest.
    /// - Parameter invocation: the store's invocation id that stage records belong to.
    public func execute(_ plan: RunPlan, options: ExecutionOptions, invocation: Int64) async -> ExecutionReport {
        let clock = ContinuousClock()
        let started = clock.now
        var scheduler = Scheduler(plan: plan)
        let runStages = Dictionary(grouping: plan.stages.map(\.blueprint), by: { $0.id.runPath })
        markQueued(plan)
        let protected = protectedPaths(plan)

        await withTaskGroup(of: StageOutcome.self) { group in
            var running = 0
            var poolUse: [String: Int] = [:]
            var stopLaunching = false
            while true {
                if !stopLaunching && !Task.isCancelled {
                    for index in scheduler.takeReady(limit: options.jobs - running, fits: { stage in
                        guard let pool = self.registry.taskType(id: stage.task)?.pool else { return true }
                        return poolUse[pool, default: 0] < options.pools[pool, default: 1]
                    }, reserve: { stage in
                        if let pool = self.registry.taskType(id: stage.task)?.pool { poolUse[pool, default: 0] += 1 }
                    }) {
                        let stage = plan.stages[index]
                        let upstream = scheduler.upstreamOutcomes(of: index)
                        let needsVerification = scheduler.hasRunningDependent(index)
                        let siblings = runStages[stage.id.runPath] ?? []
                        running += 1
                        group.addTask {
                            await self.executeStage(
                                stage, upstream: upstream, options: options, invocation: invocation,
                                verifyOutputs: needsVerification, runStages: siblings, protected: protected)
                        }
                    }
                }
                guard running > 0, let outcome = await group.next() else { break }
                running -= 1
                if let pool = registry.taskType(id: plan.stage(outcome.id)?.task ?? "")?.pool {
                    poolUse[pool, default: 1] -= 1
                }
                observer.handle(.finished(outcome))
                for skipped in scheduler.complete(outcome) { observer.handle(.finished(skipped)) }
                if case .failed = outcome.status, !options.keepGoing { stopLaunching = true }
            }
        }
        let cancelled = Task.isCancelled
        for leftover in scheduler.finishUnstarted(cancelled: cancelled) { observer.handle(.finished(leftover)) }
        let report = ExecutionReport(outcomes: scheduler.orderedOutcomes(), duration: clock.now - started)
        settleStatuses(report, plan: plan)
        return report
    }

    // MARK: - One stage

    private func executeStage(
        _ stage: PlannedStage, upstream: [StageID: StageOutcome], options: ExecutionOptions, invocation: Int64,
        verifyOutputs: Bool, runStages: [StageBlueprint], protected: [String]
    ) async -> StageOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let blueprint = stage.blueprint
        guard let task = registry.taskType(id: stage.task) else {
            let message = "task type '\(stage.task)' not available yet"
            record(invocation, stage, key: nil, reason: message, action: "run", outcome: "not-available", error: message)
            return StageOutcome(id: stage.id, status: .notAvailable(message), reason: message)
        }
        var digests: [String: ContentHash] = [:]
        var resolved: [String: StageRunner.ResolvedInput] = [:]
        for (name, source) in blueprint.inputs {
            switch source {
            case .file(let path):
                guard let digest = stage.inputDigests[name] else {
                    return fail(stage, invocation, "input \(path) is missing", start: start, clock: clock)
                }
                digests[name] = digest
                resolved[name] = .path(path)
            case .baseModel(let model):
                guard let digest = stage.inputDigests[name] else {
                    return fail(stage, invocation, "base model \(model) is not installed", start: start, clock: clock)
                }
                digests[name] = digest
                resolved[name] = .baseModel(model)
            case .stage(let producer, let output):
                guard let ref = upstream[producer]?.outputs[output] else {
                    return fail(stage, invocation, "stage \(producer) has no output '\(output)'", start: start, clock: clock)
                }
                digests[name] = ref.digest
                resolved[name] = .artifact(ref.artifactRef)
            }
        }
        let parts: ActionKeyParts
        let key: ContentHash
        if let planned = stage.parts, let plannedKey = stage.key, planned.version == task.version, planned.inputs == digests {
            (parts, key) = (planned, plannedKey)  // the planner keyed these very parts: no second hash
        } else {
            let keyed = task.settingsSchema?.keyed(blueprint.params) ?? blueprint.params  // as the planner keys it
            parts = ActionKeyParts(task: stage.task, version: task.version, params: keyed, inputs: digests)
            key = parts.key
        }
        var reason = stage.reason.text
        // The plan already found an up-to-date stage's outputs in the cache (present, right size);
        // re-read the index only when they must be re-hashed for a stage that will read them.
        let planned = stage.action == .skip && !verifyOutputs && stage.key == key
            ? stage.knownOutputs.map { known in
                ActionRecord(key: key, task: stage.task, taskVersion: task.version, stage: stage.id.description,
                             outputs: known.mapValues(\.artifactRef))
            } : nil
        // The index is read once; on a local miss a stage another clone ran and pushed is fetched
        // (read-through) and read again, not re-run.
        let local = stage.reason != .forced && planned == nil ? runner.cache.record(for: key) : nil
        var fromRemote: String?
        if stage.reason != .forced, planned == nil, local == nil, let remoteLookup {
            fromRemote = await remoteLookup(key, stage.id)
        }
        if stage.reason != .forced,
            let cached = planned ?? local ?? (fromRemote != nil ? runner.cache.record(for: key) : nil)
        {
            if !task.cachedResultHolds(
                outputs: cached.outputs.filter { $0.value.kind == .file }.mapValues { runner.cache.objectURL($0.digest) },
                registry: runner.registry)
            {
                reason = "the cached result does not hold in this workspace (made by another sharing the cache); re-running"
            } else {
                let reused: [String: LockedOutput]?
                do {
                    reused = try reuse(cached, stage: stage, verify: verifyOutputs, parts: parts, protected: protected)
                } catch {
                    return fail(stage, invocation, String(describing: error), start: start, clock: clock)
                }
                if let reused {
                    let why =
                        fromRemote.map { "up to date (read from the remote cache \($0))" }
                        ?? (stage.action == .skip
                            ? "up to date"
                            : stage.key != nil
                                ? "up to date (an identical stage just ran)" : "up to date (upstream re-ran with the same result)")
                    if stage.action == .run {
                        record(invocation, stage, key: key, reason: why, action: "skip", outcome: "reused", error: nil)
                    }
                    return StageOutcome(
                        id: stage.id, status: .reused, reason: why, key: key, parts: parts, outputs: reused,
                        duration: clock.now - start)
                }
                reason = "cached output was corrupt (quarantined); re-running"
            }
        }

        observer.handle(.started(stage.id, task: stage.task, reason: reason))
        if let status = lifecycle.statusWhileRunning(blueprint) {
            setStatus(stage.id, status, reason: nil)
        }
        let recordID = try? store.beginStage(
            invocation: invocation, stageID: stage.id.description, task: stage.task, key: key.description,
            reason: reason, action: "run", at: now())
        let log = StageLog(stageID: stage.id, observer: observer)
        do {
            let (result, refs, memo) = try await runner.run(
                task, blueprint: blueprint, inputs: resolved, workingDirectory: workspaceRoot, reporter: log,
                inputDigests: digests, protected: protected)
            try runner.cache.store(
                ActionRecord(
                    key: key, task: stage.task, taskVersion: task.version, stage: stage.id.description, outputs: refs, memo: memo))
            let outputs = refs.mapValues(\.lockedOutput)
            let duration = clock.now - start
            if let recordID {
                try? store.finishStage(
                    recordID, outcome: "succeeded", duration: duration.seconds, error: nil, summary: result.summary,
                    outputs: outputs.mapValues { $0.digest.description }, logTail: log.tail)
            }
            if let status = lifecycle.statusAfterSuccess(blueprint, in: runStages) {
                setStatus(stage.id, status, reason: nil)
            }
            return StageOutcome(
                id: stage.id, status: .succeeded, reason: reason, key: key, parts: parts, outputs: outputs,
                duration: duration, summary: result.summary, warnings: result.warnings + log.collectedWarnings)
        } catch {
            let duration = clock.now - start
            let cancelled = error is CancellationError || Task.isCancelled
            let message = cancelled ? "cancelled" : String(describing: error)
            if let recordID {
                try? store.finishStage(
                    recordID, outcome: cancelled ? "cancelled" : "failed", duration: duration.seconds,
                    error: message, summary: nil, outputs: [:], logTail: log.tail)
            }
            if cancelled {
                return StageOutcome(id: stage.id, status: .cancelled, reason: reason, key: key, duration: duration)
            }
            let code = (error as? TaskError)?.code
            if code == .notAvailable {
                return StageOutcome(id: stage.id, status: .notAvailable(message), reason: reason, key: key)
            }
            return StageOutcome(
                id: stage.id, status: .failed(message), reason: reason, key: key, duration: duration,
                warnings: log.collectedWarnings, failureCode: code)
        }
    }

    /// What no output may reach through a symlink made during the run (``WorkspacePathGuard``):
    /// every file the plan reads that no stage writes, and the cache and models folders when they
    /// lie in the workspace.
    private func protectedPaths(_ plan: RunPlan) -> [String] {
        var paths: Set<String> = []
        for stage in plan.stages {
            for case .file(let path) in stage.blueprint.inputs.values { paths.insert(path) }
        }
        for stage in plan.stages {
            for case .some(let path) in stage.blueprint.outputs.values { paths.remove(path) }
        }
        let root = workspaceRoot.standardizedFileURL.path + "/"
        for folder in [runner.cache.root, runner.modelsDirectory] {
            let path = folder.standardizedFileURL.path
            if path.hasPrefix(root) { paths.insert(String(path.dropFirst(root.count))) }
        }
        return paths.sorted()
    }

    /// The record's outputs when they are intact (re-hashed when a running stage will read them),
    /// with workspace copies of exec outputs restored; `nil` when an object is corrupt.
    /// - Throws: ``TaskInterface/TaskError`` when an exec output's path now goes through a symlink
    ///   out of the workspace (``WorkspacePathGuard``): nothing is removed or written there.
    private func reuse(
        _ record: ActionRecord, stage: PlannedStage, verify: Bool, parts: ActionKeyParts, protected: [String]
    ) throws -> [String: LockedOutput]?
    {
        let cache = runner.cache
        for ref in record.outputs.values where verify {
            if (try? cache.verify(ref)) != true {
                try? cache.quarantine(ref.digest)
                try? cache.removeRecord(for: record.key)
                return nil
            }
        }
        for (name, workspacePath) in stage.blueprint.outputs {
            guard let path = workspacePath, let ref = record.outputs[name] else { continue }
            if ref.kind == .file, workspaceFileDigest(path) == ref.digest { continue }
            let url = workspaceRoot.appendingPathComponent(path, isDirectory: ref.kind == .directory)
            if ref.kind == .directory, FileManager.default.fileExists(atPath: url.path) { continue }
            try WorkspacePathGuard.check(path, in: workspaceRoot, before: "restore output '\(name)'", protected: protected)
            do {
                try? FileManager.default.removeItem(at: url)
                try FileManager.default.createDirectoryIfNeeded(atPath: url.deletingLastPathComponent().path)
                try cache.materialize(ref, at: url)
            } catch {
                try? cache.removeRecord(for: record.key)
                return nil
            }
        }
        return record.outputs.mapValues(\.lockedOutput)
    }

    private func fail(
        _ stage: PlannedStage, _ invocation: Int64, _ message: String, start: ContinuousClock.Instant,
        clock: ContinuousClock
    ) -> StageOutcome {
        record(invocation, stage, key: nil, reason: stage.reason.text, action: "run", outcome: "failed", error: message)
        return StageOutcome(id: stage.id, status: .failed(message), reason: stage.reason.text, duration: clock.now - start)
    }

    private func record(
        _ invocation: Int64, _ stage: PlannedStage, key: ContentHash?, reason: String, action: String, outcome: String,
        error: String?
    ) {
        guard
            let id = try? store.beginStage(
                invocation: invocation, stageID: stage.id.description, task: stage.task, key: key?.description,
                reason: reason, action: action, at: now())
        else { return }
        try? store.finishStage(id, outcome: outcome, duration: 0, error: error, summary: nil, outputs: [:], logTail: [])
    }

    // MARK: - Statuses

    private var lifecycle: LifecycleRules { LifecycleRules(registry: registry) }

    private func setStatus(_ id: StageID, _ status: RunStatus, reason: String?) {
        try? store.setRunStatus(project: id.project, run: id.run, status: status, reason: reason, at: now())
        observer.handle(.status(project: id.project, run: id.run, status, reason: reason))
    }

    private func markQueued(_ plan: RunPlan) {
        var seen: Set<String> = []
        for stage in plan.stages where stage.action == .run && seen.insert(stage.id.runPath).inserted {
            setStatus(stage.id, .queued, reason: nil)
        }
    }

    /// Sets each run's final status from its stages' outcomes.
    private func settleStatuses(_ report: ExecutionReport, plan: RunPlan) {
        let byRun = Dictionary(grouping: report.outcomes, by: { $0.id.runPath })
        let existing = Dictionary(
            ((try? store.runStatuses()) ?? []).map { ("\($0.project)/\($0.run)", $0.status) }, uniquingKeysWith: { a, _ in a })
        for (runPath, outcomes) in byRun.sorted(by: { $0.key < $1.key }) {
            guard let first = outcomes.first else { continue }
            if let failed = outcomes.first(where: { if case .failed = $0.status { return true } else { return false } }),
                case .failed(let message) = failed.status
            {
                let reason = failed.failureCode?.isRunVerdict == true ? message : "stage \(failed.id.stage) failed: \(message)"
                setStatus(first.id, .failed, reason: String(reason.prefix(500)))
            } else if outcomes.contains(where: { $0.status == .cancelled }) {
                setStatus(first.id, .cancelled, reason: "interrupted by the user")
            } else if let waiting = outcomes.first(where: { if case .notAvailable = $0.status { return true } else { return false } }) {
                setStatus(first.id, .queued, reason: "waiting for stage \(waiting.id.stage): task type '\(plan.stage(waiting.id)?.task ?? "")' not available yet")
            } else if let blocked = outcomes.first(where: {
                if case .skipped = $0.status { return true } else { return false }
            }), case .skipped(let because) = blocked.status {
                setStatus(first.id, .queued, reason: "\(because) (another run failed; use --keep-going to run independent runs)")
            } else if outcomes.allSatisfy(\.isComplete) {
                let final = lifecycle.finalStatus(tasks: outcomes.compactMap { plan.stage($0.id)?.task })
                if existing[runPath] != final { setStatus(first.id, final, reason: nil) }
            }
        }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
