import Basics
import Foundation
import Scoring
import TaskInterface

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads and writes canonical row files (JSON Lines of ``CanonicalRow``), streaming.
///
/// ```swift
/// let rows = try DatasetRows.read(from: context.input("rows"))
/// try DatasetRows.write(rows.filter { $0.label == "true" }, to: context.output("positives"))
/// ```
public enum DatasetRows {
    /// Calls `body` with each row of a canonical row file, in file order, holding one at a time.
    /// - Throws: ``TaskError`` naming the file and line of a row that cannot be read.
    public static func forEach(in url: URL, _ body: (CanonicalRow) throws -> Void) throws {
        var lines = try LineReader(url: url)
        while let line = try lines.nextLine() {
            if line.isEmpty { continue }
            let row: CanonicalRow
            do {
                row = try CanonicalRow(json: JSONLineParser.parse(line))
            } catch let failure as JSONLineParser.Failure {
                throw corrupt(url, line: lines.lineNumber, failure.description)
            } catch let failure as CanonicalRow.Failure {
                throw corrupt(url, line: lines.lineNumber, failure.message)
            }
            try body(row)
        }
    }

    /// Every row of a canonical row file, in file order.
    public static func read(from url: URL) throws -> [CanonicalRow] {
        var rows: [CanonicalRow] = []
        try forEach(in: url) { rows.append($0) }
        return rows
    }

    /// Writes `rows` as a canonical row file, replacing `url`.
    public static func write<S: Sequence>(_ rows: S, to url: URL) throws where S.Element == CanonicalRow {
        let writer = try DatasetRowWriter(url: url)
        for row in rows { try writer.append(row) }
        try writer.close()
    }

    private static func corrupt(_ url: URL, line: Int, _ message: String) -> TaskError {
        TaskError(
            "\(url.path):\(line): not a canonical dataset row: \(message)",
            remedy:
                "the file was written by something other than lunette or has been edited; rerun the stage that made it")
    }
}

/// Appends canonical rows to a file through a buffer; call ``close()`` to flush.
public final class DatasetRowWriter {
    private let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 20

    /// Creates (or truncates) the file at `url`, creating its folder when needed.
    public init(url: URL) throws {
        path = url.path
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TaskErrors.cannotWrite(url.path, reason: String(cString: strerror(errno))) }
        buffer.reserveCapacity(DatasetRowWriter.flushThreshold + 4096)
    }

    deinit {
        if fd >= 0 { closeDescriptor(fd) }
    }

    /// Appends one row as a line.
    public func append(_ row: CanonicalRow) throws {
        buffer.append(contentsOf: row.canonicalLine.utf8)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= DatasetRowWriter.flushThreshold { try flush() }
    }

    /// Flushes the buffer and closes the file.
    public func close() throws {
        guard fd >= 0 else { return }
        defer {
            closeDescriptor(fd)
            fd = -1
        }
        try flush()
    }

    private func flush() throws {
        guard fd >= 0 else { throw TaskErrors.cannotWrite(path, reason: "the writer is closed") }
        do {
            try AtomicFile.writeAll(fd: fd, data: Data(buffer), path: path)
        } catch {
            throw TaskErrors.cannotWrite(path, reason: "\(error)")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
