import ArgumentParser
import Basics
import Foundation
import WorkflowModel

/// `lunette presets [NAME]`: the built-in metric presets.
struct PresetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "List the metric presets, or print one in full (output, labels, step, input and judge prompt).")

    @Argument(help: "A preset to print in full.") var name: String?
    @Flag(help: "Print JSON: {\"presets\": [...]} for the list, the preset's object for one (docs/json-output.md).")
    var json = false

    func run() async throws {
        guard let name else {
            if json {
                print(JSONValue.object(["presets": .array(MetricPreset.catalog.map(Self.jsonValue))]).prettyText)
                return
            }
            let rows = MetricPreset.catalog.map { preset in
                [preset.name, preset.metric.output.rawValue, preset.metric.input.rawValue, preset.summary]
            }
            print(Table.render(header: ["PRESET", "OUTPUT", "INPUT", "WHAT IT SCORES"], rows: rows), terminator: "")
            return
        }
        guard let preset = MetricPreset.named(name) else {
            let hint = Suggestion.hint(for: name, in: MetricPreset.names).map { " (\($0))" } ?? ""
            printError("error: no preset named '\(name)'\(hint); `lunette presets` lists them")
            throw ExitCode(CommandFailure.invalidInput)
        }
        if json {
            print(Self.jsonValue(preset).prettyText)
            return
        }
        let metric = preset.metric
        print("""
            \(preset.name): \(preset.summary)
              output: \(metric.output.rawValue)
              labels: \(metric.labels.joined(separator: ", "))
              step:   \(metric.step.rawValue)
              input:  \(metric.input.rawValue) (fields: \(metric.input.requiredFields.joined(separator: ", ")))
              judge prompt:
            \((metric.prompt ?? "(none)").split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
            """)
    }

    /// One preset in `presets --json` (see docs/json-output.md).
    static func jsonValue(_ preset: MetricPreset) -> JSONValue {
        let metric = preset.metric
        return .object([
            "name": .string(preset.name), "summary": .string(preset.summary), "output": .string(metric.output.rawValue),
            "labels": .array(metric.labels.map(JSONValue.string)), "step": .string(metric.step.rawValue),
            "input": .string(metric.input.rawValue), "input_fields": .array(metric.input.requiredFields.map(JSONValue.string)),
            "prompt": metric.prompt.map(JSONValue.string) ?? .null,
        ])
    }
}
