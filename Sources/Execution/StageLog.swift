import Foundation
import TaskInterface
import WorkflowModel

/// The reporter a running stage writes to: forwards to the observer and keeps the last lines
/// and every warning for the store.
final class StageLog: StageReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private var warnings: [String] = []
    private let stageID: StageID
    private let observer: any ExecutionObserver
    private let keep: Int

    init(stageID: StageID, observer: any ExecutionObserver, keep: Int = 50) {
        self.stageID = stageID
        self.observer = observer
        self.keep = keep
    }

    func log(_ line: String) {
        lock.withLock {
            lines.append(line)
            if lines.count > keep { lines.removeFirst(lines.count - keep) }
        }
        observer.handle(.log(stageID, line))
    }

    func warning(_ message: String) {
        lock.withLock { warnings.append(message) }
        log("warning: \(message)")
    }

    func progress(completed: Int, total: Int, label: String) {
        observer.handle(.progress(stageID, completed: completed, total: total, label: label))
    }

    var tail: [String] { lock.withLock { lines } }
    var collectedWarnings: [String] { lock.withLock { warnings } }
}
