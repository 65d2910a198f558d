import Planning
import WorkflowModel

/// Something the executor wants the user to know, as it happens.
public enum ExecutionEvent: Sendable {
    /// A stage is about to run, and why.
    case started(StageID, task: String, reason: String)
    /// A line the running stage logged.
    case log(StageID, String)
    /// Progress of a running stage.
    case progress(StageID, completed: Int, total: Int, label: String)
    /// A stage ended (ran, reused, failed, skipped, cancelled, not available).
    case finished(StageOutcome)
    /// A run's lifecycle status changed.
    case status(project: String, run: String, RunStatus, reason: String?)
}

/// Receives ``ExecutionEvent``s; called from several tasks at once.
public protocol ExecutionObserver: Sendable {
    func handle(_ event: ExecutionEvent)
}

/// Drops every event.
public struct SilentObserver: ExecutionObserver {
    public init() {}
    public func handle(_ event: ExecutionEvent) {}
}
