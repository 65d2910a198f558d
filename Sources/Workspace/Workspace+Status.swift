import Basics
import Foundation
import Planning
import RunStore
import WorkflowModel

extension Workspace {
    /// Every run of every project with its lifecycle status (`queued` when it never ran).
    public func statuses() throws -> [RunStatusView] {
        let (projects, _) = try loadProjects()
        let store = try openStore()
        let recorded = Dictionary(
            try store.runStatuses().map { ("\($0.project)/\($0.run)", $0) }, uniquingKeysWith: { a, _ in a })
        return projects.flatMap { project in
            project.runs.map { run in
                let record = recorded["\(project.name)/\(run.name)"]
                return RunStatusView(
                    project: project.name, run: run.name, metric: run.metric.name, status: record?.status ?? .queued,
                    reason: record?.reason ?? (record == nil ? "never ran" : nil), updatedAt: record?.updatedAt)
            }
        }
    }

    /// One run's inputs, its stages with their plan reasons, and what the store recorded of each.
    /// - Parameter name: `project/run`, or `run` when only one project has a run of that name.
    public func show(run name: String) throws -> RunDetails {
        let (projects, _) = try loadProjects()
        let matches = projects.flatMap { project in
            project.runs.filter { name == "\(project.name)/\($0.name)" || name == $0.name }.map { (project, $0) }
        }
        guard matches.count == 1, let (project, run) = matches.first else {
            let all = projects.flatMap { p in p.runs.map { "\(p.name)/\($0.name)" } }
            if matches.count > 1 {
                throw WorkspaceError(
                    .unknownRun, "'\(name)' names runs in several projects",
                    remedy: "write project/run: " + matches.map { "\($0.0.name)/\($0.1.name)" }.joined(separator: ", "))
            }
            throw WorkspaceError(
                .unknownRun, "no run named '\(name)'",
                remedy: Suggestion.hint(for: name, in: all + projects.flatMap { $0.runs.map(\.name) })
                    ?? "`lunette status` lists the runs")
        }
        let store = try openStore()
        let cache = try openCache()
        let plan = try makePlan(
            projects: projects, targets: ["\(project.name)/\(run.name)"], force: false, trustLock: false, store: store,
            cache: cache)
        let executions = Dictionary(
            try store.latestExecutions(project: project.name, run: run.name).map { ($0.stageID, $0) },
            uniquingKeysWith: { a, _ in a })
        let status = try store.runStatuses().first { $0.project == project.name && $0.run == run.name }
        return RunDetails(
            project: project, run: run, status: status?.status ?? .queued, statusReason: status?.reason,
            stages: plan.stages.filter { $0.id.runPath == "\(project.name)/\(run.name)" }.map {
                StageDetails(planned: $0, lastExecution: executions[$0.id.description])
            })
    }
}

/// A run's row in `lunette status`.
public struct RunStatusView: Sendable, Hashable {
    public var project: String
    public var run: String
    public var metric: String
    public var status: RunStatus
    public var reason: String?
    public var updatedAt: Date?
}

/// What `lunette show` prints.
public struct RunDetails: Sendable {
    public var project: Project
    public var run: Run
    public var status: RunStatus
    public var statusReason: String?
    public var stages: [StageDetails]
}

/// A stage in `lunette show`: what the plan says now, and its last recorded execution.
public struct StageDetails: Sendable {
    public var planned: PlannedStage
    public var lastExecution: StageExecutionRecord?
}
