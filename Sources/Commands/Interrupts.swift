import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into Swift task cancellation for the duration of an operation.
enum Interrupts {
    /// What `run`, `verify` and the like say on the first signal.
    static let cancellingStages = "cancelling running stages"
    /// What `push` and `pull` say: their transfers stop, and nothing half-published is kept.
    static let cancellingTransfers = "cancelling transfers; nothing half-published is kept"

    /// Runs `operation` in a child task and cancels it on the first SIGINT/SIGTERM, saying
    /// `interrupted: <cancelling> (again to exit now)`; a second signal exits at once.
    /// - Parameter cancelling: what is being cancelled, in the command's words.
    static func cancellingOnSignal<T: Sendable>(
        _ cancelling: String = cancellingStages, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let task = Task { try await operation() }
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let state = SignalState()
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if state.fire() {
                    FileHandle.standardError.write(Data("\ninterrupted: \(cancelling) (again to exit now)\n".utf8))
                    task.cancel()
                } else {
                    exit(130)
                }
            }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        return try await task.value
    }
}

private final class SignalState: @unchecked Sendable {
    private let lock = NSLock()
    private var fired = false
    func fire() -> Bool {
        lock.withLock {
            defer { fired = true }
            return !fired
        }
    }
}
