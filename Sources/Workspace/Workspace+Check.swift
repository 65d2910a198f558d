import Basics
import Foundation
import Planning
import WorkflowModel

extension Workspace {
    /// Whether each committed lock matches a fresh plan, for CI.
    ///
    /// Keys are recomputed from the files and the lock alone (a stage whose key matches its lock
    /// entry passes its locked output digests downstream), so a clean clone with no cache can be
    /// checked. Stages whose task type is not part of this build are reported, not counted as stale.
    /// - Throws: ``WorkspaceError`` `invalidManifests` (exit 2).
    public func check(targets: [String] = []) throws -> CheckResult {
        let (projects, warnings) = try loadProjects()
        let store = try openStore(readOnly: true)
        let plan = try makePlan(projects: projects, targets: targets, force: false, trustLock: true, store: store, cache: nil)
        var stale: [PlannedStage] = []
        var unavailable: [PlannedStage] = []
        for stage in plan.stages where stage.action == .run {
            if case .taskNotAvailable = stage.reason {
                unavailable.append(stage)
            } else if case .upstreamWillRun(let upstream) = stage.reason,
                plan.stage(upstream).map({ if case .taskNotAvailable = $0.reason { return true } else { return false } }) == true
                    || unavailable.contains(where: { $0.id == upstream })
            {
                unavailable.append(stage)
            } else {
                stale.append(stage)
            }
        }
        return CheckResult(plan: plan, stale: stale, unavailable: unavailable, warnings: warnings)
    }
}

/// The outcome of `lunette check`.
public struct CheckResult: Sendable {
    public var plan: RunPlan
    /// Stages whose lock entry does not match, each with its reason.
    public var stale: [PlannedStage]
    /// Stages that cannot be checked because their task type is not in this build.
    public var unavailable: [PlannedStage]
    public var warnings: [Diagnostic]

    public var isUpToDate: Bool { stale.isEmpty }
}
