import ArgumentParser
import Execution
import Foundation
import Planning
import Workspace

/// `lunette run`: executes the stale stages and updates the locks.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the stages that are out of date.",
        discussion: """
            Executes stale stages in dependency order, up to --jobs at a time (at most one `train` stage at a time), reusing every stage whose action key is already in the cache. A second run with nothing changed runs nothing; once a run has found everything up to date, the same run asked again answers from its up-to-date stamp (cache/up-to-date.stamp: the `stat` of every file it read and the store's state) without planning, while none of that changed (--verbose always plans). The lock (workflows/<project>.lock) is rewritten only after a run with no failures. Ctrl-C cancels running stages and marks their runs cancelled.

            With a remote cache (lunette.yaml's `remote:`), a stage missing here is looked up there before it runs. A remote that fails (unreachable, or silent past its timeout and retries) is warned about once and left out of the rest of the run: the stages run here, and with --push the ones not uploaded are named at the end.

            Targets: `project`, `project/run`, `project/run/stage`; `*` matches within a part (`demo/*/split`). No target runs every project.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "What to run: project, project/run or project/run/stage.") var targets: [String] = []
    @Option(name: [.short, .long], help: "Run at most N stages at once.") var jobs: Int = 2
    @Flag(name: [.short, .long], help: "After a failure, keep running what does not depend on it.") var keepGoing = false
    @Flag(name: [.short, .long], help: "Re-run the stages the targets name (all with no target) even when up to date; what they need is reused.") var force = false
    @Flag(help: "Print the plan without running anything.") var dryRun = false
    @Flag(help: "Exit at once if another invocation holds the workspace, instead of waiting.") var noWait = false
    @Flag(name: [.short, .long], help: "Print stage logs as they come.") var verbose = false
    @Flag(help: "Stop every run at fine-tuned: do not register metrics (`lunette register RUN` does it later).")
    var noRegister = false
    @Flag(help: "Upload each stage to the remote cache (lunette.yaml's `remote:`) as soon as it finishes, and the rest when the run ends.") var push = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        do {
            let workspace = try global.workspace()
            let observer = ConsoleObserver(terminal: isTerminal, verbose: verbose)
            var request = RunRequest(
                targets: targets, jobs: jobs, keepGoing: keepGoing, force: force, dryRun: dryRun, wait: !noWait,
                command: (["lunette"] + CommandLine.arguments.dropFirst()).joined(separator: " "), register: !noRegister)
            request.push = push
            request.useStamp = !verbose  // --verbose shows every stage's reason: it always plans
            let finalRequest = request
            let summary = try await Interrupts.cancellingOnSignal {
                try await workspace.run(
                    finalRequest, observer: observer,
                    onWait: { holder in printError("waiting for another invocation to finish (\(holder))…") },
                    // A failing remote cache is said at once (the run goes on without it), not at the end.
                    onWarning: { warning in printError(warning.rendered()) })
            }
            for warning in summary.warnings { printError(warning.rendered()) }
            guard let report = summary.report else {
                print(summary.plan.renderedText(explain: false), terminator: "")
                return
            }
            print(Self.summaryLine(report, plan: summary.plan, answeredByStamp: summary.answeredByStamp))
            for path in summary.updatedLocks { print("updated \(path)") }
            if report.wasCancelled { throw ExitCode(CommandFailure.interrupted) }
            if !report.failed.isEmpty { throw ExitCode.failure }
        } catch {
            throw CommandFailure.report(error)
        }
    }

    /// The run's last line: what ran, was reused and failed, and how long it took; for a run the
    /// up-to-date stamp answered, that nothing those stages read changed since the last check.
    static func summaryLine(_ report: ExecutionReport, plan: RunPlan, answeredByStamp: Bool = false) -> String {
        var parts = ["\(report.ran) ran", "\(report.reused) reused", "\(report.failed.count) failed"]
        if !report.skipped.isEmpty { parts.append("\(report.skipped.count) skipped") }
        if !report.notAvailable.isEmpty { parts.append("\(report.notAvailable.count) waiting for task types not available yet") }
        let seconds = String(format: "%.2fs", report.duration.seconds)
        if report.ran == 0 && report.failed.isEmpty && report.notAvailable.isEmpty && report.skipped.isEmpty {
            return "nothing to do: \(report.reused) stages up to date (\(seconds)"
                + (answeredByStamp ? "; nothing they read changed since the last run checked them)" : ")")
        }
        return "summary: " + parts.joined(separator: ", ") + " in \(seconds)"
    }
}
