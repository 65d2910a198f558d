import ArgumentParser
import Basics
import Foundation
import Planning
import WorkflowModel
import Workspace

/// `lunette show RUN`: a run's inputs and stages.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a run: its inputs, and each stage with its reason, duration, outputs and error.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The run: project/run, or run when the name is unique.") var run: String
    @Flag(help: "Print JSON (see docs/json-output.md).") var json = false

    func run() async throws {
        do {
            let details = try global.workspace().show(run: run)
            if json {
                print(Self.jsonValue(details).prettyText)
                return
            }
            print(Self.render(details), terminator: "")
        } catch {
            throw CommandFailure.report(error)
        }
    }

    static func render(_ details: RunDetails) -> String {
        let run = details.run
        var out = "run \(details.project.name)/\(run.name)\n"
        out += "  status:       \(details.status.rawValue)\(details.statusReason.map { " (\($0))" } ?? "")\n"
        out += "  metric:       \(run.metric.name) (\(run.metric.output.rawValue): \(run.metric.labels.joined(separator: ", ")); step \(run.metric.step.rawValue), input \(run.metric.input.rawValue))\n"
        let groups = run.groupBy.map { ", grouped by \($0)" } ?? ""
        out += "  test set:     \(run.testSet.path) (\(Int((run.seedFraction * 100).rounded()))% seeds, seed \(run.seed)\(groups))\n"
        switch run.trainingSet {
        case .upload(let source, let labelled): out += "  training set: upload \(source.path)\(labelled ? "" : " (unlabelled: labelled by the judge)")\n"
        case .generate(let settings): out += "  training set: generate \(JSONValue.object(settings).canonicalText)\n"
        case .importTraces(let source): out += "  training set: import \(source.path)\n"
        }
        out += "  base model:   \(run.baseModel)\n"
        if !run.train.isEmpty { out += "  train:        \(JSONValue.object(run.train).canonicalText)\n" }
        if !run.gate.isEmpty { out += "  gate:         \(JSONValue.object(run.gate).canonicalText)\n" }
        out += "stages:\n"
        for stage in details.stages {
            let planned = stage.planned
            out += "  \(planned.id.stage) [\(planned.task)]: \(planned.action == .run ? "will run" : "up to date")"
            out += planned.action == .run ? " (\(planned.reason.text))\n" : "\n"
            if let last = stage.lastExecution {
                let duration = last.duration.map { String(format: "%.2fs", $0) } ?? "-"
                out += "    last: \(last.outcome) in \(duration)\(last.summary.map { ": \($0)" } ?? "")\n"
                if let error = last.error { out += "    error: \(error.replacingOccurrences(of: "\n", with: "\n           "))\n" }
            }
            for (name, output) in (planned.knownOutputs ?? [:]).sorted(by: { $0.key < $1.key }) {
                out += "    output \(name): \(output.digest.short) (\(output.size) bytes)\n"
            }
        }
        return out
    }

    /// `show --json`'s one shape (see docs/json-output.md).
    static func jsonValue(_ details: RunDetails) -> JSONValue {
        let run = details.run
        let trainingSet: JSONValue
        switch run.trainingSet {
        case .upload(let source, let labelled):
            trainingSet = ["kind": "upload", "path": .string(source.path), "labelled": .bool(labelled), "settings": .null]
        case .generate(let settings):
            trainingSet = ["kind": "generate", "path": .null, "labelled": .bool(true), "settings": .object(settings)]
        case .importTraces(let source):
            trainingSet = ["kind": "import", "path": .string(source.path), "labelled": .bool(false), "settings": .null]
        }
        let stages: [JSONValue] = details.stages.map { stage in
            let planned = stage.planned
            var outputs: [String: JSONValue] = [:]
            for (name, output) in planned.knownOutputs ?? [:] {
                outputs[name] = [
                    "digest": .string(output.digest.description), "size": .int(Int(output.size)), "kind": .string(output.kind),
                ]
            }
            let last: JSONValue = stage.lastExecution.map { last in
                .object([
                    "outcome": .string(last.outcome), "started_at": JSONOutput.date(last.startedAt),
                    "duration_seconds": last.duration.map(JSONValue.double) ?? .null,
                    "summary": last.summary.map(JSONValue.string) ?? .null, "error": last.error.map(JSONValue.string) ?? .null,
                ])
            } ?? .null
            return .object([
                "id": .string(planned.id.description), "stage": .string(planned.id.stage), "task": .string(planned.task),
                "action": .string(planned.action.rawValue), "reason": .string(planned.reason.text),
                "outputs": .object(outputs), "last": last,
            ])
        }
        return .object([
            "project": .string(details.project.name), "run": .string(run.name),
            "status": .string(details.status.rawValue), "status_reason": details.statusReason.map(JSONValue.string) ?? .null,
            "metric": [
                "name": .string(run.metric.name), "output": .string(run.metric.output.rawValue),
                "labels": .array(run.metric.labels.map(JSONValue.string)), "step": .string(run.metric.step.rawValue),
                "input": .string(run.metric.input.rawValue),
            ],
            "test_set": [
                "path": .string(run.testSet.path), "seed_fraction": .double(run.seedFraction),
                "group_by": run.groupBy.map(JSONValue.string) ?? .null,
            ],
            "seed": .int(run.seed), "training_set": trainingSet, "base_model": .string(run.baseModel),
            "train": .object(run.train), "gate": .object(run.gate), "stages": .array(stages),
        ])
    }
}
