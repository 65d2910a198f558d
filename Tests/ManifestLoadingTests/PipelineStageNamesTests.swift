import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

/// Custom stages' `after:` and names are checked against the pipeline said once
/// (``WorkflowModel/Pipeline/builtin``): a run may follow exactly the stages its training set gives it.
@Suite struct PipelineStageNamesTests {
    static let trainingSets: [(TrainingSetShape, String)] = [
        (.labelledUpload, "{ upload: ../data/support-logs.jsonl }"),
        (.unlabelledUpload, "{ upload: { path: ../data/support-logs.jsonl, labelled: false } }"),
        (.generate, "{ generate: { count: 10 } }"),
        (.importTraces, "{ import: ../data/traces.json }"),
    ]

    static func manifest(trainingSet: String, after: String) -> String {
        """
        project: demo
        providers:
          local: { kind: offline }
        defaults: { provider: local }
        runs:
          r:
            metric: toxicity
            test_set: ../data/toxicity-test.csv
            training_set: \(trainingSet)
            stages: { s: { command: "true", after: \(after) } }
        """
    }

    @Test(arguments: trainingSets)
    func afterAcceptsExactlyTheRunsBuiltinStages(shape: TrainingSetShape, trainingSet: String) throws {
        let own = Pipeline.builtin.stageNames(for: shape, register: true)
        #expect(own == Pipeline.builtin.stages(for: shape, register: true).map(\.name))
        for name in Pipeline.builtin.stageNames {
            let workspace = try TestWorkspace(manifests: ["demo.yaml": Self.manifest(trainingSet: trainingSet, after: name)])
            let result = workspace.load("demo.yaml")
            if own.contains(name) {
                #expect(result.errors.isEmpty, "\(shape) after \(name): \(result.diagnostics.rendered())")
                #expect(result.project?.runs.first?.stages.first?.after == name)
            } else {
                let error = try result.onlyError()
                #expect(error.message == "run 'r' has no stage '\(name)'", "\(shape)")
                #expect(error.hint == "stages: " + (own + ["s"]).joined(separator: ", "), "\(shape)")
            }
        }
    }

    @Test func everyBuiltinNameIsRefusedAsACustomStageName() throws {
        for name in Pipeline.builtin.stageNames {
            let yaml = "    stages: { \(name): { command: \"true\" } }"
            let workspace = try TestWorkspace(manifests: ["demo.yaml": Manifest.withRun(yaml)])
            let error = try workspace.load("demo.yaml").onlyError()
            #expect(error.message == "'\(name)' is a built-in stage; a custom stage needs another name")
            #expect(error.hint == "built-in stages: " + Pipeline.builtin.stageNames.joined(separator: ", "))
        }
    }

    /// The manifest reference lists the built-in stage names as the pipeline declares them.
    @Test func manifestReferenceListsTheBuiltinNames() throws {
        var root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root.deleteLastPathComponent()
        }
        let reference = try String(
            contentsOf: root.appendingPathComponent("Sources/ManifestLoading/README.md"), encoding: .utf8)
        let flat = reference.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let marker = "may not be a built-in stage name: "
        let start = try #require(flat.range(of: marker)).upperBound
        let sentence = flat[start...].prefix { $0 != "." }
        let named = sentence.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        #expect(named == Pipeline.builtin.stageNames)
    }
}
