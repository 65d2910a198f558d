import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that readers see either the old content or the new, never a mix.
///
/// The bytes go to a temporary file in the same directory, which is fsynced and renamed over the
/// destination; the directory is then fsynced so the rename survives a power cut. A crash at any
/// point leaves the destination as it was, plus at worst a stray `.tmp-*` file that the next
/// writer ignores and ``removeStaleTemporaries(in:)`` deletes.
public enum AtomicFile {
    /// Atomically replaces `path` with `data`.
    /// - Parameter durable: `false` skips both fsyncs, for a file whose loss or truncation in a
    ///   power cut costs only speed (it must then read as absent: a stamp that checks its own length).
    /// - Throws: ``FileSystemError`` naming the path when any step fails; the destination is untouched.
    public static func write(_ data: Data, to path: String, permissions: mode_t = 0o644, durable: Bool = true) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectoryIfNeeded(atPath: directory.isEmpty ? "." : directory)
        let temporary = "\(directory.isEmpty ? "." : directory)/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard fd >= 0 else { throw FileSystemError(.cannotWrite, path: path, errno: errno) }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            try writeAll(fd: fd, data: data, path: path)
            guard !durable || fsync(fd) == 0 else { throw FileSystemError(.cannotWrite, path: path, errno: errno) }
            close(fd)
            closed = true
            guard rename(temporary, path) == 0 else { throw FileSystemError(.cannotRename, path: path, errno: errno) }
        } catch {
            unlink(temporary)
            throw error
        }
        if durable { syncDirectory(directory.isEmpty ? "." : directory) }
    }

    /// Removes the temporary files that writers killed mid-write left in `directory`: `.tmp-<pid>-*`
    /// whose process is gone. Files of live processes (a writer at work) are kept.
    /// - Returns: The names removed.
    @discardableResult
    public static func removeStaleTemporaries(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed: [String] = []
        for name in names where name.hasPrefix(".tmp-") {
            let fields = name.dropFirst(5).split(separator: "-", maxSplits: 1)
            guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0, fields[1].allSatisfy(\.isNumber) else { continue }
            // kill(pid, 0) fails with ESRCH only when no such process exists.
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            if unlink("\(directory)/\(name)") == 0 { removed.append(name) }
        }
        return removed.sorted()
    }

    /// Writes every byte of `data` to `fd`, retrying short writes.
    public static func writeAll(fd: Int32, data: Data, path: String) throws {
        try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)  // swift-format-ignore
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileSystemError(.cannotWrite, path: path, errno: errno)
                }
                offset += written
            }
        }
    }

    /// fsyncs a directory so that renames inside it are durable.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

extension FileManager {
    /// Creates a directory and its parents unless it already exists.
    public func createDirectoryIfNeeded(atPath path: String) throws {
        var isDirectory: ObjCBool = false
        if fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return }
        do {
            try createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileSystemError(.cannotCreateDirectory, path: path, errno: Glibc.errno)
        }
    }
}
