import Execution
import Foundation
import Planning
import WorkflowModel

/// Prints execution events: one plain line per stage start and end; on a terminal, a live
/// progress line for the stages that report progress.
final class ConsoleObserver: ExecutionObserver, @unchecked Sendable {
    private let lock = NSLock()
    private let terminal: Bool
    private let verbose: Bool
    private var progressShown = false

    init(terminal: Bool, verbose: Bool = false) {
        self.terminal = terminal
        self.verbose = verbose
    }

    func handle(_ event: ExecutionEvent) {
        switch event {
        case .started(let id, let task, let reason):
            line("run   \(id)  [\(task)]  \(reason)")
        case .log(let id, let text):
            if verbose { line("      \(id.stage): \(text)") }
        case .progress(let id, let completed, let total, let label):
            guard terminal else { return }
            lock.withLock {
                let percent = total > 0 ? completed * 100 / total : 0
                FileHandle.standardOutput.write(Data("\r\u{1B}[2K      \(id.run)/\(id.stage): \(label) \(completed)/\(total) (\(percent)%)".utf8))
                progressShown = true
            }
        case .finished(let outcome):
            // Stages the plan already called up to date are summed up at the end, not listed.
            if outcome.status == .reused, outcome.reason == "up to date", !verbose { return }
            line(Self.describe(outcome))
            for warning in outcome.warnings { line("      warning: \(warning)") }
        case .status(let project, let run, let status, let reason):
            if verbose { line("      \(project)/\(run) is now \(status.rawValue)\(reason.map { ": \($0)" } ?? "")") }
        }
    }

    static func describe(_ outcome: StageOutcome) -> String {
        let seconds = String(format: "%.2fs", outcome.duration.seconds)
        switch outcome.status {
        case .succeeded:
            return "ok    \(outcome.id)  \(seconds)" + (outcome.summary.map { "  \($0)" } ?? "")
        case .reused:
            return "reuse \(outcome.id)  \(outcome.reason)"
        case .failed(let message):
            return "FAIL  \(outcome.id)  \(seconds)\n" + message.split(separator: "\n").map { "      \($0)" }.joined(separator: "\n")
        case .skipped(let because):
            return "skip  \(outcome.id)  \(because)"
        case .cancelled:
            return "stop  \(outcome.id)  cancelled"
        case .notAvailable(let message):
            return "wait  \(outcome.id)  \(message)"
        }
    }

    func line(_ text: String) {
        lock.withLock {
            if progressShown {
                FileHandle.standardOutput.write(Data("\r\u{1B}[2K".utf8))
                progressShown = false
            }
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        }
    }
}
