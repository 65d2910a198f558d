import Basics
import Foundation
import Scoring
import TaskInterface
import WorkflowModel

/// The `load` stage: reads a CSV or JSON Lines dataset, validates it against the metric, and writes
/// canonical rows (see ``CanonicalRow``).
///
/// Input `source` (the file), output `rows`. Params:
///
/// | param | meaning |
/// |---|---|
/// | `path` | the source as written in the manifest, for messages |
/// | `format` | `csv` or `jsonl` (default: from the extension) |
/// | `columns` | canonical field → the file's column name; unmapped fields use their own name |
/// | `input_format` | an ``InputFormat`` raw value (default `message`) |
/// | `output` | `boolean` (default) or `categorical` |
/// | `labels` | the categorical labels, in index order |
/// | `require_labels` | whether every row needs a label (default true; false for unlabelled uploads) |
/// | `role` | `test_set` (default) or `training_set`, for the row-count recommendations |
/// | `group_by` | a column whose value (trimmed text) becomes each row's ``CanonicalRow/group``; set only for a test set whose run has `split: {group_by}`. A file without the column fails with the closest column name; an empty value is a problem of its row |
///
/// Every problem in the file is collected and reported together (the first 20 with their row
/// numbers, then "and N more"), as a ``TaskError`` with code `invalidInput`. The file is streamed:
/// only one row is held at a time.
public struct LoadDataset: TaskType {
    public static let id = "load-dataset"
    public static let version = 1

    public init() {}

    public func run(_ context: StageContext) async throws -> StageResult {
        let source = try context.input("source")
        let destination = try context.output("rows")
        let options = try Options(context, source: source)
        var validator = DatasetValidator(options: options, rowWord: options.format == .csv ? "row" : "line")
        let writer = try DatasetRowWriter(url: destination)
        let warnings: [String]
        do {
            switch options.format {
            case .csv: try readCSV(source, options: options, validator: &validator, writer: writer)
            case .jsonl: try readJSONLines(source, options: options, validator: &validator, writer: writer)
            }
            try writer.close()
            warnings = try validator.finish()
        } catch {
            try? writer.close()
            try? FileManager.default.removeItem(at: destination)
            throw error
        }
        var metrics: [String: JSONValue] = ["rows": .int(validator.rowCount)]
        metrics["labels"] = .object(
            Dictionary(uniqueKeysWithValues: options.labels.map { ($0, JSONValue.int(validator.labelCounts[$0] ?? 0)) })
        )
        if !options.requireLabels { metrics["unlabelled"] = .int(validator.unlabelledCount) }
        let rows = validator.rowCount == 1 ? "1 row" : "\(validator.rowCount) rows"
        return StageResult(
            summary: "loaded \(rows) from \(options.path) (\(validator.countsText))", warnings: warnings,
            metrics: metrics)
    }

    private func readCSV(
        _ source: URL, options: Options, validator: inout DatasetValidator, writer: DatasetRowWriter
    ) throws {
        var reader = try CSVReader(url: source)
        var isPastHeader = false
        func next() throws -> CSVReader.Record? {
            while true {
                do {
                    return try reader.next()
                } catch let error as CSVError {
                    if error.isFatal || !isPastHeader {
                        throw TaskError(
                            "\(options.path): \(error.located)", remedy: "fix the file so it is valid CSV (RFC 4180)",
                            code: .invalidInput)
                    }
                    validator.problem(error.located)
                }
            }
        }
        var headerRecord: CSVReader.Record?
        while let record = try next() {
            if !record.isBlank {
                headerRecord = record
                break
            }
        }
        guard let header = headerRecord else { return }  // no header: finish() reports the empty dataset
        isPastHeader = true
        let names = header.fields.map(\.trimmingWhitespace)
        let indices = try columnIndices(names, options: options)
        var pendingBlankRows: [Int] = []
        var blankRows: [Int] = []
        var seen = 0
        while let record = try next() {
            seen += 1
            if seen % 8192 == 0 { try Task.checkCancellation() }
            if record.isBlank {
                pendingBlankRows.append(record.row)
                continue
            }
            blankRows += pendingBlankRows
            pendingBlankRows = []
            guard record.fields.count == names.count else {
                validator.problem(
                    "row \(record.row) has \(record.fields.count) fields but the header has \(names.count)"
                        + " (a comma or line break outside quotes?)")
                continue
            }
            let values = indices.map { index in index.map { JSONValue.string(record.fields[$0]) } }
            if let row = validator.check(values, row: record.row) { try writer.append(row) }
        }
        if !blankRows.isEmpty {
            let listed = blankRows.prefix(10).map(String.init).joined(separator: ", ")
            let more = blankRows.count > 10 ? ", and \(blankRows.count - 10) more" : ""
            validator.warn("skipped \(blankRows.count) empty row\(blankRows.count == 1 ? "" : "s") (\(listed)\(more))")
        }
    }

    /// The column index of each of ``Options/wantedFields`` (`nil` for those the file lacks).
    private func columnIndices(_ names: [String], options: Options) throws -> [Int?] {
        var indices: [Int?] = []
        var missing: [String] = []
        for field in options.wantedFields {
            let column = options.column(for: field)
            let matches = names.indices.filter { names[$0] == column }
            if matches.count > 1 {
                throw TaskError(
                    "column \"\(column)\" appears \(matches.count) times in the header of \(options.path) "
                        + "(columns \(matches.map { String($0 + 1) }.joined(separator: ", ")))",
                    remedy: "rename the duplicates so each column name is unique", code: .invalidInput)
            }
            indices.append(matches.first)
            if matches.isEmpty, options.requiredFields.contains(field) || options.columns[field] != nil {
                missing.append(field)
            }
        }
        if !missing.isEmpty { throw ColumnHints.missingColumns(missing, options: options, available: names) }
        return indices
    }

    private func readJSONLines(
        _ source: URL, options: Options, validator: inout DatasetValidator, writer: DatasetRowWriter
    ) throws {
        var lines = try LineReader(url: source)
        var keysSeen = Set<String>()
        let wanted = options.wantedFields
        let columns = wanted.map(options.column(for:))
        while var line = try lines.nextLine() {
            let number = lines.lineNumber
            if number % 8192 == 0 { try Task.checkCancellation() }
            if number == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let value: JSONValue
            do {
                value = try JSONLineParser.parse(line)
            } catch {
                validator.problem("line \(number): invalid JSON: \(error.description)")
                continue
            }
            guard case .object(let members) = value else {
                validator.problem("line \(number): expected a JSON object ({\"input\": …}), found \(value.kindText)")
                continue
            }
            keysSeen.formUnion(members.keys)
            let values = columns.map { members[$0] }
            if let row = validator.check(values, row: number) { try writer.append(row) }
        }
        let missing = wanted.filter {
            (options.requiredFields.contains($0) || options.columns[$0] != nil)
                && !keysSeen.contains(options.column(for: $0))
        }
        if !missing.isEmpty && !keysSeen.isEmpty {
            throw ColumnHints.missingColumns(missing, options: options, available: keysSeen.sorted())
        }
    }
}
