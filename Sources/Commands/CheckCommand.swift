import ArgumentParser
import Basics
import Foundation
import Planning
import WorkflowModel
import Workspace

/// `lunette check`: for CI — are the manifests valid and do the committed locks still hold?
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that every manifest is valid and every committed lock matches a fresh plan.",
        discussion: """
            Needs no cache and no base model: keys are recomputed from the files and the locks, and a base model that is not installed counts with the digest its lock records (a warning says so). Exit 0 when everything is up to date, 1 when a stage is stale (each is named, with why), 2 when a manifest is invalid, 4 when the check itself could not be made (an unreadable file or store: the message says which).

            --format github prints a GitHub Actions annotation (`::error file=…,line=…,col=…,title=…::…`) for each manifest diagnostic and each stale stage (on the manifest line that declares it), then the summary line. --format json (or --json) prints one object {"result", "exit_code", "checked", "diagnostics", "stale", "not_checked", "error"} on standard output, also for an invalid manifest; the exit codes stay the same. docs/json-output.md describes every key.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Check only these (project, project/run, project/run/stage) and what they need.") var targets: [String] = []
    @Option(help: "How to print the findings: text, github (Actions annotations `::error file=…,line=…::…`) or json.")
    var format: OutputFormat = .text
    @Flag(help: "Print JSON (the same as --format json).") var json = false

    func validate() throws {
        if json && format == .github { throw ValidationError("--json and --format github ask for two formats: give one") }
    }

    func run() async throws {
        let format = json ? .json : self.format
        let result: CheckResult
        do {
            result = try global.workspace().check(targets: targets)
        } catch {
            // Exit 1 means "stale" here: any other failure must not read as one.
            let reported = CommandFailure.report(error)
            let code = reported == .failure ? ExitCode(CommandFailure.couldNotCheck) : reported
            let (failure, diagnostics) = JSONOutput.failure(error)
            switch format {
            case .text: break
            case .json: print(Self.json(exitCode: code.rawValue, diagnostics: diagnostics, error: failure).prettyText)
            case .github:
                for diagnostic in JSONOutput.sorted(diagnostics) { print(GitHubAnnotation(diagnostic).rendered) }
                if diagnostics.isEmpty {
                    let message = [failure["message"]?.stringValue, failure["remedy"]?.stringValue.map { "fix: \($0)" }]
                    print(GitHubAnnotation(
                        level: .error, title: failure["code"]?.stringValue,
                        message: message.compactMap { $0 }.joined(separator: "\n")).rendered)
                }
            }
            throw code
        }
        let notes = result.unavailable.filter {
            if case .taskNotAvailable = $0.reason { return true } else { return false }
        }
        let stale = result.stale.map { Self.StaleStage($0, lockFile: Self.lockFile(for: $0, global: global)) }
        let summary = result.isUpToDate
            ? "ok: \(result.plan.stages.count - result.unavailable.count) stages match their locks"
            : result.stale.isEmpty
                ? "\(result.staleFiles.count) stale file\(result.staleFiles.count == 1 ? "" : "s"): run `lunette run` and commit it"
                : "\(result.stale.count) stale stage\(result.stale.count == 1 ? "" : "s"): run `lunette run` and commit the lock"
        switch format {
        case .text:
            for warning in result.warnings { printError(warning.rendered()) }
            for stage in notes { print("note: \(stage.id): \(stage.reason.text); not checked") }
            for stage in stale { print("stale: \(stage.stage.id): \(stage.stage.reason.text)") }
            for file in result.staleFiles { print("stale: \(file.path): \(file.reason)") }
            print(summary)
        case .github:
            for warning in JSONOutput.sorted(result.warnings) { print(GitHubAnnotation(warning).rendered) }
            for stage in notes {
                print(GitHubAnnotation(level: .notice, title: "not-checked", message: "\(stage.id): \(stage.reason.text); not checked").rendered)
            }
            for stage in stale { print(stage.annotation.rendered) }
            for file in result.staleFiles {
                print(GitHubAnnotation(level: .error, file: file.path, line: nil, column: nil, title: "stale-file", message: file.reason).rendered)
            }
            print(summary)
        case .json:
            print(Self.json(
                exitCode: result.isUpToDate ? 0 : 1, diagnostics: result.warnings, stale: stale, staleFiles: result.staleFiles,
                notChecked: result.unavailable,
                checked: result.plan.stages.count - result.unavailable.count).prettyText)
        }
        if !result.isUpToDate { throw ExitCode.failure }
    }

    /// A stale stage with where it is declared and which lock it disagrees with.
    struct StaleStage {
        var stage: PlannedStage
        /// The lock file, workspace-relative.
        var lockFile: String

        init(_ stage: PlannedStage, lockFile: String) {
            self.stage = stage
            self.lockFile = lockFile
        }

        var jsonValue: JSONValue {
            let location = stage.blueprint.location
            var changes: [String] = []
            if case .changed(let list) = stage.reason { changes = list }
            return .object([
                "code": "stale-stage", "id": .string(stage.id.description), "project": .string(stage.id.project),
                "run": .string(stage.id.run), "stage": .string(stage.id.stage), "task": .string(stage.task),
                "reason": .string(stage.reason.text), "changes": .array(changes.map(JSONValue.string)),
                "lock_file": .string(lockFile),
                "file": location.map { .string($0.file) } ?? .null, "line": location.map { .int($0.line) } ?? .null,
                "column": location.map { .int($0.column) } ?? .null,
            ])
        }

        /// On the manifest line that declares the stage when known, else on the lock file.
        var annotation: GitHubAnnotation {
            let location = stage.blueprint.location
            return GitHubAnnotation(
                level: .error, file: location?.file ?? lockFile, line: location?.line, column: location?.column,
                title: "stale-stage",
                message: "\(stage.id): \(stage.reason.text)\nfix: run `lunette run \(stage.id)` and commit \(lockFile)")
        }
    }

    /// The lock beside the manifest that declares `stage`; failing a location, the project's lock as
    /// the loaded manifests name it.
    static func lockFile(for stage: PlannedStage, global: GlobalOptions) -> String {
        if let manifest = stage.blueprint.location?.file { return Project.lockPath(forManifest: manifest) }
        let projects = (try? global.workspace().loadProjects().projects) ?? []
        return projects.first { $0.name == stage.id.project }?.lockPath ?? "workflows/\(stage.id.project).lock"
    }

    /// `check --json`'s one shape (see docs/json-output.md).
    static func json(
        exitCode: Int32, diagnostics: [Diagnostic], stale: [StaleStage] = [], staleFiles: [StaleFile] = [],
        notChecked: [PlannedStage] = [], checked: Int = 0,
        error: JSONValue = .null
    ) -> JSONValue {
        let result: String
        switch exitCode {
        case 0: result = "ok"
        case 1: result = "stale"
        case CommandFailure.invalidInput: result = diagnostics.hasErrors ? "invalid" : "error"
        default: result = "error"
        }
        return .object([
            "result": .string(result), "exit_code": .int(Int(exitCode)), "checked": .int(checked),
            "diagnostics": .array(JSONOutput.sorted(diagnostics).map(JSONOutput.diagnostic)),
            "stale": .array(stale.map(\.jsonValue)),
            "stale_files": .array(staleFiles.map { .object(["file": .string($0.path), "reason": .string($0.reason)]) }),
            "not_checked": .array(notChecked.map { stage in
                .object(["id": .string(stage.id.description), "task": .string(stage.task), "reason": .string(stage.reason.text)])
            }),
            "error": error,
        ])
    }
}
