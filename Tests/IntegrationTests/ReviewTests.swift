import Basics
import Foundation
import Planning
import Testing
import WorkflowModel
import Workspace

/// Generated training rows with the offline provider, their review sample and reviewer feedback.
@Suite("Review of generated rows", .serialized)
struct ReviewTests {
    @Test("the review sample comes from the generated rows; rejecting adds feedback that regenerates them")
    func review() async throws {
        let workspace = try CaseWorkspace("generated", project: "gen")
        try EndToEndTests.writeTinyModel(to: workspace.models.appendingPathComponent("minilm-l6"))
        let engine = workspace.workspace([])
        let report = try #require(try await engine.run(RunRequest(targets: ["gen/polite/generate"])).report)
        #expect(report.failed.isEmpty, "\(report.failed.map(\.status))")
        let before = try engine.plan(targets: ["gen/polite/generate"]).plan
        #expect(before.stage(StageID("gen/polite/generate")!)?.reason == .upToDate, "\(before.renderedText(explain: true))")
        let (rows, feedback) = try engine.reviewSample(run: "polite")
        #expect(rows.count == 6)
        #expect(rows.allSatisfy { $0["label"]?.stringValue == "true" || $0["label"]?.stringValue == "false" })
        #expect(feedback.isEmpty)

        #expect(try engine.addFeedback(run: "polite", "too repetitive") == "gen/polite")
        #expect(try workspace.read("workflows/gen.feedback.json") == #"{"runs":{"polite":["too repetitive"]}}"# + "\n")
        let plan = try engine.plan(targets: ["gen/polite/generate"]).plan
        let generate = try #require(plan.stage(StageID("gen/polite/generate")!))
        #expect(generate.action == .run)
        #expect(generate.reason.text == "params.feedback added (\"too repetitive\")")
        // Not regenerated yet: there is no up-to-date sample until the next run.
        #expect(throws: WorkspaceError.self) { try engine.reviewSample(run: "polite") }
        let again = try #require(try await engine.run(RunRequest(targets: ["gen/polite/generate"])).report)
        #expect(again.ran == 1)
        #expect(try engine.reviewSample(run: "polite").feedback == ["too repetitive"])
    }
}
