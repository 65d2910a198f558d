import Basics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Thin POSIX helpers for the cache: large buffered copies that hash as they go, temporary files,
/// `lstat`, and errors that name the path.
enum FileIO {
    /// The read size for copies and hashing.
    static let bufferSize = 1 << 20

    static let typeMask: mode_t = 0o170000
    static let regularType: mode_t = 0o100000
    static let directoryType: mode_t = 0o040000
    static let symlinkType: mode_t = 0o120000

    /// `lstat(2)`, or `nil` when nothing is at `path`.
    static func linkStatus(_ path: String) -> stat? {
        var status = stat()
        return lstat(path, &status) == 0 ? status : nil
    }

    /// `stat(2)` (following symlinks), or `nil` when nothing is at `path`.
    static func status(_ path: String) -> stat? {
        var status = stat()
        return stat(path, &status) == 0 ? status : nil
    }

    static func isRegular(_ status: stat) -> Bool { status.st_mode & typeMask == regularType }
    static func isDirectory(_ status: stat) -> Bool { status.st_mode & typeMask == directoryType }
    static func isSymlink(_ status: stat) -> Bool { status.st_mode & typeMask == symlinkType }

    /// The canonical absolute path with every symlink resolved, or `nil` when it does not resolve.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// An I/O error for `path` carrying the current `errno` (also as the cause, a `POSIXError`).
    ///
    /// A full disk is named by the folder written to, which is not always in the cache (a model
    /// materialised into the workspace, an exec output restored there); ``ContentCache`` adds the
    /// `LUNETTE_CACHE` hint where it was writing into the cache.
    static func ioError(_ what: String, path: String, errno code: Int32 = errno) -> CacheError {
        var remedy = "check that the folder exists and is writable"
        if code == ENOSPC || code == EDQUOT { remedy = fullDiskRemedy((path as NSString).deletingLastPathComponent) }
        if code == EFBIG {
            remedy = "the file is larger than this process may write: raise the file size limit (`ulimit -f`) and re-run; nothing was half-written"
        }
        if code == EROFS {
            remedy = "the cache's file system is read-only: make it writable (or point LUNETTE_CACHE at a writable folder) and re-run"
        }
        if code == EACCES || code == EPERM { remedy = "check the permissions of this path" }
        return CacheError(
            .io, "\(what): \(String(cString: strerror(code)))", path: path, remedy: remedy,
            cause: POSIXErrorCode(rawValue: code).map { POSIXError($0) })
    }

    /// What to do when the disk holding `folder` is full.
    static func fullDiskRemedy(_ folder: String) -> String {
        "the disk holding \(folder) is full: free space there and re-run; nothing was half-written"
    }

    /// Opens a file for reading, throwing ``CacheError/Code/missing`` when it does not exist.
    static func openForReading(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT {
                throw CacheError(.missing, "no such file", path: path, remedy: "re-run the stage that produces it")
            }
            throw ioError("cannot open", path: path)
        }
        return fd
    }

    /// Creates a new, empty file with a unique name in `directory`.
    static func createUnique(in directory: String, prefix: String, mode: mode_t = 0o600) throws -> (fd: Int32, path: String) {
        while true {
            let path = "\(directory)/\(prefix)\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            if fd >= 0 { return (fd, path) }
            if errno != EEXIST { throw ioError("cannot create a temporary file", path: path) }
        }
    }

    /// A unique name in `directory` that does not exist yet (for staging folders).
    static func uniqueName(in directory: String, prefix: String) -> String {
        "\(directory)/\(prefix)\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }

    /// Writes every byte of `bytes` to `fd`, retrying short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ioError("cannot write", path: path)
            }
            offset += written
        }
    }

    /// Copies `source` to `destination` (when given) in 1 MiB reads, hashing every byte once.
    /// - Returns: The digest and size of what was read.
    static func copyHashing(
        from source: Int32, sourcePath: String, to destination: Int32?, destinationPath: String
    ) throws -> (digest: ContentHash, size: Int64) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
        defer { buffer.deallocate() }
        var hasher = ContentHasher()
        var total: Int64 = 0
        while true {
            let count = read(source, buffer.baseAddress, bufferSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError("cannot read", path: sourcePath)
            }
            if count == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(chunk)
            if let destination { try writeAll(destination, chunk, path: destinationPath) }
            total += Int64(count)
        }
        return (hasher.finalize(), total)
    }

    /// Hashes the file at `path` without copying it.
    static func hash(_ path: String) throws -> (digest: ContentHash, size: Int64) {
        let fd = try openForReading(path)
        defer { close(fd) }
        return try copyHashing(from: fd, sourcePath: path, to: nil, destinationPath: path)
    }

    /// Reads a whole (small) file.
    static func readAll(_ path: String) throws -> Data {
        let fd = try openForReading(path)
        defer { close(fd) }
        var data = Data()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError("cannot read", path: path)
            }
            if count == 0 { return data }
            data.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Creates `path` (one level) unless it exists; fsyncs the parent when it was created.
    static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
        if mkdir(path, mode) == 0 {
            AtomicFile.syncDirectory((path as NSString).deletingLastPathComponent)
            return
        }
        if errno == EEXIST, let status = status(path), isDirectory(status) { return }
        throw ioError("cannot create directory", path: path)
    }

    /// Removes a file or a whole folder, making read-only folders writable first.
    static func removeTree(_ path: String) {
        guard let status = linkStatus(path) else { return }
        if isDirectory(status) {
            chmod(path, 0o755)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            for name in names { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
