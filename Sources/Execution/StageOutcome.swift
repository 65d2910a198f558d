import Basics
import Foundation
import Planning
import TaskInterface
import WorkflowModel

/// What happened to one stage in an invocation.
public struct StageOutcome: Hashable, Sendable {
    public enum Status: Hashable, Sendable {
        /// The task ran and its outputs were published.
        case succeeded
        /// The outputs came from the cache.
        case reused
        /// The task failed with this message.
        case failed(String)
        /// The stage did not start because of the named stage.
        case skipped(because: String)
        /// Ctrl-C or a cancelled parent task stopped it.
        case cancelled
        /// Its task type is not part of this build.
        case notAvailable(String)

        /// The store's name for it.
        public var name: String {
            switch self {
            case .succeeded: return "succeeded"
            case .reused: return "reused"
            case .failed: return "failed"
            case .skipped: return "skipped"
            case .cancelled: return "cancelled"
            case .notAvailable: return "not-available"
            }
        }
    }

    public var id: StageID
    public var status: Status
    /// Why the stage ran or was reused, in plain words.
    public var reason: String
    public var key: ContentHash?
    public var parts: ActionKeyParts?
    public var outputs: [String: LockedOutput]
    public var duration: Duration
    public var summary: String?
    public var warnings: [String]
    /// The code of the ``TaskInterface/TaskError`` a failed stage threw (nil for any other error).
    public var failureCode: TaskError.Code?

    public init(
        id: StageID, status: Status, reason: String, key: ContentHash? = nil, parts: ActionKeyParts? = nil,
        outputs: [String: LockedOutput] = [:], duration: Duration = .zero, summary: String? = nil, warnings: [String] = [],
        failureCode: TaskError.Code? = nil
    ) {
        self.id = id
        self.status = status
        self.reason = reason
        self.key = key
        self.parts = parts
        self.outputs = outputs
        self.duration = duration
        self.summary = summary
        self.warnings = warnings
        self.failureCode = failureCode
    }

    /// Whether the stage's outputs are available to the stages after it.
    public var isComplete: Bool {
        switch status {
        case .succeeded, .reused: return true
        default: return false
        }
    }
}

/// The result of executing a plan.
public struct ExecutionReport: Sendable {
    /// Every planned stage's outcome, in plan order.
    public var outcomes: [StageOutcome]
    public var duration: Duration

    public init(outcomes: [StageOutcome], duration: Duration) {
        self.outcomes = outcomes
        self.duration = duration
    }

    public var ran: Int { outcomes.filter { $0.status == .succeeded }.count }
    public var reused: Int { outcomes.filter { $0.status == .reused }.count }
    public var failed: [StageOutcome] {
        outcomes.filter { if case .failed = $0.status { return true } else { return false } }
    }
    public var skipped: [StageOutcome] {
        outcomes.filter { if case .skipped = $0.status { return true } else { return false } }
    }
    public var notAvailable: [StageOutcome] {
        outcomes.filter { if case .notAvailable = $0.status { return true } else { return false } }
    }
    public var wasCancelled: Bool { outcomes.contains { $0.status == .cancelled } }
    /// No stage failed or was cancelled (stages waiting for an unavailable task type do not count).
    public var isSuccess: Bool { failed.isEmpty && !wasCancelled }
}
