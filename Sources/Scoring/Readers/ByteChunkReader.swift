import Foundation
import TaskInterface

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file in fixed-size chunks with `read(2)`, so a large dataset is never held in memory
/// whole.
///
/// The readers of datasets (``CSVReader``, ``LineReader`` for JSON Lines) sit on top of this; they keep only
/// the record they are building.
package final class ByteChunkReader {
    /// The size of one read; large enough that system calls are not the bottleneck.
    package static let defaultChunkSize = 1 << 20

    package let path: String
    private let fd: Int32
    private var buffer: [UInt8]
    private var isClosed = false

    /// Opens `url` for reading.
    /// - Throws: ``TaskError`` naming the file when it cannot be opened.
    package init(url: URL, chunkSize: Int = ByteChunkReader.defaultChunkSize) throws {
        path = url.path
        fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw Self.cannotRead(url.path)
        }
        buffer = [UInt8](repeating: 0, count: max(1, chunkSize))
    }

    deinit { close() }

    /// The error for a file that cannot be opened or read, with `errno`'s reason.
    private static func cannotRead(_ path: String) -> TaskError {
        TaskError(
            "cannot read \(path): \(String(cString: strerror(errno)))",
            remedy: "check that the file exists and is readable")
    }

    /// Calls `body` with the next chunk of bytes; returns `false` at the end of the file.
    package func withNextChunk(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool {
        let capacity = buffer.count
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            while true {
                let result = read(fd, raw.baseAddress, capacity)
                if result < 0 && errno == EINTR { continue }
                return result
            }
        }
        if count < 0 { throw Self.cannotRead(path) }
        if count == 0 { return false }
        try buffer.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[0..<count]))
        }
        return true
    }

    /// Closes the file; later reads fail.
    package func close() {
        if !isClosed {
            isClosed = true
            closeDescriptor(fd)
        }
    }
}

/// Splits a file into lines (`\n`, with a trailing `\r` removed), streaming.
package struct LineReader {
    private let chunks: ByteChunkReader
    private var pending: [UInt8] = []
    private var lines: [[UInt8]] = []
    private var nextLineIndex = 0
    private var isAtEnd = false
    /// The 1-based number of the line last returned.
    package private(set) var lineNumber = 0

    package init(url: URL) throws {
        chunks = try ByteChunkReader(url: url)
    }

    /// The next line's bytes without its terminator, or `nil` at the end of the file.
    package mutating func nextLine() throws -> [UInt8]? {
        while nextLineIndex == lines.count {
            if isAtEnd { return nil }
            lines.removeAll(keepingCapacity: true)
            nextLineIndex = 0
            // Moved out (not copied), so appending to a long line does not copy it on every chunk.
            var pending = self.pending
            self.pending = []
            var lines = self.lines
            self.lines = []
            defer {
                self.pending = pending
                self.lines = lines
            }
            let more = try chunks.withNextChunk { chunk in
                var start = 0
                for index in 0..<chunk.count where chunk[index] == UInt8(ascii: "\n") {
                    pending.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<index]))
                    lines.append(Array(pending))  // a right-sized copy; `pending` keeps its buffer
                    pending.removeAll(keepingCapacity: true)
                    start = index + 1
                }
                pending.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<chunk.count]))
            }
            if !more {
                isAtEnd = true
                chunks.close()
                if !pending.isEmpty { lines.append(pending) }
                pending = []
            }
        }
        var line = lines[nextLineIndex]
        nextLineIndex += 1
        lineNumber += 1
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line
    }
}

/// `close(2)`, named apart from the methods called `close()`.
package func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
        _ = Glibc.close(fd)
    #elseif canImport(Darwin)
        _ = Darwin.close(fd)
    #endif
}
