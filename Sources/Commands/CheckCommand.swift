import ArgumentParser
import Foundation
import Planning
import Workspace

/// `lunette check`: for CI — are the manifests valid and do the committed locks still hold?
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that every manifest is valid and every committed lock matches a fresh plan.",
        discussion: """
            Needs no cache: keys are recomputed from the files and the locks. Exit 0 when everything is up to date, 1 when a stage is stale (each is named, with why), 2 when a manifest is invalid, 4 when the check itself could not be made (an unreadable file or store: the message says which).
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Check only these (project, project/run, project/run/stage) and what they need.") var targets: [String] = []

    func run() async throws {
        do {
            let result = try global.workspace().check(targets: targets)
            for warning in result.warnings { printError(warning.rendered()) }
            for stage in result.unavailable where stage.reason != .upstreamWillRun(stage.id) {
                if case .taskNotAvailable = stage.reason { print("note: \(stage.id): \(stage.reason.text); not checked") }
            }
            if result.isUpToDate {
                print("ok: \(result.plan.stages.count - result.unavailable.count) stages match their locks")
                return
            }
            for stage in result.stale { print("stale: \(stage.id): \(stage.reason.text)") }
            print("\(result.stale.count) stale stage\(result.stale.count == 1 ? "" : "s"): run `lunette run` and commit the lock")
            throw ExitCode.failure
        } catch let error as ExitCode {
            throw error
        } catch {
            // Exit 1 means "stale" here: any other failure must not read as one.
            let code = CommandFailure.report(error)
            throw code == .failure ? ExitCode(CommandFailure.couldNotCheck) : code
        }
    }
}
