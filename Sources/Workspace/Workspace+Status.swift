import Basics
import Foundation
import Planning
import RunStore
import WorkflowModel

extension Workspace {
    /// Every run of every project with its lifecycle status (`queued` when it never ran).
    ///
    /// A run recorded as `generating data` or `training` whose `lunette` process is gone (SIGKILL, a
    /// crash, a double Ctrl-C) is shown as interrupted: its reason says so, and which process it was.
    /// Needs no write access: the store is opened read-only where it can't be written.
    public func statuses() throws -> [RunStatusView] {
        let (projects, _) = try loadProjects()
        let store = try openStore(readOnly: true)
        let recorded = Dictionary(
            try store.runStatuses().map { ("\($0.project)/\($0.run)", $0) }, uniquingKeysWith: { a, _ in a })
        let inProgress: Set<RunStatus> = [.generatingData, .training]
        let gone = recorded.values.contains { inProgress.contains($0.status) } ? goneRunner(store) : nil
        return projects.flatMap { project in
            project.runs.map { run in
                let record = recorded["\(project.name)/\(run.name)"]
                var view = RunStatusView(
                    project: project.name, run: run.name, metric: run.metric.name, status: record?.status ?? .queued,
                    reason: record?.reason ?? (record == nil ? "never ran" : nil), updatedAt: record?.updatedAt)
                if let record, inProgress.contains(record.status), let pid = gone {
                    view.isInterrupted = true
                    view.reason = "interrupted: lunette \(pid.map { "pid \($0)" } ?? "process") is gone; rerun to resume"
                }
                return view
            }
        }
    }

    /// When no `lunette run` is alive in this workspace: `.some(pid)` of the last one recorded as
    /// running (`.some(nil)` when none was recorded); `nil` while one is alive.
    ///
    /// The run is alive when the workspace lock (`flock`, released by the kernel with its process) is
    /// held by the pid of the invocation still recorded as running. Probing takes the lock shared
    /// for an instant, opening the lock file read-only when it can't be written.
    func goneRunner(_ store: RunStore) -> Int32?? {
        let running = (try? store.recentInvocations(limit: 20))?.first { $0.outcome == "running" }
        let path = stateDirectory.appendingPathComponent("lunette.lock").path
        guard FileManager.default.fileExists(atPath: path) else { return .some(running?.pid) }
        let probe = FileLock(path: path)
        guard let free = try? probe.lockShared(wait: false) else { return nil }  // can't tell: say nothing
        let holder = probe.holderDescription()
        probe.unlock()
        let holderPid = holder.flatMap { text -> Int32? in
            guard text.hasPrefix("pid ") else { return nil }
            return Int32(text.dropFirst(4).prefix { $0.isNumber })
        }
        if !free, let running, holderPid == running.pid { return nil }
        return .some(running?.pid ?? holderPid)
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
        let store = try openStore(readOnly: true)
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
    /// Recorded as in progress, but the `lunette` process running it is gone (``reason`` says which).
    public var isInterrupted = false
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
