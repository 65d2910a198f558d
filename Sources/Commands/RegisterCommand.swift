import ArgumentParser
import Foundation
import Workspace

/// `lunette register RUN`: registers a run's metric (after `--no-register` or `register: false`).
struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register a run's fine-tuned metric in the registry (runs what it needs first, checks its gate).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The run: project/run, or run when the name is unique.") var run: String

    func run() async throws {
        do {
            let workspace = try global.workspace()
            let details = try workspace.show(run: run)
            let path = "\(details.project.name)/\(details.run.name)"
            let summary = try await Interrupts.cancellingOnSignal {
                try await workspace.run(
                    RunRequest(targets: ["\(path)/register"], command: "lunette register \(path)", forceRegister: [path]),
                    observer: ConsoleObserver(terminal: isTerminal))
            }
            guard let report = summary.report else { return }
            print(RunCommand.summaryLine(report, plan: summary.plan))
            if !report.failed.isEmpty { throw ExitCode.failure }
        } catch {
            throw CommandFailure.report(error)
        }
    }
}
