import Foundation

/// One row of the `stage_execution` table: what one stage did during one invocation, and why.
public struct StageExecutionRecord: Hashable, Sendable {
    public var id: Int64
    public var invocationID: Int64
    /// `project/run/stage`.
    public var stageID: String
    /// The task type id, e.g. `train`.
    public var task: String
    /// The action key (`sha256:…`), when it could be computed.
    public var actionKey: String?
    /// Why it ran or was skipped, as a sentence.
    public var reason: String
    /// `run` or `skip`.
    public var action: String
    public var startedAt: Date
    /// Seconds; `nil` while running or when interrupted.
    public var duration: Double?
    /// `running`, `succeeded`, `failed`, `cancelled`, `skipped`, `reused`, `not-available` or `interrupted`.
    public var outcome: String
    public var error: String?
    public var summary: String?
    /// Output name → `sha256:…`.
    public var outputs: [String: String]
    /// The last lines (at most ``RunStore/logTailLimit``) of the stage's log.
    public var logTail: [String]

    public init(
        id: Int64, invocationID: Int64, stageID: String, task: String, actionKey: String?, reason: String,
        action: String, startedAt: Date, duration: Double?, outcome: String, error: String?, summary: String?,
        outputs: [String: String], logTail: [String]
    ) {
        self.id = id
        self.invocationID = invocationID
        self.stageID = stageID
        self.task = task
        self.actionKey = actionKey
        self.reason = reason
        self.action = action
        self.startedAt = startedAt
        self.duration = duration
        self.outcome = outcome
        self.error = error
        self.summary = summary
        self.outputs = outputs
        self.logTail = logTail
    }
}
