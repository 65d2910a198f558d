import ArgumentParser
import Execution
import Foundation
import Workspace

/// `lunette verify`: re-executes stages and compares their outputs with the recorded ones.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-run up-to-date stages in a scratch folder, bypassing the cache, and compare outputs byte for byte.",
        discussion: "Exit 0 when every re-executed stage reproduced its outputs, 1 naming each stage that did not.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "What to verify: project, project/run or project/run/stage.") var targets: [String] = []

    func run() async throws {
        do {
            let workspace = try global.workspace()
            let outcomes = try await Interrupts.cancellingOnSignal { try await workspace.verify(targets: targets) }
            var bad = 0
            for outcome in outcomes {
                switch outcome.verdict {
                case .matched: print("same  \(outcome.id)")
                case .differs(let output, let expected, let actual):
                    bad += 1
                    print("DIFF  \(outcome.id): output '\(output)' is \(actual?.short ?? "missing"), recorded \(expected?.short ?? "none")")
                case .skipped(let why): print("skip  \(outcome.id): \(why)")
                case .failed(let message):
                    bad += 1
                    print("FAIL  \(outcome.id): \(message)")
                }
            }
            let same = outcomes.filter { $0.verdict == .matched }.count
            print("\(same) reproduced, \(bad) differ or failed, \(outcomes.count - same - bad) skipped")
            if bad > 0 { throw ExitCode.failure }
        } catch {
            throw CommandFailure.report(error)
        }
    }
}
