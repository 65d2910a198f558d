import ArgumentParser
import Basics
import Foundation
import Workspace

/// `lunette review RUN [--reject FEEDBACK]`: look at generated rows, and send them back.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Print the review sample of a run's generated training rows; --reject adds feedback and regenerates.",
        discussion: """
            --reject takes "too repetitive", "labels look wrong", "off-topic" or any text. The feedback is recorded in workflows/<project>.feedback.json (commit it) and added to every generation prompt of that run, so the next run regenerates its rows; provider calls for prompts that did not change stay cached.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The run: project/run, or run when the name is unique.") var run: String
    @Option(help: "Feedback on the generated rows; regenerates them with it.") var reject: String?
    @Flag(help: "Print the sample as JSON: {\"rows\": [...], \"feedback\": [...]} (docs/json-output.md).") var json = false

    func validate() throws {
        if json && reject != nil { throw ValidationError("--json prints the sample; --reject regenerates it: give one") }
    }

    func run() async throws {
        do {
            let workspace = try global.workspace()
            if let reject {
                let path = try workspace.addFeedback(run: run, reject)
                print("feedback recorded for \(path): \"\(reject)\"; regenerating")
                let summary = try await Interrupts.cancellingOnSignal {
                    try await workspace.run(
                        RunRequest(targets: ["\(path)/generate"], command: "lunette review \(path) --reject"),
                        observer: ConsoleObserver(terminal: isTerminal))
                }
                if let report = summary.report { print(RunCommand.summaryLine(report, plan: summary.plan)) }
                print("next: lunette review \(path)")
                return
            }
            let (rows, feedback) = try workspace.reviewSample(run: run)
            if json {
                print(JSONValue.object(["rows": .array(rows), "feedback": .array(feedback.map(JSONValue.string))]).prettyText)
                return
            }
            for (index, row) in rows.enumerated() {
                let label = row["label"]?.displayText ?? "?"
                let text = ["input", "output"].compactMap { row[$0]?.displayText }.joined(separator: " ⟶ ")
                print(String(format: "%3d", index + 1) + "  [\(label)]  \(text)")
            }
            print("\(rows.count) rows sampled from the generated training set")
            if !feedback.isEmpty { print("feedback so far: " + feedback.joined(separator: "; ")) }
            print("not good enough? lunette review \(run) --reject \"too repetitive\" (or \"labels look wrong\", \"off-topic\", any text)")
        } catch {
            throw CommandFailure.report(error)
        }
    }
}
