import Basics
import Planning
import Testing
import WorkflowModel
import _TestSupport

/// Golden files for `lunette plan` output: text, `--explain`, JSON and DOT.
@Suite struct RunPlanDumpingTests {
    /// A run whose `stats` stage joins split's two outputs with a workspace file (a diamond from
    /// split), planned with the loads cached and a lock in which split had another seed.
    private func diamondPlan() throws -> RunPlan {
        let project = ProjectBuilder("demo").run(
            "tox",
            stages: [
                ProjectBuilder.stage(
                    "stats", command: "wc -l", inputs: [.path("data/extra.txt")], outputs: ["out/stats.txt"],
                    after: "split")
            ]
        ).build()
        let probe = try Fixture.plan([project])
        let loadKeys = Set(probe.stages.filter { $0.id.stage.hasPrefix("load") }.compactMap(\.key))
        #expect(loadKeys.count == 2)
        let oldSplit = ActionKeyParts(
            task: "split", version: 1, params: ["seed": 7, "seed_fraction": 0.2], inputs: ["rows": .of("old rows")])
        let lock = Lockfile(
            project: "demo",
            stages: [
                StageID(project: "demo", run: "tox", stage: "split"): LockEntry(
                    key: oldSplit.key, parts: oldSplit,
                    outputs: ["seeds": LockedOutput(digest: .of("s"), size: 1, kind: "file")])
            ])
        return try Fixture.plan([project], locks: ["demo": lock], cached: Fixture.cached(loadKeys))
    }

    @Test func text() throws {
        let plan = try diamondPlan()
        assertSnapshot(plan.renderedText(), named: "diamond-plan")
        #expect(plan.renderedText().hasSuffix("5 to run, 2 up to date\n"))
    }

    @Test func explainedText() throws {
        assertSnapshot(try diamondPlan().renderedText(explain: true), named: "diamond-explain")
    }

    @Test func json() throws {
        let json = try diamondPlan().jsonValue()
        assertSnapshot(json.canonicalText + "\n", named: "diamond.json")
        let stages = try #require(json["stages"]?.arrayValue)
        #expect(stages.count == 7)
        #expect(stages.first?["action"] == "skip")
        #expect(stages.last?["key"] == .null)
    }

    @Test func dot() throws {
        let dot = try diamondPlan().renderedDOT()
        assertSnapshot(dot, named: "diamond.dot")
        #expect(dot.contains("  \"demo/tox/split\" -> \"demo/tox/stats\";\n"))
    }

    @Test func emptyPlan() {
        #expect(RunPlan(stages: []).renderedText() == "nothing to plan: no runs selected\n")
    }
}
