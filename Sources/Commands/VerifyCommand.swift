import ArgumentParser
import Basics
import Execution
import Foundation
import Workspace

/// `lunette verify`: re-executes stages and compares their outputs with the recorded ones.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-run up-to-date stages in a scratch folder, bypassing the cache, and compare outputs byte for byte.",
        discussion: "With a remote cache declared (lunette.yaml's `remote:`), what the locks reference and this cache lacks is pulled first, so a stage only the remote has is verified too. Exit 0 when every re-executed stage reproduced its outputs, 1 naming each stage that did not, 2 when a manifest is invalid. --json prints one object {\"result\", \"exit_code\", \"reproduced\", \"differ_or_failed\", \"skipped\", \"stages\", \"diagnostics\", \"error\"} instead of the lines (docs/json-output.md).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "What to verify: project, project/run or project/run/stage.") var targets: [String] = []
    @Flag(help: "Print one JSON object on standard output (see docs/json-output.md); the exit codes stay the same.")
    var json = false

    func run() async throws {
        let outcomes: [VerifyOutcome]
        do {
            let workspace = try global.workspace()
            let quiet = json
            outcomes = try await Interrupts.cancellingOnSignal {
                try await workspace.verify(targets: targets) { note in if !quiet { printError(note.rendered()) } }
            }
        } catch {
            let code = CommandFailure.report(error)
            if json {
                let (failure, diagnostics) = JSONOutput.failure(error)
                print(Self.json([], exitCode: code.rawValue, diagnostics: diagnostics, error: failure).prettyText)
            }
            throw code
        }
        let same = outcomes.filter { $0.verdict == .matched }.count
        let bad = outcomes.filter(\.isBad).count
        if json {
            print(Self.json(outcomes, exitCode: bad > 0 ? 1 : 0).prettyText)
        } else {
            for outcome in outcomes {
                switch outcome.verdict {
                case .matched: print("same  \(outcome.id)")
                case .differs(let output, let expected, let actual):
                    print("DIFF  \(outcome.id): output '\(output)' is \(actual?.short ?? "missing"), recorded \(expected?.short ?? "none")")
                case .skipped(let why): print("skip  \(outcome.id): \(why)")
                case .failed(let message): print("FAIL  \(outcome.id): \(message)")
                }
            }
            print("\(same) reproduced, \(bad) differ or failed, \(outcomes.count - same - bad) skipped")
        }
        if bad > 0 { throw ExitCode.failure }
    }

    /// `verify --json`'s one shape (see docs/json-output.md).
    static func json(_ outcomes: [VerifyOutcome], exitCode: Int32, diagnostics: [Diagnostic] = [], error: JSONValue = .null) -> JSONValue {
        let same = outcomes.filter { $0.verdict == .matched }.count
        let bad = outcomes.filter(\.isBad).count
        let result: String
        switch exitCode {
        case 0: result = "ok"
        case 1 where error == .null: result = "differs"
        case CommandFailure.invalidInput where diagnostics.hasErrors: result = "invalid"
        default: result = "error"
        }
        return .object([
            "result": .string(result), "exit_code": .int(Int(exitCode)),
            "reproduced": .int(same), "differ_or_failed": .int(bad), "skipped": .int(outcomes.count - same - bad),
            "stages": .array(outcomes.map { outcome in
                var object: [String: JSONValue] = [
                    "id": .string(outcome.id.description), "output": .null, "expected": .null, "actual": .null, "message": .null,
                ]
                switch outcome.verdict {
                case .matched: object["verdict"] = "matched"
                case .differs(let output, let expected, let actual):
                    object["verdict"] = "differs"
                    object["output"] = .string(output)
                    object["expected"] = expected.map { .string($0.description) } ?? .null
                    object["actual"] = actual.map { .string($0.description) } ?? .null
                case .skipped(let why):
                    object["verdict"] = "skipped"
                    object["message"] = .string(why)
                case .failed(let message):
                    object["verdict"] = "failed"
                    object["message"] = .string(message)
                }
                return .object(object)
            }),
            "diagnostics": .array(JSONOutput.sorted(diagnostics).map(JSONOutput.diagnostic)),
            "error": error,
        ])
    }
}

extension VerifyOutcome {
    /// Whether the stage did not reproduce (differs or failed).
    fileprivate var isBad: Bool {
        switch verdict {
        case .differs, .failed: return true
        case .matched, .skipped: return false
        }
    }
}
