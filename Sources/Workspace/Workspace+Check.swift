import Basics
import Foundation
import ManifestLoading
import Planning
import WorkflowModel

extension Workspace {
    /// Whether each committed lock matches a fresh plan, for CI.
    ///
    /// Keys are recomputed from the files and the lock alone (a stage whose key matches its lock
    /// entry passes its locked output digests downstream), so a clean clone with no cache can be
    /// checked. Stages whose task type is not part of this build are reported, not counted as stale.
    ///
    /// A base model that is not installed is a warning here, not an error: its digest is taken from
    /// the lock (the one digest the project's lock records for that model name), as the lock's output
    /// digests are, so a CI runner without the model can check. A stage that needs the model when its
    /// project's lock records no digest for it (or two) is stale, its reason saying the model is not
    /// installed and how to install it.
    /// It also checks the committed files beside the locks: each scores file must hold the scores of
    /// the evaluation reports its lock records (else it is listed in ``CheckResult/staleFiles``), and
    /// the registry file must parse with no version or alias named twice.
    /// - Throws: ``WorkspaceError`` `invalidManifests` (exit 2), for the manifests or the registry file.
    public func check(targets: [String] = []) throws -> CheckResult {
        let (projects, warnings) = try loadProjectsForCheck()
        let registryProblems = registryFileDiagnostics()
        if registryProblems.hasErrors {
            throw WorkspaceError(.invalidManifests, "invalid registry file", diagnostics: registryProblems + warnings)
        }
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
        let selected = Set(plan.stages.map(\.id.project))
        let staleFiles = try staleScoresFiles(projects: projects.filter { selected.contains($0.name) }, locks: try readLocks(projects))
        return CheckResult(plan: plan, stale: stale, unavailable: unavailable, warnings: warnings, staleFiles: staleFiles)
    }

    /// ``loadProjects()`` with a base model that is not installed reported as a warning (for
    /// `check`, and for `push`/`pull`, which never need the model).
    func loadProjectsForCheck() throws -> (projects: [Project], warnings: [Diagnostic]) {
        let result = loadManifests(missingModelSeverity: .warning)
        if result.diagnostics.hasErrors {
            throw WorkspaceError(.invalidManifests, "invalid manifests", diagnostics: result.diagnostics)
        }
        return (applyingFeedback(result.projects), result.diagnostics)
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
    /// Committed files that disagree with their lock (a scores file `lunette run` did not rewrite).
    public var staleFiles: [StaleFile] = []

    public var isUpToDate: Bool { stale.isEmpty && staleFiles.isEmpty }
}

/// A committed file that does not match its lock: what is wrong, and the file.
public struct StaleFile: Sendable, Hashable {
    /// Workspace-relative path.
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}
