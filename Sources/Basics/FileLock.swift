import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock on a file (`flock(2)`), exclusive or shared, released by the kernel when the
/// process dies.
///
/// Because the kernel drops the lock with the process, a `lunette run` killed with SIGKILL never
/// leaves a stale lock behind (unlike lock files that only record a PID). An exclusive holder writes
/// its PID and command into the file so a waiting invocation can say who holds it; shared holders
/// write nothing. On a read-only file system an existing lock file is opened read-only (`flock`
/// works on it all the same).
public final class FileLock: @unchecked Sendable {
    public let path: String
    private var fd: Int32 = -1

    public init(path: String) {
        self.path = path
    }

    deinit { unlock() }

    /// Tries to take the lock without waiting.
    /// - Returns: `true` when taken; `false` when another process holds it.
    public func tryLock(describing holder: String) throws -> Bool {
        try openIfNeeded()
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            record(holder)
            return true
        }
        if errno == EWOULDBLOCK { return false }
        throw FileSystemError(.cannotLock, path: path, errno: errno)
    }

    /// Takes the lock, waiting as long as it takes.
    public func lock(describing holder: String) throws {
        try openIfNeeded()
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw FileSystemError(.cannotLock, path: path, errno: errno)
        }
        record(holder)
    }

    /// Takes the lock shared (`LOCK_SH`): any number of shared holders at once, none beside an
    /// exclusive one. Shared holders write nothing into the file.
    /// - Parameter wait: whether to wait while an exclusive holder has it.
    /// - Returns: `true` when taken; `false` when an exclusive holder has it and `wait` is false.
    public func lockShared(wait: Bool) throws -> Bool {
        try openIfNeeded()
        while flock(fd, LOCK_SH | (wait ? 0 : LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            throw FileSystemError(.cannotLock, path: path, errno: errno)
        }
        return true
    }

    /// What the current holder wrote about itself (PID and command), if anything.
    public func holderDescription() -> String? {
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !text.isEmpty
        else { return nil }
        return text
    }

    /// Releases the lock.
    public func unlock() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    private func openIfNeeded() throws {
        guard fd < 0 else { return }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectoryIfNeeded(atPath: directory) }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 && (errno == EROFS || errno == EACCES) {
            let reason = errno
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { errno = reason }
        }
        guard fd >= 0 else { throw FileSystemError(.cannotLock, path: path, errno: errno) }
    }

    private func record(_ holder: String) {
        ftruncate(fd, 0)
        let text = "pid \(getpid()): \(holder)\n"
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }
}
