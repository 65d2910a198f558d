import Basics
import Foundation
import WorkflowModel

/// Rows to score with a registered metric, read from JSONL or CSV with the same column mapping as
/// test sets. Rows that do not fit the metric's input format are reported with their line (or CSV
/// row) numbers and left out; the rest are scored.
public struct ScoringInput: Sendable {
    /// One readable row: the record as given (to write back with its score) and its canonical form.
    public struct Item: Sendable {
        public var original: [String: JSONValue]
        public var row: CanonicalRow
    }

    public var items: [Item]
    /// "line 7: missing field 'input' (map it with --column input=COLUMN)" and the like.
    public var problems: [String]

    /// Reads `url` (`.csv`, else JSON Lines) for `format`, mapping canonical fields to the file's
    /// columns with `columns` (canonical → column).
    public static func read(_ url: URL, format: InputFormat, columns: [String: String] = [:]) throws -> ScoringInput {
        url.pathExtension.lowercased() == "csv"
            ? try readCSV(url, format: format, columns: columns) : try readJSONLines(try Data(contentsOf: url), format: format, columns: columns)
    }

    /// Reads JSON Lines from bytes (standard input).
    public static func readJSONLines(_ data: Data, format: InputFormat, columns: [String: String] = [:]) throws -> ScoringInput {
        var result = ScoringInput(items: [], problems: [])
        var number = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            guard let value = try? JSONValue.parse(text), let object = value.objectValue else {
                result.problems.append("line \(number): not a JSON object")
                continue
            }
            result.add(object, number: number, format: format, columns: columns)
        }
        return result
    }

    static func readCSV(_ url: URL, format: InputFormat, columns: [String: String]) throws -> ScoringInput {
        var reader = try CSVReader(url: url)
        var result = ScoringInput(items: [], problems: [])
        var header: [String]?
        while true {
            let record: CSVReader.Record?
            do {
                record = try reader.next()
            } catch let error as CSVError {
                if error.isFatal { throw error }
                result.problems.append(error.located)
                continue
            }
            guard let record else { break }
            if record.isBlank { continue }
            guard let names = header else {
                header = record.fields.map(\.trimmingWhitespace)
                continue
            }
            guard record.fields.count == names.count else {
                result.problems.append("row \(record.row): \(record.fields.count) fields, the header has \(names.count)")
                continue
            }
            let object = Dictionary(zip(names, record.fields.map(JSONValue.string)), uniquingKeysWith: { first, _ in first })
            result.add(object, number: record.row, format: format, columns: columns)
        }
        return result
    }

    /// Maps one JSON object to a canonical row, reading each canonical field from
    /// `columns[field] ?? field`, and names the fields `format` needs that the object lacks
    /// (canonical names; empty when the row can be scored). Used by `score` and the scoring server.
    public static func canonicalRow(
        from object: [String: JSONValue], number: Int, format: InputFormat, columns: [String: String] = [:]
    ) -> (row: CanonicalRow, missing: [String]) {
        func value(_ field: String) -> JSONValue? { object[columns[field] ?? field] }
        var row = CanonicalRow(row: number)
        row.id = value("id")?.displayText
        row.input = value("input")?.displayText
        row.output = value("output")?.displayText
        if let documents = value("documents") {
            row.documents = documents.arrayValue?.map(\.displayText)
                ?? (try? JSONValue.parse(documents.displayText))?.arrayValue?.map(\.displayText) ?? [documents.displayText]
        }
        row.tools = value("tools")
        row.trace = value("trace").map { ($0.stringValue.flatMap { try? JSONValue.parse($0) }) ?? $0 }
        row.session = value("session").map { ($0.stringValue.flatMap { try? JSONValue.parse($0) }) ?? $0 }
        let missing = format.requiredFields.filter { field in
            switch field {
            case "input": return row.input == nil
            case "output": return row.output == nil
            case "documents": return row.documents == nil
            case "tools": return row.tools == nil
            case "trace": return row.trace == nil
            case "session": return row.session == nil
            default: return false
            }
        }
        return (row, missing)
    }

    private mutating func add(_ object: [String: JSONValue], number: Int, format: InputFormat, columns: [String: String]) {
        let (row, missing) = Self.canonicalRow(from: object, number: number, format: format, columns: columns)
        guard missing.isEmpty else {
            let fields = missing.map { "'\(columns[$0] ?? $0)'" }.joined(separator: ", ")
            problems.append("line \(number): missing \(fields) (the metric's input is \(format.rawValue); map columns with --column FIELD=COLUMN)")
            return
        }
        items.append(Item(original: object, row: row))
    }
}
