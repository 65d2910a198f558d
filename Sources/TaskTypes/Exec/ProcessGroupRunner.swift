import Foundation
import Scoring

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a shell command in a process group of its own, streaming its output line by line.
///
/// The command runs as `/bin/sh -c command` with standard input from `/dev/null`, started with
/// `posix_spawn` and `POSIX_SPAWN_SETPGROUP`, so that every process it starts (pipelines,
/// background jobs, `make -j`) shares one group that can be signalled at once:
///
/// - on Swift task cancellation the group gets SIGTERM, then SIGKILL if anything in it is still
///   alive 2 seconds later, and ``run(command:directory:environment:onLine:)`` throws
///   `CancellationError`;
/// - when the shell exits, whatever it left running in the group is killed: a stage's processes
///   never outlive it (and cannot hold its output pipes open).
///
/// Output is read without blocking a thread: the pipes are non-blocking and polled, sleeping
/// between empty polls (1 ms growing to 50 ms), which costs at most that much latency per command.
enum ProcessGroupRunner {
    /// How a command ended.
    enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// How long cancellation waits after SIGTERM before SIGKILL.
    static let terminationGrace: Duration = .seconds(2)

    /// Runs `command` in `directory` and calls `onLine` with each line it prints (stdout and
    /// stderr interleaved as they arrive, without line terminators).
    /// - Throws: `CancellationError` when the task is cancelled (the process group is gone by then),
    ///   or a `TaskErrors` value when the process cannot be started.
    /// - Parameter groupFile: where to record the process group id while it runs, so that a later
    ///   invocation can end the group if this process is killed before it could (removed at the end).
    static func run(
        command: String, directory: URL, environment: [String: String], groupFile: URL? = nil,
        onLine: (String) -> Void
    ) async throws -> Termination {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard makePipe(&outPipe), makePipe(&errPipe) else {
            for fd in outPipe + errPipe where fd >= 0 { closeDescriptor(fd) }
            throw TaskErrors.commandDidNotStart(reason: String(cString: strerror(errno)))
        }
        let pid: pid_t
        do {
            pid = try spawn(
                command: command, directory: directory, environment: environment, stdout: outPipe[1], stderr: errPipe[1]
            )
        } catch {
            for fd in outPipe + errPipe { closeDescriptor(fd) }
            throw error
        }
        closeDescriptor(outPipe[1])
        closeDescriptor(errPipe[1])
        if let groupFile { try? Data("\(pid)\n".utf8).write(to: groupFile) }
        defer {
            closeDescriptor(outPipe[0])
            closeDescriptor(errPipe[0])
            if let groupFile { try? FileManager.default.removeItem(at: groupFile) }
        }
        var streams = [LineSplitter(fd: outPipe[0]), LineSplitter(fd: errPipe[0])]
        var termination: Termination?
        var idleSleep = 1
        var drainDeadline: ContinuousClock.Instant?
        while true {
            var didRead = false
            for index in streams.indices { didRead = streams[index].pump(onLine) || didRead }
            if termination == nil, let status = reap(pid, blocking: false) {
                termination = status
                _ = kill(-pid, SIGKILL)  // leftovers in the group
                drainDeadline = .now + .seconds(1)
            }
            if termination != nil, streams.allSatisfy(\.isAtEnd) || drainDeadline.map({ .now > $0 }) ?? false { break }
            if didRead {
                idleSleep = 1
                continue
            }
            do {
                try await Task.sleep(for: .milliseconds(idleSleep))
            } catch {
                if termination == nil { terminateGroup(pid) }
                throw CancellationError()
            }
            idleSleep = min(idleSleep * 2, 50)
        }
        for index in streams.indices { streams[index].flush(onLine) }
        guard let termination else { throw CancellationError() }
        return termination
    }

    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        var pair: [Int32] = [-1, -1]
        if let pipe2 = GNUFunctions.pipe2 {
            // Atomic close-on-exec: no other thread's spawn can inherit the pipe in between.
            guard pipe2(&pair, O_CLOEXEC) == 0 else { return false }
        } else {
            guard pipe(&pair) == 0 else { return false }
            _ = fcntl(pair[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(pair[1], F_SETFD, FD_CLOEXEC)
        }
        _ = fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK)
        fds = pair
        return true
    }

