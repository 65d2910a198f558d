import ArgumentParser
import Basics
import Foundation
import Scoring
import Workspace

/// `lunette report RUN [--open]`: where a run's evaluation report is.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Print the path of a run's report.html (and open it with --open).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The run: project/run, or run when the name is unique.") var run: String
    @Flag(help: "Open it in a browser (xdg-open) when one is available.") var open = false

    func run() async throws {
        do {
            let folder = try global.workspace().reportFolder(run: run)
            let page = folder.appendingPathComponent("report.html")
            print(page.path)
            if open {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["xdg-open", page.path]
                do { try process.run() } catch { printError("note: no browser opener found (xdg-open); open the path above") }
            }
        } catch {
            throw CommandFailure.report(error)
        }
    }
}

/// `lunette compare RUN RUN…`: runs' scores side by side.
struct CompareCommand: AsyncParsableCommand {
    /// A report's bootstrap intervals by score name (each `nil` in reports from before evaluate version 3).
    static func intervals(_ report: EvaluationReport) -> [(String, ScoreIntervals.Interval?)] {
        [("macro_f1", report.intervals?.macroF1), ("accuracy", report.intervals?.accuracy), ("auc_roc", report.intervals?.aucROC)]
    }

    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Compare runs' evaluation scores side by side, with deltas against the first.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Two or more runs.") var runs: [String]
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard runs.count >= 2 else { throw ValidationError("name at least two runs") }
    }

    func run() async throws {
        do {
            let workspace = try global.workspace()
            var reports: [EvaluationReport] = []
            for run in runs {
                let data = try Data(contentsOf: try workspace.reportFolder(run: run).appendingPathComponent("report.json"))
                reports.append(try JSONDecoder().decode(EvaluationReport.self, from: data))
            }
            let measures: [(String, (ClassificationMetrics) -> Double?)] = [
                ("macro_f1", { $0.macroF1 }), ("weighted_f1", { $0.weightedF1 }), ("accuracy", { $0.accuracy }),
                ("binary_f1", { $0.binaryF1 }), ("auc_roc", { $0.aucROC }), ("pr_auc", { $0.prAUC }),
                ("calibration_error", { $0.expectedCalibrationError }),
            ]
            if json {
                let value = JSONValue.object([
                    "runs": .array(reports.map { report in
                        var scores: [String: JSONValue] = ["run": .string("\(report.project)/\(report.run)")]
                        for (name, measure) in measures { scores[name] = measure(report.scores).map(JSONValue.double) ?? .null }
                        for (name, interval) in Self.intervals(report) {
                            scores[name + "_ci"] = interval.map { [.double($0.lower), .double($0.upper)] } ?? .null
                        }
                        return .object(scores)
                    })
                ])
                print(value.prettyText)
                return
            }
            var rows: [[String]] = []
            for (name, measure) in measures {
                let base = measure(reports[0].scores)
                var row = [name]
                for (index, report) in reports.enumerated() {
                    guard let value = measure(report.scores) else {
                        row.append("-")
                        continue
                    }
                    var cell = String(format: "%.3f", value)
                    if index > 0, let base { cell += String(format: " (%+.3f)", value - base) }
                    row.append(cell)
                }
                rows.append(row)
            }
            for (index, (name, _)) in Self.intervals(reports[0]).enumerated() {
                rows.append(
                    ["\(name) 95% CI"]
                        + reports.map { report in
                            Self.intervals(report)[index].1.map { String(format: "%.3f–%.3f", $0.lower, $0.upper) } ?? "-"
                        })
            }
            print(Table.render(header: ["SCORE"] + reports.map { "\($0.project)/\($0.run)" }, rows: rows), terminator: "")
        } catch {
            throw CommandFailure.report(error)
        }
    }
}
