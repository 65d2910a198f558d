import Foundation
import Workspace

/// Shows a push's or a pull's progress on standard error without a line per object.
///
/// On a terminal: one line, redrawn in place at most every ``redrawInterval`` seconds —
/// `pulling 120/340 objects, 12.3 MB moved, 4.1 MB/s` (objects settled: moved or found in place). Otherwise (CI logs, pipes): that line
/// again only every ``lineInterval`` seconds or each time the share of objects done passes another
/// tenth (a share that only rises: objects are planned as the transfer finds them, so at most ten
/// such lines come, and the 5-second ones).
/// Corrupt-object notices get their own line either way; the command prints the final summary.
/// The clock and the terminal test are injected, so tests can drive it.
final class TransferProgressPrinter: @unchecked Sendable {
    let verb: String
    let isTerminal: Bool
    let now: @Sendable () -> Double
    let write: @Sendable (String) -> Void
    var redrawInterval = 0.1
    var lineInterval = 5.0

    private let lock = NSLock()
    // Guarded by lock:
    private var planned = 0
    private var settled = 0
    private var movedBytes: Int64 = 0
    private var started: Double?
    private var lastShown: Double?
    private var lastTenth = 0
    private var drawn = false

    /// - Parameters:
    ///   - verb: `pushing` or `pulling`.
    ///   - isTerminal: whether standard error is a terminal (one updating line) or not (periodic lines).
    ///   - now: seconds on a monotonic clock.
    ///   - write: where the text goes (standard error).
    init(
        verb: String, isTerminal: Bool = isatty(STDERR_FILENO) == 1,
        now: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
        write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.verb = verb
        self.isTerminal = isTerminal
        self.now = now
        self.write = write
    }

    /// The sink to hand `push` or `pull`.
    var sink: ProgressSink { ProgressSink { [self] event in handle(event) } }

    func handle(_ event: TransferEvent) {
        lock.withLock {
            let time = now()
            if started == nil { started = time }
            switch event {
            case .planned(let count, _):
                planned += count
            case .settled(_, let bytes, let moved):
                settled += 1
                if moved { movedBytes += bytes }
            case .notice(let line):
                write((isTerminal && drawn ? "\r\u{1B}[K" : "") + line + "\n")
                drawn = false
                return
            }
            guard settled > 0 else { return }
            if isTerminal {
                if let lastShown, time - lastShown < redrawInterval, settled < planned { return }
                write("\r\u{1B}[K" + line(at: time))
                drawn = true
                lastShown = time
            } else {
                let tenth = planned > 0 ? settled * 10 / planned : 0
                let due = lastShown.map { time - $0 >= lineInterval } ?? (time - (started ?? time) >= lineInterval)
                guard due || tenth > lastTenth else { return }
                write(line(at: time) + "\n")
                lastShown = time
                lastTenth = max(lastTenth, tenth)
            }
        }
    }

    /// Clears the terminal line (the command prints its summary next).
    func finish() {
        lock.withLock {
            if isTerminal && drawn { write("\r\u{1B}[K") }
            drawn = false
        }
    }

    /// `pulling 120/340 objects, 12.3 MB moved, 4.1 MB/s` (objects settled: moved or found in place).
    private func line(at time: Double) -> String {
        let seconds = time - (started ?? time)
        let rate = seconds > 0 ? Int64(Double(movedBytes) / seconds) : 0
        return "\(verb) \(settled)/\(planned) objects, \(bytes(movedBytes)) moved, \(bytes(rate))/s"
    }
}
