import Basics
import ContentCache
import Execution
import Foundation
import Planning
import TaskInterface
import Testing
import WorkflowModel
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ReuseTests {
    private let project = ProjectBuilder("demo").run("tox").build()

    @Test func secondExecutionReusesEverything() async throws {
        let harness = try ExecutionHarness()
        let first = try await harness.run([project])
        #expect(first.ran == 6)
        harness.recorder.reset()

        let plan = try harness.plan([project])
        #expect(plan.stages.allSatisfy { $0.action == .skip && $0.reason == .upToDate })
        let second = try await harness.execute(plan)
        #expect(second.reused == 6)
        #expect(second.ran == 0)
        #expect(harness.recorder.invocations.isEmpty)
        // Same outputs, same keys.
        #expect(second.outcomes.map(\.key) == first.outcomes.map(\.key))
        #expect(second.outcomes.map(\.outputs) == first.outcomes.map(\.outputs))
        #expect(second.outcomes.allSatisfy { $0.reason == "up to date" })
    }

    @Test func upstreamRerunWithTheSameResultIsReused() async throws {
        let harness = try ExecutionHarness { registry, recorder in
            // load writes the same rows whatever its input, like a loader that ignores a comment line.
            registry.register(
                FakeTaskType<FakeTaskIDs.LoadDataset>(recorder: recorder, outputs: .fixed(Data("canonical rows\n".utf8))))
        }
        _ = try await harness.run([project])
        try harness.temp.write("# a comment\ninput,label\nyou are kind,false\nyou are awful,true\n", to: "data/test.csv")
        harness.recorder.reset()

        let plan = try harness.plan([project])
        #expect(plan.lines == [
            "load run: never ran", "load-training skip: up to date", "split run: upstream stage load will re-run",
            "train run: upstream stage split will re-run", "evaluate run: upstream stage split will re-run",
            "register run: upstream stage train will re-run",
        ])
        let report = try await harness.execute(plan)
        #expect(harness.recorder.stageNamesRan == ["load"])
        #expect(report.outcome("load")?.status == .succeeded)
        #expect(report.outcome("split")?.status == .reused)
        #expect(report.outcome("split")?.reason == "up to date (upstream re-ran with the same result)")
        #expect(report.outcome("register")?.status == .reused)
        let records = try harness.store.latestExecutions(project: "demo", run: "tox")
        #expect(records.first { $0.stageID == "demo/tox/split" }?.outcome == "reused")
    }

    @Test func corruptCachedInputIsQuarantinedAndItsProducerReruns() async throws {
        let harness = try ExecutionHarness()
        let first = try await harness.run([project])
        let rows = try #require(first.outcome("load")?.outputs["rows"])
        let object = harness.cache.objectURL(rows.digest)
        let good = try Data(contentsOf: object)

        // Damage the object in place, keeping its size so a cheap existence check still passes.
        chmod(object.path, 0o644)
        try Data(repeating: UInt8(ascii: "X"), count: good.count).write(to: object)
        // A changed seed makes split (a reader of load.rows) run; load itself is planned as up to date.
        let reseeded = ProjectBuilder("demo").run("tox", seed: 7).build()
        let plan = try harness.plan([reseeded])
        #expect(plan.stage(StageID(project: "demo", run: "tox", stage: "load"))?.action == .skip)
        harness.recorder.reset()

        let report = try await harness.execute(plan)
        #expect(report.outcome("load")?.status == .succeeded)
        #expect(report.outcome("load")?.reason == "cached output was corrupt (quarantined); re-running")
        #expect(report.outcome("load")?.outputs["rows"] == rows)
        #expect(Array(harness.recorder.stageNamesRan.prefix(2)) == ["load", "split"])
        #expect(try Data(contentsOf: object) == good)
        #expect(harness.temp.entries(in: "cache/quarantine") == ["\(rows.digest.hex).0"])
        // split read the good rows, not the damaged ones.
        let seeds = try #require(report.outcome("split")?.outputs["seeds"])
        let seedsText = String(decoding: try Data(contentsOf: harness.cache.objectURL(seeds.digest)), as: UTF8.self)
        #expect(seedsText.hasPrefix("[rows]\n" + String(decoding: good, as: UTF8.self)))
        #expect(report.isSuccess)
    }

    @Test func execOutputsAreRestoredIntoTheWorkspace() async throws {
        let withStats = ProjectBuilder("demo").run(
            "tox",
            stages: [ProjectBuilder.stage("stats", inputs: [.path("data/extra.txt")], outputs: ["out/stats.txt"], after: "split")]
        ).build()
        let harness = try ExecutionHarness()
        let first = try await harness.run([withStats])
        #expect(first.outcome("stats")?.status == .succeeded)
        let written = try #require(harness.temp.read("out/stats.txt"))
        #expect(written.hasPrefix("[data/extra.txt]\nextra\n"))
        try FileManager.default.removeItem(at: harness.temp("out/stats.txt"))
        harness.recorder.reset()

        let second = try await harness.run([withStats])
        #expect(second.outcome("stats")?.status == .reused)
        #expect(harness.recorder.invocations.isEmpty)
        #expect(harness.temp.read("out/stats.txt") == written)
    }
}
