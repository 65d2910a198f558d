import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file, unmapped when released.
///
/// Reads go through ``bytes``, whose count is the file size at open time: callers must check every
/// offset against it (``SafeTensorsFile`` does), so no read can leave the mapping.
final class MappedFile: @unchecked Sendable {
    /// The mapped bytes; empty for an empty file. Immutable, so sharing across threads is safe.
    let bytes: UnsafeRawBufferPointer
    /// The file that was mapped.
    let path: String

    /// Maps the file at `path` read-only.
    ///
    /// - Throws: ``MLCoreError`` `.fileNotFound` when it does not exist, `.io` when it cannot be opened or mapped.
    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == ENOENT { throw MLCoreError(.fileNotFound, "\(path): no such file") }
            throw MLCoreError(.io, "\(path): cannot open (\(reason))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw MLCoreError(.io, "\(path): cannot stat (\(String(cString: strerror(errno))))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw MLCoreError(.io, "\(path): not a regular file")
        }
        let size = Int(status.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            throw MLCoreError(.io, "\(path): cannot memory-map \(size) bytes (\(String(cString: strerror(errno))))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
