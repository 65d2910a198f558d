import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ContentHash {
    /// Hashes a file's bytes by streaming it in 1 MiB reads.
    ///
    /// Uses plain `read(2)` into one reused buffer, so hashing runs at the speed of SHA-256 itself.
    ///
    /// - Returns: The digest and the number of bytes read.
    /// - Throws: ``FileSystemError`` when the file can't be opened or read.
    /// - Complexity: O(*n*) in the file's size, with constant memory.
    public static func ofFile(at path: String) throws -> (hash: ContentHash, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(.cannotOpen, path: path, errno: errno) }
        defer { close(fd) }
        let capacity = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        var hasher = ContentHasher()
        var total: Int64 = 0
        while true {
            let count = read(fd, buffer.baseAddress, capacity)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(.cannotRead, path: path, errno: errno)
            }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
        }
        return (hasher.finalize(), total)
    }
}
