import Foundation
import WorkflowModel

/// One row of the `run` table: a run's lifecycle status.
public struct RunStatusRecord: Hashable, Sendable {
    public var project: String
    public var run: String
    public var status: RunStatus
    /// Why it has this status (for `failed`: the error).
    public var reason: String?
    /// When the run was first given a status; kept by later updates.
    public var createdAt: Date
    public var updatedAt: Date

    public init(project: String, run: String, status: RunStatus, reason: String?, createdAt: Date, updatedAt: Date) {
        self.project = project
        self.run = run
        self.status = status
        self.reason = reason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
