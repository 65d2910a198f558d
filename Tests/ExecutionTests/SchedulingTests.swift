import Basics
import Execution
import Foundation
import Planning
import TaskInterface
import Testing
import WorkflowModel
import _TestSupport

@Suite struct SchedulingTests {
    private let oneRun = ProjectBuilder("demo").run("tox").build()
    /// Two runs with nothing in common, so every stage of each runs.
    private let twoRuns = ProjectBuilder("demo")
        .run("a")
        .run("b", testSet: "data/test-b.csv", training: ProjectBuilder.upload("data/train-b.csv"))
        .build()

    @Test func runsEveryStageInDependencyOrder() async throws {
        let harness = try ExecutionHarness()
        let report = try await harness.run([oneRun], jobs: 1)
        #expect(report.lines() == [
            "load: succeeded", "load-training: succeeded", "split: succeeded", "train: succeeded",
            "evaluate: succeeded", "register: succeeded",
        ])
        #expect(harness.recorder.stageNamesRan == ["load", "load-training", "split", "train", "evaluate", "register"])
        #expect(report.isSuccess)
        #expect(report.ran == 6)
    }

    @Test func everyStageStartsAfterItsUpstreamFinished() async throws {
        let harness = try ExecutionHarness { registry, recorder in
            registry = FakeTasks.registry(recorder: recorder, delay: .milliseconds(5))
        }
        let plan = try harness.plan([twoRuns])
        let report = try await harness.execute(plan, jobs: 4)
        #expect(report.ran == 12)
        let events = harness.recorder.events
        for stage in plan.stages {
            guard let started = events.firstIndex(of: .started(stage.id)) else {
                Issue.record("\(stage.id) never started")
                continue
            }
            for upstream in stage.blueprint.upstream {
                let finished = events.firstIndex(of: .finished(upstream))
                #expect(finished.map { $0 < started } == true, "\(stage.id) started before \(upstream) finished")
            }
        }
    }

    @Test func oneJobNeverRunsTwoStagesAtOnce() async throws {
        let harness = try ExecutionHarness { registry, recorder in
            registry = FakeTasks.registry(recorder: recorder, delay: .milliseconds(10))
        }
        let report = try await harness.run([twoRuns], jobs: 1)
        #expect(report.ran == 12)
        #expect(harness.recorder.maxConcurrency == 1)
    }

    @Test func threeJobsRunIndependentStagesTogether() async throws {
        let harness = try ExecutionHarness { registry, recorder in
            registry = FakeTasks.registry(recorder: recorder, delay: .milliseconds(60))
        }
        let report = try await harness.run([twoRuns], jobs: 3)
        #expect(report.ran == 12)
        #expect(harness.recorder.maxConcurrency > 1)
        #expect(harness.recorder.maxConcurrency <= 3)
    }

    @Test func poolOfDepthOneRunsOneTrainAtATime() async throws {
        let harness = try ExecutionHarness { registry, recorder in
            registry = FakeTasks.registry(recorder: recorder, delay: .milliseconds(40))
        }
        let report = try await harness.run([twoRuns], jobs: 6)
        #expect(report.ran == 12)
        #expect(harness.recorder.maxConcurrency(task: "train") == 1)
        #expect(harness.recorder.maxConcurrency > 1)
    }

    @Test func deeperPoolLetsTrainsOverlap() async throws {
        let harness = try ExecutionHarness { registry, recorder in
            registry = FakeTasks.registry(recorder: recorder)
            registry.register(FakeTaskType<FakeTaskIDs.Train>(recorder: recorder, pool: "train", delay: .milliseconds(300)))
        }
        let report = try await harness.run([twoRuns], jobs: 6, pools: ["train": 2])
        #expect(report.ran == 12)
        #expect(harness.recorder.maxConcurrency(task: "train") == 2)
    }

    @Test func identicalStagesOfTwoRunsRunOnce() async throws {
        let twins = ProjectBuilder("demo").run("a").run("b").build()
        let harness = try ExecutionHarness()
        let report = try await harness.run([twins], jobs: 1)
        // Up to train the twins' stages share keys and run once; evaluate names its run in the
        // report (its params hold the run), so each run evaluates, and registers, itself.
        #expect(report.ran == 8)
        #expect(report.reused == 4)
        #expect(harness.recorder.stagesRan == [
            "demo/a/load", "demo/a/load-training", "demo/a/split", "demo/a/train", "demo/a/evaluate",
            "demo/a/register", "demo/b/evaluate", "demo/b/register",
        ])
        #expect(report.outcome("split", run: "b")?.reason == "up to date (upstream re-ran with the same result)")
    }
}
