import Basics
import Foundation
import Scoring
import WorkflowModel

/// The readers of untrusted dataset and trace files, opened to the fuzz targets in `Sources/_FuzzTargets`.
///
/// Not API: visible only through `@_spi(Fuzzing) import TaskTypes`. Each entry point runs the code
/// the `load` and `import` stages run, on bytes a fuzzer chose, and hands back plain values the
/// fuzz targets check invariants on (see `Fuzz/README.md`).
@_spi(Fuzzing) public enum FuzzEntryPoints {
    /// One CSV record as ``CSVReader`` returned it: its fields, or the located error.
    public struct CSVRecord: Equatable, Sendable {
        /// The fields; `nil` when the record is an error.
        public var fields: [String]?
        /// The row number (header = 1).
        public var row: Int
        /// The line the record starts on.
        public var line: Int
        /// "row 3: …" for a record that cannot be read.
        public var error: String?
        /// Whether the error ends reading.
        public var isFatal: Bool
    }

    /// Every record of the CSV file at `url`, read `chunkSize` bytes at a time, up to and including
    /// the first fatal error.
    /// - Throws: ``TaskError`` when the file cannot be opened or read.
    public static func csvRecords(at url: URL, chunkSize: Int) throws -> [CSVRecord] {
        var reader = try CSVReader(url: url, chunkSize: chunkSize)
        var records: [CSVRecord] = []
        while true {
            do {
                guard let record = try reader.next() else { return records }
                records.append(
                    CSVRecord(fields: record.fields, row: record.row, line: record.line, error: nil, isFatal: false))
            } catch let error as CSVError {
                records.append(
                    CSVRecord(fields: nil, row: error.row, line: error.line, error: error.located, isFatal: error.isFatal))
                if error.isFatal { return records }
            }
        }
    }

    /// A line of JSON Lines that is not valid JSON: ``JSONLineParser``'s message and column.
    public struct JSONLineError: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        /// 1-based byte column.
        public var column: Int
        public var description: String { "\(message) at column \(column)" }
    }

    /// Parses one line of a JSON Lines dataset as the `load` stage does.
    /// - Throws: ``JSONLineError`` saying what is wrong and at which column.
    public static func parseJSONLine(_ bytes: [UInt8]) throws(JSONLineError) -> JSONValue {
        do {
            return try JSONLineParser.parse(bytes)
        } catch {
            throw JSONLineError(message: error.message, column: error.column)
        }
    }

    /// Reads a trace export as the `import` stage does, and turns its spans into the candidate rows
    /// of every step.
    /// - Returns: The number of spans read and, for each step, its rows in order.
    /// - Throws: ``TaskError`` with the line that is not JSON.
    public static func importTraces(
        _ data: Data, path: String, columns: [String: String] = [:]
    ) throws -> (spans: Int, rows: [MetricStep: [CanonicalRow]]) {
        var reader = ImportTraceReader()
        reader.columns = columns
        try reader.read(data, path: path)
        var rows: [MetricStep: [CanonicalRow]] = [:]
        for step in MetricStep.allCases { rows[step] = ImportTraces.rows(from: reader.spans, step: step) }
        return (reader.spans.count, rows)
    }
}
