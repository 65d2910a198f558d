import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A `lunette` process started in a process group of its own, its output going to files.
///
/// The reliability tests need what `Foundation.Process` does not give: a new process group (so a
/// SIGKILL can hit lunette and everything it started without hitting the test runner), output that
/// survives the kill (files, not pipes), a bounded wait that reports a hang instead of hanging, and
/// an optional shell prefix (`ulimit`, `trap`) run before `exec lunette`.
final class SpawnedLunette: @unchecked Sendable {
    let pid: pid_t
    let arguments: [String]
    let outputURL: URL
    let errorURL: URL
    let started: Date
    private(set) var status: Int32?
    private(set) var signal: Int32?

    /// Starts `lunette ARGUMENTS` in `directory` with `environment`.
    /// - Parameters:
    ///   - shellPrefix: shell commands run before `exec lunette …` (for `ulimit -f`, `trap '' XFSZ`).
    ///   - logs: the folder for `<label>.out` / `<label>.err`.
    init(
        _ arguments: [String], in directory: URL, environment: [String: String], logs: URL, label: String,
        shellPrefix: String? = nil
    ) throws {
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        outputURL = logs.appendingPathComponent("\(label).out")
        errorURL = logs.appendingPathComponent("\(label).err")
        self.arguments = arguments
        let quoted = ([ProcessTests.binary.path] + arguments).map(Self.shellQuoted).joined(separator: " ")
        // `exec` keeps the shell's pid: the process started is lunette itself.
        let script = "cd \(Self.shellQuoted(directory.path)) || exit 97\n\(shellPrefix ?? "")\nexec \(quoted)"
        let argv = ["/bin/sh", "-c", script]

        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errorURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGXFSZ] { sigaddset(&defaults, signal) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments + cEnvironment { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard result == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO)
        }
        pid = child
        started = Date()
    }

    /// Whether the process has ended (reaping it when it has).
    var hasExited: Bool {
        if status != nil || signal != nil { return true }
        return reap(blocking: false)
    }

    /// Waits up to `timeout` seconds for the process to end, without holding a thread (other
    /// tests' tasks share the cooperative pool).
    /// - Returns: `false` when it is still running afterwards (the caller decides what a hang means).
    @discardableResult
    func wait(timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !hasExited {
            if Date() > deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// SIGKILL to lunette alone (`group: false`) or to its whole process group.
    func kill(group: Bool) {
        _ = Glibc.kill(group ? -pid : pid, SIGKILL)
    }

    /// Kills the process group and reaps it; for hung processes at the end of a test.
    func killAndReap() async {
        kill(group: true)
        await wait(timeout: 10)
    }

    /// Runs `lunette ARGUMENTS` in a case workspace to the end (10 minutes at most) and returns what
    /// it printed, like ``ProcessTests/run(_:in:extra:)`` but without blocking a thread.
    static func run(_ arguments: [String], in workspace: CaseWorkspace, extra: [String: String] = [:]) async throws
        -> ProcessTests.Result
    {
        let process = try SpawnedLunette(
            arguments, in: workspace.root, environment: workspace.environment.merging(extra) { _, new in new },
            logs: workspace.root.appendingPathComponent("test-logs"), label: "command-\(UUID().uuidString)")
        if await !process.wait(timeout: 600) {
            await process.killAndReap()
            Issue.record("`lunette \(arguments.joined(separator: " "))` still running after 10 minutes")
        }
        return ProcessTests.Result(status: process.exitCode ?? -1, output: process.output, error: process.error)
    }

    var output: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }
    var error: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    /// `status` when the process exited normally, `128 + n` when signal `n` ended it.
    var exitCode: Int32? { status ?? signal.map { 128 + $0 } }

    private func reap(blocking: Bool) -> Bool {
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
        guard result == pid else { return false }
        if raw & 0x7f == 0 {
            status = (raw >> 8) & 0xff
        } else {
            signal = raw & 0x7f
        }
        return true
    }

    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Process-level helpers shared by the reliability tests.
enum ProcessGroups {
    /// Live (not zombie) processes of stages of the workspace at `root` (their environment's
    /// `LUNETTE_STAGE_SCRATCH` lies in its `cache/work/`), with their process groups.
    static func liveStageProcesses(under root: URL) -> [(pid: Int32, group: Int32)] {
        let marker = Data("LUNETTE_STAGE_SCRATCH=\(root.appendingPathComponent("cache/work").path)/".utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).sorted().compactMap { pid in
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                environ.split(separator: 0).contains(where: { $0.starts(with: marker) }),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", let group = Int32(fields[2]) else { return nil }
            return (pid, group)
        }
    }

    /// SIGKILL to every process group of a stage of the workspace at `root` (a whole-machine crash
    /// for that workspace); never a group that is not one of its stages'.
    static func killStageGroups(under root: URL) {
        for group in Set(liveStageProcesses(under: root).map(\.group)) where group > 1 && group != getpgrp() {
            kill(-group, SIGKILL)
        }
    }
}
