import Basics
import Foundation
import _TestSupport
import MLCore
import Scoring
import TaskTypes
import Testing
import WorkflowModel
import Workspace

/// The whole pipeline with the real task types, on a tiny random-weight encoder standing in for the
/// pretrained one: load → split → train → evaluate → register, then scoring through the registry.
@Suite("End to end with the built-in task types", .serialized)
struct EndToEndTests {
    /// A 2-layer, hidden-32 random BERT written as transformers would.
    static func writeTinyModel(to folder: URL) throws { try TinyModel.write(to: folder) }

    @Test("a run ends registered, its metric scores new rows, and a second run does nothing")
    func pipeline() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try Self.writeTinyModel(to: workspace.models.appendingPathComponent("minilm-l6"))
        var manifest = try workspace.read("workflows/shop.yaml")
        manifest = manifest.replacingOccurrences(of: "train: { epochs: 3 }", with: "train: { mode: head }")
        try workspace.write(manifest, to: "workflows/shop.yaml")
        let engine = workspace.workspace([])
        let summary = try await engine.run(RunRequest(targets: ["shop/tone-b"]))
        let report = try #require(summary.report)
        #expect(report.failed.isEmpty, "\(report.failed.map(\.status))")
        #expect(
            report.outcomes.map(\.id.stage).sorted()
                == ["evaluate", "load", "load-training", "register", "split", "train"])
        let status = try engine.statuses().first { $0.run == "tone-b" }
        #expect(status?.status == .registered)

        let metric = try engine.registeredMetric("polite")
        #expect(metric.reference == "polite@1")
        let model = try MetricModel(folder: try engine.modelFolder(for: metric))
        let predictions = try model.predictions(for: [CanonicalRow(row: 1, input: "Thank you so much for your help")])
        #expect(predictions.count == 1)
        #expect(abs(predictions[0].probabilities.reduce(0, +) - 1) < 1e-4)

        let report2 = try #require(try await engine.run(RunRequest(targets: ["shop/tone-b"])).report)
        #expect(report2.ran == 0)
        #expect(try engine.registeredMetrics().count == 1)
        let html = try String(
            contentsOf: try engine.reportFolder(run: "shop/tone-b").appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("polite"))

        // verify re-executes every stage and gets the same bytes, the evaluation report included
        // (it records its input digests, which verify must hand over as a run does).
        let verdicts = try await engine.verify(targets: ["shop/tone-b"])
        #expect(verdicts.count == 6)
        for outcome in verdicts where outcome.id.stage != "register" {
            #expect(outcome.verdict == .matched, "\(outcome.id): \(outcome.verdict)")
        }
        #expect(verdicts.first { $0.id.stage == "register" }?.verdict == .skipped("task type 'register' is not deterministic"))
    }

    @Test("a run below its gate ends failed, says why, and is not registered")
    func gate() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try Self.writeTinyModel(to: workspace.models.appendingPathComponent("minilm-l6"))
        var manifest = try workspace.read("workflows/shop.yaml")
        manifest = manifest.replacingOccurrences(of: "train: { epochs: 3 }", with: "train: { mode: head }\n    gate: { min_f1: 1.0, min_accuracy: 1.0 }")
        try workspace.write(manifest, to: "workflows/shop.yaml")
        let engine = workspace.workspace([])
        let report = try #require(try await engine.run(RunRequest(targets: ["shop/tone-b"])).report)
        guard case .failed(let message)? = report.outcomes.first(where: { $0.id.stage == "register" })?.status else {
            Issue.record("register should fail its gate")
            return
        }
        #expect(message.hasPrefix("gate not met: "))
        let status = try engine.statuses().first { $0.run == "tone-b" }
        #expect(status?.status == .failed)
        #expect(status?.reason?.hasPrefix("gate not met:") == true)
        #expect(try engine.registeredMetrics().isEmpty)
    }
}
