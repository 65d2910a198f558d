import Basics
import Planning
import WorkflowModel
import _TestSupport

/// Values every planning test shares: task versions, file and model digests, a pretend cache.
enum Fixture {
    static let versions: [String: Int] = Dictionary(uniqueKeysWithValues: FakeTaskIDs.builtin.map { ($0, 1) })
    static let files: [String: ContentHash] = [
        "data/test.csv": .of("test rows"), "data/train.csv": .of("train rows"), "data/raw.csv": .of("raw rows"),
        "data/traces.json": .of("traces"), "data/extra.txt": .of("extra"),
    ]
    static let models: [String: ContentHash] = ["minilm-l6": .of("minilm weights")]
    static let outputNames = ["rows", "seeds", "eval", "review", "model", "report", "entry"]

    /// Output digests a cache would hold for `key`: one per name, derived from the key.
    static func outputs(for key: ContentHash, names: [String] = outputNames) -> [String: LockedOutput] {
        Dictionary(
            uniqueKeysWithValues: names.map { name in
                (name, LockedOutput(digest: .of("\(key.hex)/\(name)"), size: Int64(name.count), kind: "file"))
            })
    }

    /// A cache lookup that hits for every key.
    static func everythingCached(extra: [String] = []) -> @Sendable (ContentHash) -> [String: LockedOutput]? {
        { key in outputs(for: key, names: outputNames + extra) }
    }

    /// A cache lookup that hits only for `keys`.
    static func cached(_ keys: Set<ContentHash>) -> @Sendable (ContentHash) -> [String: LockedOutput]? {
        { key in keys.contains(key) ? outputs(for: key) : nil }
    }

    static func plan(
        _ projects: [Project], versions: [String: Int] = versions, files: [String: ContentHash] = files,
        locks: [String: Lockfile] = [:],
        cached: @escaping @Sendable (ContentHash) -> [String: LockedOutput]? = { _ in nil }, targets: [String] = [],
        force: Bool = false, trustLock: Bool = false
    ) throws -> RunPlan {
        try Planner().plan(
            PlanInputs(
                projects: projects, taskVersions: versions, fileDigests: files, modelDigests: models, locks: locks,
                cachedOutputs: cached, targets: targets, force: force, trustLock: trustLock))
    }

    /// The lock a run of `plan` would write: every stage with a key and known outputs.
    static func lock(from plan: RunPlan, project: String = "demo") -> Lockfile {
        var lock = Lockfile(project: project)
        for stage in plan.stages where stage.id.project == project {
            guard let key = stage.key, let parts = stage.parts, let outputs = stage.knownOutputs else { continue }
            lock.stages[stage.id] = LockEntry(key: key, parts: parts, outputs: outputs)
        }
        return lock
    }
}

extension RunPlan {
    /// `stage action: reason` per stage, in plan order, with ids shortened to the stage name.
    var lines: [String] { stages.map { "\($0.id.stage) \($0.action.rawValue): \($0.reason.text)" } }

    /// `run/stage` per stage, in plan order.
    var runStageIDs: [String] { stages.map { "\($0.id.run)/\($0.id.stage)" } }

    func stage(named name: String, run: String = "tox", project: String = "demo") -> PlannedStage? {
        stage(StageID(project: project, run: run, stage: name))
    }
}
