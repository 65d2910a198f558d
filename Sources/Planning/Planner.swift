import Basics
import Foundation
import WorkflowModel

/// Turns projects into a ``RunPlan``: the stage DAG, each stage's action key, and why it runs.
///
/// Planning is pure and synchronous: it reads the world only through the ``PlanInputs`` it is given
/// (file digests the caller measured, the lock, a lookup into the cache index) and does no I/O of
/// its own and reads no clock, so a plan can be tested with plain values. Separate parts of the
/// graph are planned on several threads; the plan does not depend on them (``PlanInputs/cachedOutputs``
/// must be safe to call from several at once).
///
/// A stage's key can only be computed when every input's digest is known. Inputs from upstream
/// stages are known when the upstream stage is up to date (its outputs are in the cache) — or,
/// under `lunette check`, when its key matches the lock. Under `lunette check` a base model that is
/// not installed takes the digest the lock records for it (see ``PlanInputs/trustLock``), so a CI
/// runner without the model can check. A stage downstream of one that will run
/// says so ("upstream stage load will re-run"), and the executor computes its key once the
/// upstream outputs exist, so an upstream re-run that produces identical bytes still lets it skip.
public struct Planner: Sendable {
    public init() {}

    /// Plans the stages that `inputs.targets` select (all when empty) and everything upstream of them.
    /// - Throws: ``PlanningError`` for an unknown target or a cycle.
    /// - Complexity: O((*S* + *E*) log *S*) for *S* stages and *E* edges, plus the size of their params.
    public func plan(_ inputs: PlanInputs) throws -> RunPlan {
        var blueprints: [StageID: StageBlueprint] = [:]
        var graph = DirectedGraph<StageID>()
        for project in inputs.projects {
            for run in project.runs {
                for blueprint in StageExpansion.blueprints(for: run, in: project) {
                    blueprints[blueprint.id] = blueprint
                    graph.add(blueprint.id)
                }
            }
        }
        for blueprint in blueprints.values {
            for upstream in blueprint.upstream where blueprints[upstream] != nil {
                graph.addEdge(from: upstream, to: blueprint.id)
            }
        }
        let order: [StageID]
        switch graph.topologicalOrder() {
        case .success(let ids): order = ids
        case .failure(let cycle):
            throw PlanningError(
                .cycle, "stages form a cycle: " + cycle.path.map(\.description).joined(separator: " → "),
                remedy: "remove one of these dependencies")
        }
        let (selected, named) = try TargetSelection.select(inputs.targets, among: blueprints)
        let recordedModels = inputs.trustLock ? Self.recordedModelDigests(blueprints: blueprints, locks: inputs.locks) : [:]

        // Stages in separate connected parts of the graph (usually: separate runs) know nothing of each
        // other, so the parts are planned in parallel, each in dependency order; the plan lists the
        // stages in `order` whatever thread planned them.
        let ordered = order.filter { selected.contains($0) && blueprints[$0] != nil }
        let parts = Self.connectedParts(ordered, blueprints: blueprints)
        let slices = ordered.count < 256 ? 1 : max(1, min(8, ProcessInfo.processInfo.activeProcessorCount * 2))
        let expanded = blueprints
        let plannedSlices = Parallel.map(slices) { slice in
            var known: [StageID: [String: LockedOutput]] = [:]
            var willRun: Set<StageID> = []
            /// Stage → whether it runs only because something upstream runs.
            var followers: [StageID: Bool] = [:]
            var planned: [StageID: PlannedStage] = [:]
            for (position, id) in ordered.enumerated() where parts[position] % slices == slice {
                let stage = planStage(
                    expanded[id]!, inputs: inputs, force: inputs.force && named.contains(id), known: known, willRun: willRun,
                    causes: followers, recordedModels: recordedModels[id.project] ?? [:])
                if stage.action == .run { willRun.insert(id) }
                if case .upstreamWillRun = stage.reason { followers[id] = true }
                if let outputs = stage.knownOutputs { known[id] = outputs }
                planned[id] = stage
            }
            return planned
        }
        var planned: [StageID: PlannedStage] = [:]
        for slice in plannedSlices { planned.merge(slice) { first, _ in first } }
        return RunPlan(stages: ordered.map { planned[$0]! })
    }

