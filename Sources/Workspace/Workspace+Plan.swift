import Basics
import ContentCache
import Execution
import Foundation
import Planning
import RunStore
import WorkflowModel

extension Workspace {
    /// Plans `targets` (all when empty) without running anything.
    ///
    /// Reads input files through the stat cache and looks action keys up in the cache index;
    /// writes nothing but stat-cache entries.
    public func plan(targets: [String] = [], force: Bool = false) throws -> PlanResult {
        try plan(targets: targets, force: force, remote: [:], remoteWarnings: [])
    }

    /// ``plan(targets:force:)``, consulting the remote cache when one is declared: a locked stage
    /// whose result is not here but on the remote is planned as skipped, reason
    /// ``Planning/RunReason/inRemote`` ("skip  in remote"), as `lunette run` will fetch it. One
    /// existence check per such stage, ``remoteJobs()`` at once; an unreachable remote is a warning.
    public func plan(targets: [String] = [], force: Bool = false, consultingRemote: Bool) async throws -> PlanResult {
        guard consultingRemote, !force else { return try plan(targets: targets, force: force) }
        let (remote, remoteWarnings) = try await remoteOutputs(targets: targets)
        return try plan(targets: targets, force: force, remote: remote, remoteWarnings: remoteWarnings)
    }

    func plan(
        targets: [String], force: Bool, remote: [ContentHash: [String: LockedOutput]], remoteWarnings: [Diagnostic]
    ) throws -> PlanResult {
        let (projects, warnings) = try loadProjects()
        let store = try openStore(readOnly: true)
        let cache = try openCache()
        var plan = try makePlan(
            projects: projects, targets: targets, force: force, trustLock: false, store: store, cache: cache, remote: remote)
        for index in plan.stages.indices where plan.stages[index].action == .skip {
            if let key = plan.stages[index].key, remote[key] != nil, cache.record(for: key) == nil {
                plan.stages[index].reason = .inRemote
            }
        }
        try preflight(plan)
        var notes: [StageID: String] = [:]
        for stage in plan.stagesToRun {
            if let note = registry.taskType(id: stage.task)?.planNote(params: stage.blueprint.params) { notes[stage.id] = note }
        }
        return PlanResult(plan: plan, projects: projects, warnings: warnings + remoteWarnings, notes: notes)
    }

    func makePlan(
        projects: [Project], targets: [String], force: Bool, trustLock: Bool, store: RunStore, cache: ContentCache?,
        locks: [String: Lockfile]? = nil, digester given: FileDigester? = nil, remote: [ContentHash: [String: LockedOutput]] = [:]
    ) throws -> RunPlan {
        let digester = given ?? FileDigester(root: root, store: store, now: now)
        defer { digester.save() }
        var fileDigests: [String: ContentHash] = [:]
        for path in RunPlan.requiredPaths(for: projects) {
            if let digest = digester.digest(of: path) { fileDigests[path] = digest }
        }
        // A model that is not installed (a file the loader requires is missing) gets no digest: `check`
        // then takes the one its lock records (see `PlanInputs.trustLock`).
        var modelDigests: [String: ContentHash] = [:]
        for model in RunPlan.requiredModels(for: projects) {
            let folder = modelsDirectory.appendingPathComponent(BaseModel.named(model)?.folder ?? model)
            let required = BaseModel.named(model)?.requiredFiles ?? []
            guard required.allSatisfy({ FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) })
            else { continue }
            if let digest = digester.digest(of: folder.path) { modelDigests[model] = digest }
        }
        let registry = self.registry
        let metrics = StoreRegistry(store: store, root: root, now: now)
        var inputs = PlanInputs(
            projects: projects, taskVersions: taskVersions, fileDigests: fileDigests, modelDigests: modelDigests,
            locks: try locks ?? readLocks(projects),
            cachedOutputs: { key in
                guard let cache, let record = cache.record(for: key) else { return remote[key] }
                // A result another workspace sharing the cache recorded may not hold here (`register`).
                if let task = registry.taskType(id: record.task), !task.cachedResultHolds(
                    outputs: record.outputs.filter { $0.value.kind == .file }.mapValues { cache.objectURL($0.digest) },
                    registry: metrics)
                {
                    return nil
                }
                return record.outputs.mapValues(\.lockedOutput)
            },
            targets: targets, force: force, trustLock: trustLock)
        inputs.taskSettings = registry.settingsByTask
        return try Planner().plan(inputs)
    }

    /// The stage runner `run` and `verify` execute stages with: the stage memo, per-stage scratch
    /// folders and the registry.
    func makeRunner(cache: ContentCache, store: RunStore) -> StageRunner {
        StageRunner(
            cache: cache, modelsDirectory: modelsDirectory, environment: environment,
            memo: CacheMemo(root: cacheDirectory.appendingPathComponent("memo")), scratchRoot: stageScratchRoot,
            registry: StoreRegistry(store: store, root: root, now: now))
    }
}

/// A plan and what it was made from.
public struct PlanResult: Sendable {
    public var plan: RunPlan
    public var projects: [Project]
    /// Manifest warnings.
    public var warnings: [Diagnostic]
    /// What stages that will run say about themselves (provider calls, token estimates).
    public var notes: [StageID: String]
}
