import ArgumentParser
import Basics
import Foundation
import Workspace

/// `lunette metrics`: the committed scores files, and how they changed between git revisions.
///
/// Named after `dvc metrics`, which it mirrors; the files it reads are the projects'
/// `workflows/<project>.scores.json` (``ScoresFile``), written by `lunette run`.
struct ScoresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Show the committed scores (workflows/<project>.scores.json) or diff them across git revisions.",
        discussion: """
            `lunette run` writes each project's headline results (macro-F1 with its 95% interval, per-class \
            F1, AUC-ROC, PR-AUC, accuracy, calibration error, eval rows, the untuned baseline's macro-F1, \
            the gate and whether it passed) to workflows/<project>.scores.json beside the lock. Commit it, \
            and `lunette metrics diff` shows what a change did: `lunette metrics diff origin/main --md` \
            prints a table ready to post on a pull request.
            """,
        subcommands: [Show.self, Diff.self], aliases: ["scores"])

    /// `--json` / `--md`, shared by both subcommands.
    struct FormatOptions: ParsableArguments {
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Print a Markdown table (for a pull-request comment).") var md = false

        func validate() throws {
            if json && md { throw ValidationError("choose one of --json and --md") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The scores of every run in the working tree's scores files (or at --rev).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var format: FormatOptions
        @Option(help: "Read the files committed at this git revision instead of the working tree.") var rev: String?
        @Argument(help: "Only these projects or project/run paths.") var targets: [String] = []

        func run() async throws {
            do {
                let workspace = try global.workspace()
                let files = try rev.map { try workspace.scoresFiles(atRevision: $0) } ?? workspace.scoresFiles()
                let entries = ScoresCommand.entries(files).filter { ScoresCommand.selected($0.run, by: targets) }
                if format.json {
                    print(JSONValue.object([
                        "runs": .object(Dictionary(uniqueKeysWithValues: entries.map { ($0.run, .object($0.scores.values)) }))
                    ]).indentedText, terminator: "")
                    return
                }
                if entries.isEmpty {
                    print("no scores yet: `lunette run` writes workflows/<project>.scores.json once a run is evaluated")
                    return
                }
                let header = ["RUN", "MACRO F1", "95% CI", "ACCURACY", "AUC-ROC", "EVAL ROWS", "BASELINE", "GATE"]
                let rows = entries.map { entry -> [String] in
                    let values = entry.scores.values
                    let ci = values["macro_f1_ci"]?.arrayValue.map { $0.map { ScoresCommand.number($0) }.joined(separator: "–") } ?? "-"
                    let gate: String = values["gate_passed"]?.boolValue.map { $0 ? "passed" : "failed" } ?? "-"
                    return [
                        entry.run, ScoresCommand.number(values["macro_f1"]), ci, ScoresCommand.number(values["accuracy"]),
                        ScoresCommand.number(values["auc_roc"]), values["eval_rows"]?.intValue.map(String.init) ?? "-",
                        ScoresCommand.number(values["baseline_macro_f1"]), gate,
                    ]
                }
                if format.md {
                    print(ScoresCommand.markdown(header: header, rows: rows), terminator: "")
                } else {
                    print(Table.render(header: header, rows: rows), terminator: "")
                }
            } catch {
                throw CommandFailure.report(error)
            }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How the scores changed: the working tree against REV (default HEAD), or REV against REV2.",
            discussion: """
                Reads the committed scores files with `git show`, so it needs a git work tree but no cache \
                and no model. Lists each changed figure per run (all figures with --all) with its delta and \
                an arrow, then runs added or removed. Exit 0 whatever changed.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var format: FormatOptions
        @Flag(help: "List figures that did not change too.") var all = false
        @Argument(help: "The old side: a commit, branch or tag (default HEAD).") var rev: String = "HEAD"
        @Argument(help: "The new side (default: the working tree).") var rev2: String?

        func run() async throws {
            do {
                let workspace = try global.workspace()
                let old = try workspace.scoresFiles(atRevision: rev)
                let new = try rev2.map { try workspace.scoresFiles(atRevision: $0) } ?? workspace.scoresFiles()
                let diff = ScoresDiff(old: old, new: new, all: all)
                let newName = rev2 ?? "working tree"
                if format.json {
                    var value = diff.jsonValue.objectValue ?? [:]
                    value["old"] = .string(rev)
                    value["new"] = rev2.map(JSONValue.string) ?? .null
                    print(JSONValue.object(value).indentedText, terminator: "")
                    return
                }
                let header = ["RUN", "FIGURE", rev, newName, "CHANGE"]
                let rows = diff.rows.map { row -> [String] in
                    let isCount = row.old?.intValue != nil && row.new?.intValue != nil && row.figure == "eval_rows"
                    var change = row.delta.map { isCount ? String(format: "%+d", Int($0)) : String(format: "%+.4f", $0) }
                        ?? (row.old == nil ? "new" : row.new == nil ? "gone" : "changed")
                    if let delta = row.delta, delta != 0 { change += delta > 0 ? " ↑" : " ↓" }
                    if row.isImprovement == false { change += format.md ? " ⚠️" : " (worse)" }
                    return [row.run, row.figure, ScoresCommand.display(row.old), ScoresCommand.display(row.new), change]
                }
                var lines: [String] = []
                if rows.isEmpty {
                    lines.append("no score changed between \(rev) and \(newName)")
                } else if format.md {
                    lines.append("**Lunette scores: \(rev) → \(newName)**\n")
                    lines.append(ScoresCommand.markdown(header: header, rows: rows))
                } else {
                    lines.append(Table.render(header: header, rows: rows))
                }
                if !diff.added.isEmpty { lines.append("added runs: " + diff.added.joined(separator: ", ")) }
                if !diff.removed.isEmpty { lines.append("removed runs: " + diff.removed.joined(separator: ", ")) }
                print(lines.map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }.joined(separator: "\n"))
            } catch {
                throw CommandFailure.report(error)
            }
        }
    }

    /// Every run's scores, as `project/run`, sorted.
    static func entries(_ files: [String: ScoresFile]) -> [(run: String, scores: RunScores)] {
        files.flatMap { project, file in file.runs.map { ("\(project)/\($0.key)", $0.value) } }.sorted { $0.0 < $1.0 }
    }

    /// Whether `run` (`project/run`) is selected by `targets` (projects or `project/run` paths; none selects all).
    static func selected(_ run: String, by targets: [String]) -> Bool {
        targets.isEmpty || targets.contains { run == $0 || run.hasPrefix($0 + "/") }
    }

    static func number(_ value: JSONValue?) -> String {
        guard let value = value?.doubleValue else { return "-" }
        return String(format: "%.4f", value)
    }

    static func display(_ value: JSONValue?) -> String {
        switch value {
        case nil: return "-"
        case .int(let int)?: return String(int)
        case .bool(let bool)?: return bool ? "passed" : "failed"
        case .double?: return number(value)
        case let other?: return other.canonicalText
        }
    }

    /// A GitHub-flavoured Markdown table.
    static func markdown(header: [String], rows: [[String]]) -> String {
        func line(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
        }
        return ([line(header), line(header.map { _ in "---" })] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
