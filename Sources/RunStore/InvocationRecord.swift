import Foundation

/// One row of the `invocation` table: one execution of `lunette run` (or another command).
public struct InvocationRecord: Hashable, Sendable {
    public var id: Int64
    /// The argv joined with spaces (never the environment).
    public var command: String
    public var pid: Int32
    public var startedAt: Date
    /// `nil` while running, or when the process was killed (see ``RunStore/markInterrupted(at:)``).
    public var finishedAt: Date?
    /// `running`, `succeeded`, `failed`, `cancelled` or `interrupted`.
    public var outcome: String
    /// Counts such as `ran`, `reused`, `failed`.
    public var stats: [String: Int]

    public init(
        id: Int64, command: String, pid: Int32, startedAt: Date, finishedAt: Date?, outcome: String,
        stats: [String: Int]
    ) {
        self.id = id
        self.command = command
        self.pid = pid
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.stats = stats
    }
}
