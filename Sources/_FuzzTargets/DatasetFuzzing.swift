import Basics
import Foundation
import Scoring
@_spi(Fuzzing) import TaskTypes
import TaskInterface
import WorkflowModel

/// The ``FuzzTarget/csv`` and ``FuzzTarget/jsonl`` targets: the input is a dataset file.
///
/// Invariants: the CSV reader returns the same records whether it reads the file in 4 KiB or in
/// 3-byte chunks, with row numbers that only go up; a JSON line that parses re-parses from its
/// canonical text to the same value; and when the `load` stage accepts the file, the rows file it
/// writes reads back (as the next stage reads it) with as many rows as it reported, numbered in order.
enum DatasetFuzzing {
    static func runCSV(_ data: Data, in sandbox: FuzzSandbox) async throws -> FuzzOutcome {
        let target = FuzzTarget.csv
        let source = try sandbox.write(data, to: "input/fuzz.csv")
        let whole = try FuzzEntryPoints.csvRecords(at: source, chunkSize: 4096)
        let chunked = try FuzzEntryPoints.csvRecords(at: source, chunkSize: 3)
        try target.require(whole == chunked, "3-byte chunks read \(chunked.count) records, 4 KiB chunks \(whole.count)")
        for (previous, next) in zip(whole, whole.dropFirst()) {
            try target.require(
                next.row == previous.row + 1 && next.line >= previous.line,
                "record at row \(next.row) line \(next.line) follows row \(previous.row) line \(previous.line)")
        }
        return try await load(source, format: "csv", target: target, in: sandbox)
    }

    static func runJSONLines(_ data: Data, in sandbox: FuzzSandbox) async throws -> FuzzOutcome {
        let target = FuzzTarget.jsonl
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            var bytes = [UInt8](line)
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            guard let value = try? FuzzEntryPoints.parseJSONLine(bytes) else { continue }
            let text = value.canonicalText
            let again: JSONValue
            do {
                again = try FuzzEntryPoints.parseJSONLine(Array(text.utf8))
            } catch {
                throw InvariantViolation(target: target, message: "canonical text \(text) does not parse: \(error)")
            }
            try target.require(again == value, "canonical text \(text) parses to a different value")
        }
        let source = try sandbox.write(data, to: "input/fuzz.jsonl")
        return try await load(source, format: "jsonl", target: target, in: sandbox)
    }

    /// Runs the `load` stage (boolean metric, `input` and `label` columns) on `source`.
    private static func load(
        _ source: URL, format: String, target: FuzzTarget, in sandbox: FuzzSandbox
    ) async throws -> FuzzOutcome {
        let rowsURL = sandbox.url("input/rows.jsonl")
        try? FileManager.default.removeItem(at: rowsURL)
        let context = StageContext(
            stageID: StageID(project: "fuzz", run: "run", stage: "load"),
            params: ["path": .string("data/fuzz.\(format)"), "format": .string(format)],
            inputs: ["source": source], outputs: ["rows": rowsURL], workingDirectory: sandbox.workspace,
            scratchDirectory: sandbox.scratch, modelsDirectory: sandbox.url("models"), environment: [:],
            reporter: SilentReporter())
        let result: StageResult
        do {
            result = try await LoadDataset().run(context)
        } catch let error as TaskError {
            try target.require(!FileManager.default.fileExists(atPath: rowsURL.path), "a failed load left its rows file")
            return .rejected(error.message)
        }
        let rows: [CanonicalRow]
        do {
            rows = try DatasetRows.read(from: rowsURL)
        } catch {
            throw InvariantViolation(target: target, message: "the rows the load stage wrote do not read back: \(error)")
        }
        try target.require(
            result.metrics["rows"] == .int(rows.count), "reported \(result.metrics["rows"] ?? .null) rows, wrote \(rows.count)")
        for (previous, next) in zip(rows, rows.dropFirst()) {
            try target.require(previous.row < next.row, "row \(next.row) follows row \(previous.row)")
        }
        return .accepted(result.summary ?? "")
    }
}
