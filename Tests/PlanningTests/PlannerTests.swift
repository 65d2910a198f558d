import Basics
import Planning
import Testing
import WorkflowModel
import _TestSupport

@Suite struct PlannerTests {
    private let project = ProjectBuilder("demo").run("tox", train: ["epochs": 3]).build()

    @Test func neverRan() throws {
        let plan = try Fixture.plan([project])
        #expect(plan.lines == [
            "load run: never ran",
            "load-training run: never ran",
            "split run: upstream stage load will re-run",
            "train run: upstream stage load-training will re-run",
            "evaluate run: upstream stage split will re-run",
            "register run: upstream stage train will re-run",
        ])
        // Roots have keys; stages behind a running stage get theirs once it has run.
        #expect(plan.stage(named: "load")?.key != nil)
        #expect(plan.stage(named: "split")?.key == nil)
        #expect(plan.stage(named: "load")?.inputDigests == ["source": ContentHash.of("test rows")])
        #expect(plan.stagesToRun.count == 6)
    }

    @Test func upToDateWhenTheCacheHoldsEveryAction() throws {
        let plan = try Fixture.plan([project], cached: Fixture.everythingCached())
        #expect(plan.stages.allSatisfy { $0.action == .skip && $0.reason == .upToDate })
        let load = try #require(plan.stage(named: "load"))
        let split = try #require(plan.stage(named: "split"))
        // split's input digest is load's cached output digest.
        #expect(split.inputDigests["rows"] == load.knownOutputs?["rows"]?.digest)
        #expect(split.parts?.inputs == split.inputDigests)
        #expect(plan.stagesToRun.isEmpty)
    }

    @Test func changedParamsAreDescribedAgainstTheLock() throws {
        let before = try Fixture.plan([project], cached: Fixture.everythingCached())
        let lock = Fixture.lock(from: before)
        let keys = Set(before.stages.compactMap(\.key))
        let edited = ProjectBuilder("demo").run("tox", train: ["epochs": 4]).build()
        let plan = try Fixture.plan([edited], locks: ["demo": lock], cached: Fixture.cached(keys))
        #expect(plan.lines == [
            "load skip: up to date",
            "load-training skip: up to date",
            "split skip: up to date",
            "train run: params.train.epochs changed 3 → 4",
            "evaluate run: upstream stage train will re-run",
            "register run: upstream stage train will re-run",
        ])
    }

    @Test func changedInputsAndUpstreamOutputsAreDescribed() throws {
        let before = try Fixture.plan([project], cached: Fixture.everythingCached())
        let lock = Fixture.lock(from: before)
        var files = Fixture.files
        files["data/test.csv"] = .of("test rows, edited")
        // Plan once to learn load's new key, then pretend load already ran with it (new outputs cached).
        let probe = try Fixture.plan([project], files: files, locks: ["demo": lock])
        let newLoadKey = try #require(probe.stage(named: "load")?.key)
        let keys = Set(before.stages.compactMap(\.key)).union([newLoadKey])
        let plan = try Fixture.plan([project], files: files, locks: ["demo": lock], cached: Fixture.cached(keys))
        #expect(probe.lines.first == "load run: input source changed (content)")
        #expect(plan.lines.prefix(3) == [
            "load skip: up to date",
            "load-training skip: up to date",
            "split run: upstream stage load re-ran (rows changed)",
        ])
    }

    @Test func outputMissingFromTheCache() throws {
        let before = try Fixture.plan([project], cached: Fixture.everythingCached())
        let lock = Fixture.lock(from: before)
        let plan = try Fixture.plan([project], locks: ["demo": lock])
        #expect(plan.lines.prefix(3) == [
            "load run: output rows missing from cache",
            "load-training run: output rows missing from cache",
            "split run: upstream stage load will re-run",
        ])
        #expect(plan.stage(named: "load")?.reason == .outputMissing(["rows"]))
    }

    @Test func missingInputFile() throws {
        var files = Fixture.files
        files["data/test.csv"] = nil
        let plan = try Fixture.plan([project], files: files)
        #expect(plan.lines.first == "load run: input data/test.csv is missing")
        #expect(plan.stage(named: "load")?.key == nil)
    }

    @Test func taskNotAvailable() throws {
        var versions = Fixture.versions
        versions["train"] = nil
        let plan = try Fixture.plan([project], versions: versions, cached: Fixture.everythingCached())
        #expect(plan.lines == [
            "load skip: up to date",
            "load-training skip: up to date",
            "split skip: up to date",
            "train run: task type 'train' not available yet",
            "evaluate run: upstream stage train will re-run",
            "register run: upstream stage train will re-run",
        ])
        #expect(plan.stage(named: "train")?.version == nil)
    }

    @Test func forceRerunsEverySelectedStage() throws {
        let plan = try Fixture.plan([project], cached: Fixture.everythingCached(), force: true)
        #expect(plan.stages.allSatisfy { $0.action == .run })
        #expect(plan.lines.prefix(3) == [
            "load run: forced (--force)",
            "load-training run: forced (--force)",
            "split run: upstream stage load will re-run",
        ])
    }

    @Test func trustLockPropagatesLockedOutputsDownstream() throws {
        let before = try Fixture.plan([project], cached: Fixture.everythingCached())
        let lock = Fixture.lock(from: before)
        #expect(lock.stages.count == 6)
        let checked = try Fixture.plan([project], locks: ["demo": lock], trustLock: true)
        #expect(checked.stages.allSatisfy { $0.action == .skip })
        #expect(checked.stages.map(\.key) == before.stages.map(\.key))
        #expect(checked.stage(named: "split")?.inputDigests == before.stage(named: "split")?.inputDigests)

        // A changed param still shows under trustLock, and everything after it waits.
        let edited = ProjectBuilder("demo").run("tox", train: ["epochs": 5]).build()
        let stale = try Fixture.plan([edited], locks: ["demo": lock], trustLock: true)
        #expect(stale.lines.suffix(3) == [
            "train run: params.train.epochs changed 3 → 5",
            "evaluate run: upstream stage train will re-run",
            "register run: upstream stage train will re-run",
        ])
    }

    @Test func identicalStagesOfTwoRunsShareAKeyAndAreBothPlanned() throws {
        let twins = ProjectBuilder("demo").run("a").run("b").build()
        let plan = try Fixture.plan([twins])
        let loadA = try #require(plan.stage(named: "load", run: "a"))
        let loadB = try #require(plan.stage(named: "load", run: "b"))
        #expect(loadA.key != nil)
        #expect(loadA.key == loadB.key)
        #expect(loadA.action == .run && loadB.action == .run)
        #expect(plan.stages.count == 12)
        // Register names its run, so it never shares.
        let cachedPlan = try Fixture.plan([twins], cached: Fixture.everythingCached())
        #expect(cachedPlan.stage(named: "register", run: "a")?.key != cachedPlan.stage(named: "register", run: "b")?.key)
        #expect(cachedPlan.stage(named: "train", run: "a")?.key == cachedPlan.stage(named: "train", run: "b")?.key)
    }

    @Test func planOrderIsDeterministicAndTopological() throws {
        let project = ProjectBuilder("demo")
            .run("b", training: ProjectBuilder.upload("data/raw.csv", labelled: false))
            .run("a", training: .generate(["count": 5]))
            .build()
        let plan = try Fixture.plan([project])
        #expect(plan.runStageIDs == [
            "a/load", "a/split", "a/generate", "a/train", "a/evaluate", "a/register",
            "b/load", "b/load-training", "b/label", "b/split", "b/train", "b/evaluate", "b/register",
        ])
        #expect(try Fixture.plan([project]) == plan)
    }

    @Test func customStagesFormingACycleAreRejected() throws {
        let project = ProjectBuilder("demo").run(
            "tox",
            stages: [
                ProjectBuilder.stage("x", inputs: [.path("out/y.txt")], outputs: ["out/x.txt"]),
                ProjectBuilder.stage("y", inputs: [.path("out/x.txt")], outputs: ["out/y.txt"]),
            ]
        ).build()
        let error = try #require(throws: PlanningError.self) { try Fixture.plan([project]) }
        #expect(error.code == .cycle)
        #expect(error.message == "stages form a cycle: demo/tox/x → demo/tox/y → demo/tox/x")
    }

    @Test func aLargePlanIsPlannedInPartsAsOne() throws {
        // 60 runs × 6 stages: over the size planned in parallel; half the runs have cached results.
        var builder = ProjectBuilder("big")
        for run in 0..<60 { builder = builder.run("r\(run)", train: ["epochs": .int(run % 4 + 1)]) }
        let project = builder.build()
        let everything = try Fixture.plan([project], cached: Fixture.everythingCached())
        let keys = Set(everything.stages.filter { Int($0.id.run.dropFirst())! % 2 == 0 }.compactMap(\.key))
        let plan = try Fixture.plan([project], cached: Fixture.cached(keys))
        #expect(plan.stages.count == 360)
        #expect(try Fixture.plan([project], cached: Fixture.cached(keys)) == plan, "the same plan every time")
        // Each stage follows its upstream stages, and is planned as its run alone would be.
        var seen: Set<StageID> = []
        for stage in plan.stages {
            #expect(stage.blueprint.upstream.allSatisfy(seen.contains), "\(stage.id)")
            seen.insert(stage.id)
        }
        for run in ["r0", "r1", "r58", "r59"] {
            let alone = try Fixture.plan([project], cached: Fixture.cached(keys), targets: ["big/\(run)"])
            #expect(alone.stages == plan.stages.filter { $0.id.run == run }, "\(run)")
        }
        #expect(plan.stages.filter { $0.id.run == "r2" }.allSatisfy { $0.action == .skip })
        // r3 trains for 4 epochs, which no even run does (its load shares their key, and is cached).
        #expect(plan.stage(try #require(StageID("big/r3/train")))?.action == .run)
    }
}
