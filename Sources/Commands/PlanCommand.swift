import ArgumentParser
import Basics
import Foundation
import Planning
import Workspace

/// `lunette plan`: the stage DAG and why each stage will run or be reused.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show which stages will run and why, without running anything.",
        discussion: """
            Reasons are plain words: "never ran", "params.train.epochs changed 3 → 4", "input source changed (content)", "output rows missing from cache", "upstream stage load will re-run", "task version changed 1 → 2"; a stage skipped as "in remote" is not in this cache but on the remote cache (lunette.yaml's `remote:`), and `lunette run` will fetch it instead of running it (one check per such stage; an unreachable remote is a warning).

            --json prints {"stages":[{"id","task","action","reason","key","inputs","outputs"}]}: a stable shape for scripts. "key" is null while an upstream stage still has to run; a stage that will run may add "note" (e.g. the provider calls it will make).
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "What to plan: project, project/run or project/run/stage.") var targets: [String] = []
    @Flag(help: "Also print each stage's key, inputs and every change.") var explain = false
    @Flag(help: "Print the plan as JSON.") var json = false
    @Flag(help: "Print the DAG in Graphviz DOT.") var dot = false

    func run() async throws {
        do {
            let result = try await global.workspace().plan(targets: targets, consultingRemote: true)
            for warning in result.warnings { printError(warning.rendered()) }
            if json {
                print(result.plan.jsonValue(notes: result.notes).prettyText)
            } else if dot {
                print(result.plan.renderedDOT(), terminator: "")
            } else {
                print(result.plan.renderedText(explain: explain, notes: result.notes), terminator: "")
            }
        } catch {
            throw CommandFailure.report(error)
        }
    }
}

extension JSONValue {
    /// Indented JSON with sorted keys, for people and scripts alike.
    var prettyText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return canonicalText }
        return String(decoding: data, as: UTF8.self)
    }
}
