import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `lunette serve` running as a child process, for tests that talk to the real binary.
///
/// ``start(_:in:extra:)`` waits for the "listening on" line and reads the port from it;
/// ``stop()`` sends SIGTERM and returns everything the process printed.
final class ServeProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    private let output: Pipe
    private let errors: ErrorCollector

    private init(process: Process, port: Int, output: Pipe, errors: ErrorCollector) {
        self.process = process
        self.port = port
        self.output = output
        self.errors = errors
    }

    /// Standard error, collected on a thread of its own.
    final class ErrorCollector: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

        func read(_ handle: FileHandle) {
            let thread = Thread {
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { return }
                    self.lock.withLock { self.data.append(chunk) }
                }
            }
            thread.start()
        }
    }

    /// Starts `lunette serve ARGUMENTS` (add `--port 0`) and waits up to 60 s for it to listen.
    /// - Returns: the process, or throws with what it printed when it exited or never listened.
    static func start(_ arguments: [String], in workspace: CaseWorkspace, extra: [String: String] = [:]) throws -> ServeProcess {
        let (process, output, error) = try ProcessTests.start(["serve"] + arguments, in: workspace, extra: extra)
        let errors = ErrorCollector()
        errors.read(error.fileHandleForReading)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let port = Self.port(in: errors.text) {
                return ServeProcess(process: process, port: port, output: output, errors: errors)
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        throw ServeFailure(description: "lunette serve did not start: \(errors.text)")
    }

    /// The port in "listening on http://HOST:PORT/".
    static func port(in text: String) -> Int? {
        guard let range = text.range(of: "listening on http://") else { return nil }
        let rest = text[range.upperBound...]
        guard let slash = rest.firstIndex(of: "/"), let colon = rest[..<slash].lastIndex(of: ":") else { return nil }
        return Int(rest[rest.index(after: colon)..<slash])
    }

    /// The resident set size of the process, in bytes (`VmRSS` in `/proc/PID/status`).
    var residentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }

    /// Sends SIGTERM (SIGKILL 15 s later if it is still running), waits for the exit, and returns the exit status, standard output and standard error.
    func stop() -> (status: Int32, output: String, error: String) {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        usleep(50_000)
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), errors.text)
    }
}

struct ServeFailure: Error, CustomStringConvertible {
    var description: String
}
