import Basics

/// What a stage says when it succeeds.
public struct StageResult: Sendable, Hashable {
    /// One line for the user: "loaded 512 rows", "split 512 rows: 102 seeds, 410 eval".
    public var summary: String?
    /// Problems that did not stop the stage (recorded and printed).
    public var warnings: [String]
    /// Numbers worth keeping in the store (row counts, scores…).
    public var metrics: [String: JSONValue]

    public init(summary: String? = nil, warnings: [String] = [], metrics: [String: JSONValue] = [:]) {
        self.summary = summary
        self.warnings = warnings
        self.metrics = metrics
    }
}

/// A stage failure a user can understand and fix.
///
/// The ``message`` says what went wrong and where (file and row number when there is one); the
/// ``remedy`` says what to do about it.
public struct TaskError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var remedy: String?
    /// The run's status after this failure (`failed` unless a task says otherwise).
    public var code: Code

    /// Why a stage failed.
    public struct Code: Hashable, Sendable {
        let name: String
        /// Whether the failure is a verdict on the run rather than a breakdown of the stage: the run's
        /// status reason is then the message alone, not "stage NAME failed: message".
        public let isRunVerdict: Bool

        init(name: String, isRunVerdict: Bool = false) {
            self.name = name
            self.isRunVerdict = isRunVerdict
        }

        /// The task failed.
        public static let failed = Code(name: "failed")
        /// The stage's task type is not part of this build yet; the run stays `queued`.
        public static let notAvailable = Code(name: "not-available")
        /// A gate the run declared was not met (a verdict on the run).
        public static let gateNotMet = Code(name: "gate-not-met", isRunVerdict: true)
        /// The input data is invalid.
        public static let invalidInput = Code(name: "invalid-input")
    }

    public init(_ message: String, remedy: String? = nil, code: Code = .failed) {
        self.message = message
        self.remedy = remedy
        self.code = code
    }

    public var description: String {
        remedy.map { "\(message)\n  fix: \($0)" } ?? message
    }
}
