import Basics
import Planning
import Testing
import WorkflowModel
import _TestSupport

/// `lunette check` without the base model installed: the planner takes the model's digest from the lock.
@Suite struct ModelDigestFromLockTests {
    private let project = ProjectBuilder("demo").run("tox", train: ["epochs": 3]).build()
    private static let install =
        "install it with `scripts/install-model minilm-l6`, or set LUNETTE_MODELS to the folder that holds it"

    /// The lock a run with the model installed writes.
    private func lock() throws -> Lockfile {
        Fixture.lock(from: try Fixture.plan([project], cached: Fixture.everythingCached()))
    }

    /// Plans like `check` (or `plan`, when `trustLock` is false) with no base model installed.
    private func planWithoutModel(
        _ projects: [Project], locks: [String: Lockfile], trustLock: Bool = true,
        cached: @escaping @Sendable (ContentHash) -> [String: LockedOutput]? = { _ in nil }
    ) throws -> RunPlan {
        try Planner().plan(
            PlanInputs(
                projects: projects, taskVersions: Fixture.versions, fileDigests: Fixture.files, modelDigests: [:],
                locks: locks, cachedOutputs: cached, trustLock: trustLock))
    }

    @Test func checkTakesTheLockedDigestOfAModelThatIsNotInstalled() throws {
        let lock = try lock()
        let plan = try planWithoutModel([project], locks: ["demo": lock])
        #expect(plan.stages.allSatisfy { $0.action == .skip && $0.reason == .upToDate }, "\(plan.lines)")
        #expect(plan.stage(named: "train")?.inputDigests["base_model"] == Fixture.models["minilm-l6"])
        #expect(plan.stage(named: "evaluate")?.key == lock.stages[StageID(project: "demo", run: "tox", stage: "evaluate")]?.key)
    }

    @Test func anEditedParamIsStillNamedWithoutTheModel() throws {
        let lock = try lock()
        let edited = ProjectBuilder("demo").run("tox", train: ["epochs": 4]).build()
        let plan = try planWithoutModel([edited], locks: ["demo": lock])
        #expect(plan.stagesToRun.map(\.id.stage) == ["train", "evaluate", "register"])
        #expect(plan.stage(named: "train")?.reason == .changed(["params.train.epochs changed 3 → 4"]))
    }

    @Test func anInstalledModelWinsOverTheLock() throws {
        let lock = try lock()
        let plan = try Planner().plan(
            PlanInputs(
                projects: [project], taskVersions: Fixture.versions, fileDigests: Fixture.files,
                modelDigests: ["minilm-l6": .of("other weights")], locks: ["demo": lock], trustLock: true))
        #expect(plan.stage(named: "train")?.action == .run)
        #expect(plan.stage(named: "train")?.inputDigests["base_model"] == ContentHash.of("other weights"))
    }

    @Test func aLockWithNoDigestForTheModelSaysItIsNotInstalled() throws {
        var lock = try lock()
        for stage in ["train", "evaluate"] { lock.stages[StageID(project: "demo", run: "tox", stage: stage)] = nil }
        let plan = try planWithoutModel([project], locks: ["demo": lock])
        #expect(plan.lines == [
            "load skip: up to date",
            "load-training skip: up to date",
            "split skip: up to date",
            "train run: base model minilm-l6 is not installed and the lock records no digest for it, "
                + "so this stage's key cannot be computed: \(Self.install)",
            "evaluate run: upstream stage train will re-run",
            "register run: upstream stage train will re-run",
        ])
    }

    @Test func twoDifferentLockedDigestsAreNotTrusted() throws {
        var lock = try lock()
        let evaluate = StageID(project: "demo", run: "tox", stage: "evaluate")
        lock.stages[evaluate]?.inputs["base_model"] = .of("older weights")
        let plan = try planWithoutModel([project], locks: ["demo": lock])
        #expect(plan.stage(named: "train")?.reason.text
            == "base model minilm-l6 is not installed and the lock records 2 different digests for it, "
                + "so this stage's key cannot be computed: \(Self.install)")
    }

    @Test func eachProjectUsesItsOwnLock() throws {
        let lock = try lock()
        let other = ProjectBuilder("other").run("tox", train: ["epochs": 3]).build()
        // The other project's upstream stages are cached, so only the model is unknown there.
        let plan = try planWithoutModel([project, other], locks: ["demo": lock], cached: Fixture.everythingCached())
        #expect(plan.stages.filter { $0.id.project == "demo" }.allSatisfy { $0.action == .skip })
        #expect(plan.stage(named: "train", project: "other")?.reason.text.hasPrefix(
            "base model minilm-l6 is not installed and the lock records no digest for it") == true)
    }

    @Test func planWithoutTrustingTheLockNeverUsesItsDigest() throws {
        let lock = try lock()
        let plan = try planWithoutModel([project], locks: ["demo": lock], trustLock: false, cached: Fixture.everythingCached())
        #expect(plan.stage(named: "train")?.reason.text
            == "base model minilm-l6 is not installed, so this stage's key cannot be computed: \(Self.install)")
        #expect(plan.stage(named: "load")?.action == .skip)
    }
}