    /// For each stage of `ordered`, the number of its connected part of the graph (stages linked by
    /// inputs, in either direction, share one).
    static func connectedParts(_ ordered: [StageID], blueprints: [StageID: StageBlueprint]) -> [Int] {
        var position: [StageID: Int] = [:]
        for (index, id) in ordered.enumerated() { position[id] = index }
        var parent = Array(ordered.indices)
        func root(_ node: Int) -> Int {
            var node = node
            while parent[node] != node {
                parent[node] = parent[parent[node]]
                node = parent[node]
            }
            return node
        }
        for (index, id) in ordered.enumerated() {
            for upstream in blueprints[id]?.upstream ?? [] {
                guard let other = position[upstream] else { continue }
                let (a, b) = (root(index), root(other))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        return ordered.indices.map { root($0) }
    }

    private func planStage(
        _ blueprint: StageBlueprint, inputs: PlanInputs, force: Bool, known: [StageID: [String: LockedOutput]],
        willRun: Set<StageID>, causes: [StageID: Bool], recordedModels: [String: Set<ContentHash>]
    ) -> PlannedStage {
        var stage = PlannedStage(blueprint: blueprint, version: inputs.taskVersions[blueprint.task])
        guard let version = stage.version else {
            stage.action = .run
            stage.reason = .taskNotAvailable(blueprint.task)
            return stage
        }
        var digests: [String: ContentHash] = [:]
        var missing: [String] = []
        var missingModels: [String] = []
        var pending: [StageID] = []
        for (name, source) in blueprint.inputs.sorted(by: { $0.key < $1.key }) {
            switch source {
            case .file(let path):
                if let digest = inputs.fileDigests[path] { digests[name] = digest } else { missing.append(path) }
            case .baseModel(let model):
                if let digest = inputs.modelDigests[model] {
                    digests[name] = digest
                } else if let recorded = recordedModels[model], recorded.count == 1, let digest = recorded.first {
                    digests[name] = digest  // not installed here: trust the digest the lock records (check only)
                } else {
                    missingModels.append(Self.notInstalled(model, recorded: recordedModels[model] ?? [], trustLock: inputs.trustLock))
                }
            case .stage(let upstream, let output):
                if let digest = known[upstream]?[output]?.digest {
                    digests[name] = digest
                } else {
                    pending.append(upstream)
                }
            }
        }
        stage.inputDigests = digests
        if !pending.isEmpty {
            // Name the upstream stage that itself has a reason to run, not one that merely follows it.
            let causes = pending.filter { causes[$0] != true }
            stage.action = .run
            stage.reason = .upstreamWillRun((causes.isEmpty ? pending : causes)[0])
            return stage
        }
        if !missing.isEmpty || !missingModels.isEmpty {
            stage.action = .run
            stage.reason = .changed(missing.map { "input \($0) is missing" } + missingModels)
            return stage
        }
        // Settings that cannot change results (`train.threads`) stay out of the key (``SettingsSchema/keyed(_:)``).
        let keyed = inputs.taskSettings[blueprint.task]?.keyed(blueprint.params) ?? blueprint.params
        let parts = ActionKeyParts(task: blueprint.task, version: version, params: keyed, inputs: digests)
        let key = parts.key
        stage.parts = parts
        stage.key = key
        let locked = inputs.locks[blueprint.id.project]?.stages[blueprint.id]

        if force {
            stage.action = .run
            stage.reason = .forced
        } else if let outputs = inputs.cachedOutputs(key) {
            stage.action = .skip
            stage.reason = .upToDate
            stage.knownOutputs = outputs
        } else if inputs.trustLock, let locked, locked.key == key {
            stage.action = .skip
            stage.reason = .upToDate
            stage.knownOutputs = locked.outputs
        } else if let locked {
            stage.action = .run
            if locked.key == key {
                stage.reason = .outputMissing(blueprint.outputs.keys.sorted())
            } else {
                stage.reason = .changed(describe(parts.differences(from: locked.parts), blueprint))
            }
        } else {
            stage.action = .run
            stage.reason = .neverRan
        }
        return stage
    }

    /// The base model digests each project's lock records, by project then model name: the digest of
    /// every stage input that is a base model, gathered over the project's stages. One digest per name
    /// is what a consistent lock holds; more than one means the lock cannot say which is right.
    /// - Complexity: O(*S* · *I*) for *S* stages of *I* inputs each.
    static func recordedModelDigests(
        blueprints: [StageID: StageBlueprint], locks: [String: Lockfile]
    ) -> [String: [String: Set<ContentHash>]] {
        var recorded: [String: [String: Set<ContentHash>]] = [:]
        for (id, blueprint) in blueprints {
            guard let entry = locks[id.project]?.stages[id] else { continue }
            for (name, source) in blueprint.inputs {
                if case .baseModel(let model) = source, let digest = entry.inputs[name] {
                    recorded[id.project, default: [:]][model, default: []].insert(digest)
                }
            }
        }
        return recorded
    }

    /// Why a stage reading base model `model`, which is not installed, has no key.
    private static func notInstalled(_ model: String, recorded: Set<ContentHash>, trustLock: Bool) -> String {
        let lock: String
        if !trustLock {
            lock = ""
        } else if recorded.isEmpty {
            lock = " and the lock records no digest for it"
        } else {
            lock = " and the lock records \(recorded.count) different digests for it"
        }
        let install = BaseModel.named(model)?.installCommand ?? "scripts/install-model \(model)"
        return "base model \(model) is not installed\(lock), so this stage's key cannot be computed: "
            + "install it with `\(install)`, or set LUNETTE_MODELS to the folder that holds it"
    }

    /// Rewrites "input rows changed (content)" for stage inputs as "upstream stage load re-ran (rows changed)".
    private func describe(_ changes: [String], _ blueprint: StageBlueprint) -> [String] {
        changes.map { change in
            for (name, source) in blueprint.inputs where change == "input \(name) changed (content)" {
                if case .stage(let upstream, let output) = source {
                    return "upstream stage \(upstream.stage) re-ran (\(output) changed)"
                }
            }
            return change
        }
    }
}

/// Everything a plan depends on, measured by the caller.
public struct PlanInputs: Sendable {
    public var projects: [Project]
    /// Task id → version, for every task type available in this build.
    public var taskVersions: [String: Int]
    /// Task id → the settings schema its task type declares (`TaskTypeRegistry.settingsByTask`): keys it
    /// declares as not affecting results are left out of action keys.
    public var taskSettings: [String: SettingsSchema] = [:]
    /// Workspace-relative path → content digest, for every file input (see ``RunPlan/requiredPaths(for:)``).
    public var fileDigests: [String: ContentHash]
    /// Base model name → digest of its installed weights; a model that is not installed has none.
    public var modelDigests: [String: ContentHash]
    /// Each project's committed lock, by project name.
    public var locks: [String: Lockfile]
    /// Looks an action key up in the cache index: the outputs when every one is present.
    public var cachedOutputs: @Sendable (ContentHash) -> [String: LockedOutput]?
    /// `project`, `project/run` or `project/run/stage`; empty selects everything.
    public var targets: [String]
    /// Re-run the stages the targets name (every stage when there are no targets); the stages
    /// upstream of them are reused when up to date.
    public var force: Bool
    /// Count a stage whose key matches the lock as up to date even without cached outputs
    /// (`lunette check` in a clean clone). A base model missing from ``modelDigests`` (not
    /// installed) then takes the digest its project's lock records for that model name, when the
    /// lock records exactly one; otherwise its stages say the model is not installed.
    public var trustLock: Bool

    public init(
        projects: [Project], taskVersions: [String: Int], fileDigests: [String: ContentHash] = [:],
        modelDigests: [String: ContentHash] = [:], locks: [String: Lockfile] = [:],
        cachedOutputs: @escaping @Sendable (ContentHash) -> [String: LockedOutput]? = { _ in nil },
        targets: [String] = [], force: Bool = false, trustLock: Bool = false
    ) {
        self.projects = projects
        self.taskVersions = taskVersions
        self.fileDigests = fileDigests
        self.modelDigests = modelDigests
        self.locks = locks
        self.cachedOutputs = cachedOutputs
        self.targets = targets
        self.force = force
        self.trustLock = trustLock
    }
}
