import Basics
import Execution
import Foundation
import Planning
import TaskInterface
import Testing
import WorkflowModel
import _TestSupport

@Suite struct LifecycleTests {
    @Test func uploadedRunMovesThroughItsStatuses() async throws {
        let harness = try ExecutionHarness()
        let report = try await harness.run([ProjectBuilder("demo").run("tox").build()], jobs: 1)
        #expect(report.isSuccess)
        #expect(harness.observer.statuses(of: "tox") == [.queued, .dataReady, .training, .fineTuned, .registered])
        #expect(try harness.status("tox")?.status == .registered)
    }

    @Test func generatedRunReportsGeneratingData() async throws {
        let harness = try ExecutionHarness()
        let project = ProjectBuilder("demo").run("gen", training: .generate(["count": 4])).build()
        _ = try await harness.run([project], jobs: 1)
        #expect(
            harness.observer.statuses(of: "gen") == [
                .queued, .generatingData, .dataReady, .training, .fineTuned, .registered,
            ])
    }

    @Test func unlabelledUploadIsDataReadyAfterLabelling() async throws {
        let harness = try ExecutionHarness()
        let project = ProjectBuilder("demo").run("raw", training: ProjectBuilder.upload("data/raw.csv", labelled: false))
            .build()
        _ = try await harness.run([project], jobs: 1)
        // load-training feeds label, not train, so only label makes the data ready.
        #expect(
            harness.observer.statuses(of: "raw") == [
                .queued, .generatingData, .dataReady, .training, .fineTuned, .registered,
            ])
    }

    @Test func runWithoutRegisterEndsFineTuned() async throws {
        let harness = try ExecutionHarness()
        _ = try await harness.run([ProjectBuilder("demo").run("tox", register: false).build()], jobs: 1)
        #expect(harness.observer.statuses(of: "tox").last == .fineTuned)
        #expect(try harness.status("tox")?.status == .fineTuned)
    }

    @Test func storeRecordsEveryStageExecution() async throws {
        let harness = try ExecutionHarness()
        let report = try await harness.run([ProjectBuilder("demo").run("tox").build()], jobs: 1)
        let records = try harness.store.latestExecutions(project: "demo", run: "tox")
        #expect(records.map(\.stageID) == [
            "demo/tox/evaluate", "demo/tox/load", "demo/tox/load-training", "demo/tox/register", "demo/tox/split",
            "demo/tox/train",
        ])
        #expect(records.allSatisfy { $0.outcome == "succeeded" && $0.reason.isEmpty == false })
        let load = try #require(records.first { $0.stageID == "demo/tox/load" })
        #expect(load.actionKey == report.outcome("load")?.key?.description)
        #expect(load.outputs == ["rows": report.outcome("load")?.outputs["rows"]?.digest.description ?? ""])
        #expect(load.summary == "load-dataset wrote 1 outputs")
    }
}
