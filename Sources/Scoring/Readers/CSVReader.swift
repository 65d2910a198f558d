import Basics
import Foundation

/// A streaming RFC 4180 CSV reader that works on bytes.
///
/// It reads the file a chunk at a time and keeps only the record it is building, so a file of a
/// million rows never sits in memory. What it accepts:
///
/// - fields separated by `,`, records ended by CRLF, LF or a lone CR; the last record may lack a
///   terminator;
/// - quoted fields holding commas, line breaks and doubled quotes (`""` → `"`);
/// - a UTF-8 byte-order mark at the start (skipped);
/// - a `"` inside an unquoted field is kept as it is (as spreadsheets write `5" screen`).
///
/// Records are numbered as a spreadsheet shows them: the header is row 1, the first data row is
/// row 2, and an empty line counts as a row (``Record/isBlank``). A record with invalid UTF-8 or a
/// NUL byte is returned as a ``CSVError`` with ``CSVError/isFatal`` false, and reading can go on; an
/// unterminated quote or text after a closing quote is fatal.
package struct CSVReader {
    /// One record: its fields and where it is.
    package struct Record: Equatable {
        package var fields: [String]
        /// The row number (header = 1).
        package var row: Int
        /// The physical line the record starts on (differs from `row` after quoted line breaks).
        package var line: Int
        /// Whether the line was empty (no fields at all).
        package var isBlank: Bool { fields.isEmpty }
    }

    private let chunks: ByteChunkReader
    private var ready: [Result<Record, CSVError>] = []
    private var nextReady = 0
    private var isAtEnd = false
    private var parser = Parser()

    package init(url: URL, chunkSize: Int = ByteChunkReader.defaultChunkSize) throws {
        chunks = try ByteChunkReader(url: url, chunkSize: chunkSize)
    }

    /// The next record, or `nil` at the end of the file.
    /// - Throws: ``CSVError`` for a record that cannot be read.
    package mutating func next() throws -> Record? {
        while nextReady == ready.count {
            if isAtEnd { return nil }
            ready.removeAll(keepingCapacity: true)
            nextReady = 0
            // Moved out (not copied) so the closure below mutates uniquely referenced buffers: a copy
            // would make the field being built copy itself on every chunk, quadratic in a long field.
            var parser = self.parser
            self.parser = Parser()
            var ready = self.ready
            self.ready = []
            defer {
                self.parser = parser
                self.ready = ready
            }
            let more = try chunks.withNextChunk { chunk in parser.consume(chunk, into: &ready) }
            if !more {
                isAtEnd = true
                chunks.close()
                parser.finish(into: &ready)
            }
        }
        let result = ready[nextReady]
        nextReady += 1
        return try result.get()
    }

    /// The byte-level state machine.
    private struct Parser {
        enum State { case fieldStart, unquoted, quoted, quoteInQuoted, afterCR }

        var state = State.fieldStart
        var fields: [String] = []
        var field: [UInt8] = []
        var row = 1
        var line = 1
        var recordLine = 1
        var recordHasContent = false
        var problem: String?
        var fatal: CSVError?
        var bomBytesMatched = 0
        var isPastBOM = false

        static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

        mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>, into out: inout [Result<Record, CSVError>]) {
            for byte in chunk {
                if fatal != nil { return }
                if !isPastBOM {
                    if byte == Parser.bom[bomBytesMatched] {
                        bomBytesMatched += 1
                        if bomBytesMatched == Parser.bom.count { isPastBOM = true }
                        continue
                    }
                    isPastBOM = true
                    for earlier in Parser.bom[0..<bomBytesMatched] { step(earlier, into: &out) }
                }
                step(byte, into: &out)
            }
        }

        mutating func finish(into out: inout [Result<Record, CSVError>]) {
            if let fatal {
                out.append(.failure(fatal))
                return
            }
            if !isPastBOM { for earlier in Parser.bom[0..<bomBytesMatched] { step(earlier, into: &out) } }
            switch state {
            case .quoted:
                out.append(
                    .failure(
                        CSVError(
                            row: row, line: recordLine,
                            message: "a quoted field that starts on line \(recordLine) is never closed",
                            isFatal: true)))
            case .afterCR:
                break
            case .fieldStart where fields.isEmpty && !recordHasContent:
                break
            default:
                endRecord(into: &out)
            }
        }

        private mutating func step(_ byte: UInt8, into out: inout [Result<Record, CSVError>]) {
            if byte == 0, problem == nil {
                problem = "contains a NUL byte (in field \(fields.count + 1)); the file looks binary or UTF-16"
            }
            switch state {
            case .afterCR:
                state = .fieldStart
                if byte == UInt8(ascii: "\n") { return }
                step(byte, into: &out)
            case .fieldStart:
                switch byte {
                case UInt8(ascii: "\""):
                    state = .quoted
                    recordHasContent = true
                case UInt8(ascii: ","):
                    recordHasContent = true
                    endField()
                case UInt8(ascii: "\n"):
                    line += 1
                    endRecord(into: &out)
                case UInt8(ascii: "\r"):
                    line += 1
                    endRecord(into: &out)
                    state = .afterCR
                default:
                    recordHasContent = true
                    field.append(byte)
                    state = .unquoted
                }
            case .unquoted:
                switch byte {
                case UInt8(ascii: ","):
                    endField()
                    state = .fieldStart
                case UInt8(ascii: "\n"):
                    line += 1
                    endRecord(into: &out)
                case UInt8(ascii: "\r"):
                    line += 1
                    endRecord(into: &out)
                    state = .afterCR
                default:
                    field.append(byte)
                }
            case .quoted:
                if byte == UInt8(ascii: "\"") {
                    state = .quoteInQuoted
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
            case .quoteInQuoted:
                switch byte {
                case UInt8(ascii: "\""):
                    field.append(byte)
                    state = .quoted
                case UInt8(ascii: ","):
                    endField()
                    state = .fieldStart
                case UInt8(ascii: "\n"):
                    line += 1
                    endRecord(into: &out)
                case UInt8(ascii: "\r"):
                    line += 1
                    endRecord(into: &out)
                    state = .afterCR
                default:
                    fatal = CSVError(
                        row: row, line: line,
                        message: "field \(fields.count + 1) has text after its closing quote; "
                            + "a quote inside a quoted field must be doubled (\"\")",
                        isFatal: true)
                }
            }
        }

        private mutating func endField() {
            if let text = decodeUTF8(field) {
                fields.append(text)
            } else {
                if problem == nil { problem = "field \(fields.count + 1) is not valid UTF-8; save the file as UTF-8" }
                fields.append("")
            }
            field.removeAll(keepingCapacity: true)
        }

        private mutating func endRecord(into out: inout [Result<Record, CSVError>]) {
            if fields.isEmpty && !recordHasContent && field.isEmpty {
                out.append(.success(Record(fields: [], row: row, line: recordLine)))
            } else {
                endField()
                if let problem {
                    out.append(.failure(CSVError(row: row, line: recordLine, message: problem, isFatal: false)))
                } else {
                    out.append(.success(Record(fields: fields, row: row, line: recordLine)))
                }
            }
            fields.removeAll(keepingCapacity: true)
            problem = nil
            recordHasContent = false
            row += 1
            recordLine = line
            state = .fieldStart
        }
    }
}

/// A record of a CSV file that cannot be read.
package struct CSVError: Error, Equatable {
    /// The row number (header = 1).
    package var row: Int
    /// The physical line the record starts on.
    package var line: Int
    /// What is wrong, without the row.
    package var message: String
    /// Whether reading cannot go on (the record boundaries are lost).
    package var isFatal: Bool

    /// "row 7 (line 9): …", or "row 7: …" when the two agree.
    package var located: String {
        row == line ? "row \(row): \(message)" : "row \(row) (line \(line)): \(message)"
    }
}
