import Basics
import Foundation
import TaskInterface
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
    ///
    /// The file is read with `read(2)` to its end, so character devices and pipes work as well as
    /// regular files: `/dev/stdin`, `/dev/null`, a shell's `<(…)`.
    /// - Throws: ``TaskError`` naming the file when it cannot be read, or when a CSV file's record
    ///   boundaries are lost (a quote never closed).
    public static func read(_ url: URL, format: InputFormat, columns: [String: String] = [:]) throws -> ScoringInput {
        url.pathExtension.lowercased() == "csv"
            ? try readCSV(url, format: format, columns: columns)
            : try readJSONLines(try contents(of: url), format: format, columns: columns)
    }

    /// Every byte of `url`, read in chunks until the end of the file (Foundation's
    /// `Data(contentsOf:)` refuses devices and pipes with "permission denied").
    static func contents(of url: URL) throws -> Data {
        let reader = try ByteChunkReader(url: url)
        var data = Data()
        while try reader.withNextChunk({ data.append(contentsOf: $0) }) {}
        return data
    }

    /// Reads JSON Lines from bytes (standard input).
    public static func readJSONLines(_ data: Data, format: InputFormat, columns: [String: String] = [:]) throws -> ScoringInput {
        var result = ScoringInput(items: [], problems: [])
        var number = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            let value: JSONValue
            do {
                value = try JSONValue.parse(text)
            } catch {
                result.problems.append("line \(number): invalid JSON: \(error)")
                continue
            }
            guard let object = value.objectValue else {
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
                if error.isFatal {
                    throw TaskError(
                        "\(url.path): \(error.located)", remedy: "fix the file so it is valid CSV (RFC 4180)",
                        code: .invalidInput)
                }
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
    /// `columns[field] ?? field`. Used by `score` and the scoring server.
    ///
    /// `input` and `output` follow ``TextField``, the dataset loader's rule: `null`, blank and
    /// empty values count as missing, and an object or array is refused, never scored as its JSON
    /// text.
    /// - Returns: The row; `missing`, the fields `format` needs that the object lacks, leaves empty
    ///   or gives as something other than text (canonical names); and `invalid`, a phrase per field
    ///   that is present but not text (`'input' must be text, not an object`). The row can be scored
    ///   when both are empty; callers report `invalid` first.
    public static func canonicalRow(
        from object: [String: JSONValue], number: Int, format: InputFormat, columns: [String: String] = [:]
    ) -> (row: CanonicalRow, missing: [String], invalid: [String]) {
        func value(_ field: String) -> JSONValue? { object[columns[field] ?? field] }
        var row = CanonicalRow(row: number)
        var invalid: [String] = []
        row.id = value("id")?.displayText
        let wanted = Set(format.requiredFields + format.optionalFields)
        for field in ["input", "output"] {
            switch TextField.read(value(field)) {
            case .text(let text):
                if field == "input" { row.input = text } else { row.output = text }
            case .empty: break
            case .notText(let kind):
                if wanted.contains(field) { invalid.append("'\(columns[field] ?? field)' must be text, not \(kind)") }
            }
        }
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
        return (row, missing, invalid)
    }

    private mutating func add(_ object: [String: JSONValue], number: Int, format: InputFormat, columns: [String: String]) {
        let (row, missing, invalid) = Self.canonicalRow(from: object, number: number, format: format, columns: columns)
        guard invalid.isEmpty else {
            problems.append("line \(number): " + invalid.joined(separator: "; "))
            return
        }
        guard missing.isEmpty else {
            let fields = missing.map { "'\(columns[$0] ?? $0)'" }.joined(separator: ", ")
            problems.append("line \(number): missing \(fields) (the metric's input is \(format.rawValue); map columns with --column FIELD=COLUMN)")
            return
        }
        items.append(Item(original: object, row: row))
    }
}
