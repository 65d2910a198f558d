import Basics
import Execution
import Foundation
import Planning
import TaskInterface
import Testing
import WorkflowModel
import _TestSupport

@Suite struct FailureTests {
    private let twoRuns = ProjectBuilder("demo")
        .run("a")
        .run("b", testSet: "data/test-b.csv", training: ProjectBuilder.upload("data/train-b.csv"))
        .build()

    /// A harness whose `split` fails for run `a` only.
    private func failingSplitHarness() throws -> ExecutionHarness {
        try ExecutionHarness { registry, recorder in
            registry.register(
                FakeTaskType<FakeTaskIDs.Split>(
                    recorder: recorder, failingWith: TaskError("split exploded", remedy: "fix the rows"),
                    for: ["demo/a/split"]))
        }
    }

    @Test func failureStopsLaunchingAndSkipsTheRest() async throws {
        let harness = try failingSplitHarness()
        let report = try await harness.run([twoRuns], jobs: 1)
        #expect(harness.recorder.stagesRan == ["demo/a/load", "demo/a/load-training", "demo/a/split"])
        #expect(report.lines(withRun: true) == [
            "a/load: succeeded", "a/load-training: succeeded", "a/split: failed", "a/train: skipped",
            "a/evaluate: skipped", "a/register: skipped", "b/load: skipped", "b/load-training: skipped",
            "b/split: skipped", "b/train: skipped", "b/evaluate: skipped", "b/register: skipped",
        ])
        #expect(report.outcome("split", run: "a")?.status == .failed("split exploded\n  fix: fix the rows"))
        #expect(report.outcome("train", run: "a")?.status == .skipped(because: "upstream stage split failed"))
        #expect(
            report.outcome("load", run: "b")?.status == .skipped(because: "not started: an earlier stage failed"))
        #expect(!report.isSuccess)
        let status = try #require(try harness.status("a"))
        #expect(status.status == .failed)
        #expect(status.reason == "stage split failed: split exploded\n  fix: fix the rows")
    }

    @Test func keepGoingSkipsOnlyDependentsOfTheFailure() async throws {
        let harness = try failingSplitHarness()
        let report = try await harness.run([twoRuns], jobs: 2, keepGoing: true)
        #expect(report.lines(withRun: true) == [
            "a/load: succeeded", "a/load-training: succeeded", "a/split: failed", "a/train: skipped",
            "a/evaluate: skipped", "a/register: skipped", "b/load: succeeded", "b/load-training: succeeded",
            "b/split: succeeded", "b/train: succeeded", "b/evaluate: succeeded", "b/register: succeeded",
        ])
        for stage in ["train", "evaluate", "register"] {
            #expect(report.outcome(stage, run: "a")?.status == .skipped(because: "upstream stage split failed"))
        }
        #expect(Set(harness.recorder.stagesRan).isSuperset(of: [
            "demo/b/load", "demo/b/split", "demo/b/train", "demo/b/register",
        ]))
        #expect(!harness.recorder.stagesRan.contains("demo/a/train"))
        #expect(try harness.status("a")?.status == .failed)
        #expect(try harness.status("b")?.status == .registered)
    }

    @Test func unavailableTaskTypeLeavesTheRunQueued() async throws {
        let harness = try ExecutionHarness { registry, recorder in
            registry = FakeTasks.registry(recorder: recorder, ids: FakeTaskIDs.builtin.filter { $0 != "train" })
        }
        let project = ProjectBuilder("demo").run("tox").build()
        let report = try await harness.run([project])
        #expect(report.lines() == [
            "load: succeeded", "load-training: succeeded", "split: succeeded", "train: not-available",
            "evaluate: skipped", "register: skipped",
        ])
        #expect(report.outcome("train")?.status == .notAvailable("task type 'train' not available yet"))
        #expect(
            report.outcome("evaluate")?.status
                == .skipped(because: "waits for train (task type 'train' not available yet)"))
        #expect(report.failed.isEmpty)
        let status = try #require(try harness.status("tox"))
        #expect(status.status == .queued)
        #expect(status.reason == "waiting for stage train: task type 'train' not available yet")
    }

    @Test func stageThatForgetsAnOutputFails() async throws {
        let harness = try ExecutionHarness { registry, recorder in
            registry.register(FakeTaskType<FakeTaskIDs.Split>(recorder: recorder, skippedOutputs: ["eval"]))
        }
        let report = try await harness.run([ProjectBuilder("demo").run("tox").build()], jobs: 1)
        #expect(report.outcome("split")?.status == .failed("task 'split' finished without writing its output 'eval'"))
        let executions = try harness.store.latestExecutions(project: "demo", run: "tox")
        #expect(executions.first { $0.stageID == "demo/tox/split" }?.outcome == "failed")
    }

    @Test func cancellingStopsARunningStageQuickly() async throws {
        let harness = try ExecutionHarness { registry, recorder in
            registry.register(FakeTaskType<FakeTaskIDs.LoadDataset>(recorder: recorder, delay: .seconds(600)))
        }
        let plan = try harness.plan([ProjectBuilder("demo").run("tox").build()])
        let clock = ContinuousClock()
        let start = clock.now
        let task = Task { try await harness.execute(plan, jobs: 2) }
        // Generous deadlines: CPU-bound suites running beside this one can starve the task pool.
        while harness.recorder.currentlyRunning < 2, clock.now - start < .seconds(120) {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(harness.recorder.currentlyRunning == 2)
        task.cancel()
        let cancelled = clock.now
        let report = try await task.value
        #expect(clock.now - cancelled < .seconds(30))
        #expect(report.wasCancelled)
        #expect(report.outcome("load")?.status == .cancelled)
        #expect(report.outcome("load-training")?.status == .cancelled)
        #expect(report.ran == 0)
        #expect(harness.recorder.events.filter { if case .cancelled = $0 { true } else { false } }.count == 2)
        #expect(try harness.status("tox")?.status == .cancelled)
        #expect(try harness.status("tox")?.reason == "interrupted by the user")
    }
}