    private static func spawn(
        command: String, directory: URL, environment: [String: String], stdout: Int32, stderr: Int32
    ) throws -> pid_t {
        #if canImport(Glibc)
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t()
        #else
            var actions: posix_spawn_file_actions_t?
            var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        #if canImport(Glibc)
            guard let addchdir = GNUFunctions.addchdir else {
                throw TaskErrors.commandDidNotStart(reason: "this C library lacks posix_spawn_file_actions_addchdir_np")
            }
            _ = addchdir(&actions, directory.path)
            // The command inherits only stdin, stdout and stderr: no descriptor Lunette (or whoever
            // started Lunette) holds open — a store, a pipe — leaks into a process that may outlive it.
            if let addclosefrom = GNUFunctions.addclosefrom { _ = addclosefrom(&actions, 3) }
        #else
            posix_spawn_file_actions_addchdir_np(&actions, directory.path)
        #endif

        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let arguments = ["/bin/sh", "-c", command]
        let variables = environment.keys.sorted().map { "\($0)=\(environment[$0] ?? "")" }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = variables.map { strdup($0) } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        guard result == 0 else { throw TaskErrors.commandDidNotStart(reason: String(cString: strerror(result))) }
        return pid
    }

    /// `waitpid`, decoding the status; `nil` while the child runs (non-blocking).
    private static func reap(_ pid: pid_t, blocking: Bool) -> Termination? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
            if result == 0 { return nil }
            if result < 0 {
                if errno == EINTR { continue }
                return .exited(-1)  // already reaped or not our child: treat as gone
            }
            let low = status & 0x7F
            if low == 0 { return .exited((status >> 8) & 0xFF) }
            if low != 0x7F { return .signalled(low) }
            // Stopped: keep waiting.
            if !blocking { return nil }
        }
    }

    /// SIGTERM to the group, then SIGKILL after ``terminationGrace`` if anything in it is alive.
    private static func terminateGroup(_ pid: pid_t) {
        _ = kill(-pid, SIGTERM)
        let deadline = ContinuousClock.now + terminationGrace
        var isReaped = false
        while ContinuousClock.now < deadline {
            if !isReaped, reap(pid, blocking: false) != nil { isReaped = true }
            if isReaped, kill(-pid, 0) != 0, errno == ESRCH { return }
            usleep(20_000)
        }
        _ = kill(-pid, SIGKILL)
        if !isReaped { _ = reap(pid, blocking: true) }
    }

    /// A human name for a signal: "9 (SIGKILL)".
    static func describe(signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
            SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
            SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
        ]
        return names[signal].map { "\(signal) (\($0))" } ?? "\(signal)"
    }
}

/// glibc functions the Swift Glibc module hides behind `_GNU_SOURCE`, looked up at run time.
private enum GNUFunctions {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Int32

    static let pipe2: Pipe2? = lookUp("pipe2")
    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29+).
    static let addchdir: AddChdir? = lookUp("posix_spawn_file_actions_addchdir_np")
    typealias AddClosefrom = @convention(c) (UnsafeMutableRawPointer?, Int32) -> Int32
    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+).
    static let addclosefrom: AddClosefrom? = lookUp("posix_spawn_file_actions_addclosefrom_np")

    private static func lookUp<F>(_ name: String) -> F? {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
            return unsafeBitCast(symbol, to: F.self)
        #else
            return nil
        #endif
    }
}

/// Reads a non-blocking pipe and cuts what arrives into lines.
private struct LineSplitter {
    /// A line longer than this is passed on in pieces.
    static let maxLineBytes = 8192

    let fd: Int32
    private(set) var isAtEnd = false
    private var pending: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// Reads what is available; returns whether anything was read.
    mutating func pump(_ onLine: (String) -> Void) -> Bool {
        guard !isAtEnd else { return false }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var didRead = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                didRead = true
                for byte in buffer[0..<count] {
                    if byte == UInt8(ascii: "\n") {
                        emit(onLine)
                    } else {
                        pending.append(byte)
                        if pending.count >= LineSplitter.maxLineBytes { emit(onLine) }
                    }
                }
            } else if count == 0 {
                isAtEnd = true
                return didRead
            } else if errno == EINTR {
                continue
            } else {
                if errno != EAGAIN && errno != EWOULDBLOCK { isAtEnd = true }
                return didRead
            }
        }
    }

    /// Passes on a last line that had no terminator.
    mutating func flush(_ onLine: (String) -> Void) {
        if !pending.isEmpty { emit(onLine) }
    }

    private mutating func emit(_ onLine: (String) -> Void) {
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        onLine(String(decoding: pending, as: UTF8.self))
        pending.removeAll(keepingCapacity: true)
    }
}
