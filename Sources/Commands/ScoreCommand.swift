import ArgumentParser
import Basics
import Foundation
import MLCore
import Scoring
import WorkflowModel
import Workspace

/// `lunette score NAME[@VERSION|@ALIAS]`: scores rows with a registered metric.
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score rows with a registered metric: each row comes back with \"score\" and \"probabilities\".",
        discussion: """
            Reads JSON Lines (or CSV when --input ends in .csv) in the metric's input format, from --input (a file, a pipe or a device such as /dev/stdin) or standard input, and writes each row back with "score" (boolean metrics: true/false; categorical: the label) and "probabilities" (label → probability), in order. Rows that do not fit the metric's input format (a field missing or empty, or an object or array where text belongs, as the dataset loader refuses them) are reported on standard error with their line numbers and the rest are still scored (exit 1 when any was left out). Map your column names with --column input=text.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The metric: NAME (latest version), NAME@VERSION or NAME@ALIAS.") var metric: String
    @Option(name: [.short, .long], help: "Rows to score (default: standard input, JSON Lines).") var input: String?
    @Option(name: [.short, .long], help: "Where to write (default: standard output).") var output: String?
    @Option(help: "FIELD=COLUMN: read the canonical field from this column (repeatable).") var column: [String] = []
    @Flag(help: "Write JSON Lines (the default).") var json = false
    @Flag(help: "Write CSV: the input's columns, then score and one probability column per label.") var csv = false
    @Option(help: "Threads for the encoder (default: LUNETTE_THREADS or 2).") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        _ = try columns()
    }

    /// `--column FIELD=COLUMN` pairs as canonical field → column.
    func columns() throws -> [String: String] {
        var columns: [String: String] = [:]
        for pair in column {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--column takes FIELD=COLUMN, e.g. input=text") }
            columns[parts[0]] = parts[1]
        }
        return columns
    }

    func run() async throws {
        do {
            let columns = try columns()
            let workspace = try global.workspace()
            let registered = try workspace.registeredMetric(metric)
            do {
                try await workspace.fetchIfMissing(registered)  // read-through from the remote cache
            } catch {
                printError("warning: \(error)")
            }
            let model = try MetricModel(
                folder: try workspace.modelFolder(for: registered),
                threads: threads ?? ThreadCount.fromEnvironment())
            let format = model.info.rendering.format
            let rows = try input.map { try ScoringInput.read(global.path($0), format: format, columns: columns) }
                ?? ScoringInput.readJSONLines(FileHandle.standardInput.readDataToEndOfFile(), format: format, columns: columns)
            let predictions = try model.predictions(for: rows.items.map(\.row))
            let labels = model.info.labels
            var text = ""
            if csv {
                let keys = Array(Set(rows.items.flatMap { $0.original.keys })).sorted()
                text = (keys + ["score"] + labels.map { "p_\($0)" }).map(Self.csvField).joined(separator: ",") + "\n"
                for (item, prediction) in zip(rows.items, predictions) {
                    let fields = keys.map { item.original[$0]?.displayText ?? "" } + [prediction.label]
                        + prediction.probabilities.map { String(format: "%.6f", $0) }
                    text += fields.map(Self.csvField).joined(separator: ",") + "\n"
                }
            } else {
                for (item, prediction) in zip(rows.items, predictions) {
                    var object = item.original
                    object.merge(model.responseFields(prediction)) { $1 }
                    text += JSONValue.object(object).canonicalText + "\n"
                }
            }
            if let output {
                try AtomicFile.write(Data(text.utf8), to: global.path(output).path)
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
            for problem in rows.problems { printError("skipped \(problem)") }
            if !rows.problems.isEmpty {
                printError("\(rows.problems.count) row\(rows.problems.count == 1 ? "" : "s") left out; \(rows.items.count) scored")
                throw ExitCode.failure
            }
        } catch {
            throw CommandFailure.report(error)
        }
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
