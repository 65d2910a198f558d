import Basics
import WorkflowModel

/// The plan for one invocation: every selected stage in dependency order, with its key and reason.
public struct RunPlan: Hashable, Sendable {
    /// Stages in an order where every stage follows its inputs' producers.
    public var stages: [PlannedStage] {
        didSet { positions = Self.positions(of: stages) }
    }
    /// Stage id → its index in ``stages`` (the executor looks every stage up once per outcome).
    private var positions: [StageID: Int]

    public init(stages: [PlannedStage]) {
        self.stages = stages
        self.positions = Self.positions(of: stages)
    }

    /// The planned stage with this id.
    /// - Complexity: O(1).
    public func stage(_ id: StageID) -> PlannedStage? { positions[id].map { stages[$0] } }

    private static func positions(of stages: [PlannedStage]) -> [StageID: Int] {
        var positions: [StageID: Int] = [:]
        positions.reserveCapacity(stages.count)
        for (index, stage) in stages.enumerated() where positions[stage.id] == nil { positions[stage.id] = index }
        return positions
    }

    /// Stages that will execute.
    public var stagesToRun: [PlannedStage] { stages.filter { $0.action == .run } }

    /// Every workspace file the given projects' stages read, which the caller must digest before planning.
    public static func requiredPaths(for projects: [Project]) -> [String] {
        var paths: Set<String> = []
        for project in projects {
            for run in project.runs {
                for blueprint in StageExpansion.blueprints(for: run, in: project) {
                    for source in blueprint.inputs.values {
                        if case .file(let path) = source { paths.insert(path) }
                    }
                }
            }
        }
        return paths.sorted()
    }

    /// Every base model the given projects use.
    public static func requiredModels(for projects: [Project]) -> [String] {
        Set(projects.flatMap { $0.runs.map(\.baseModel) }).sorted()
    }
}

/// One stage in a plan.
public struct PlannedStage: Hashable, Sendable {
    public enum Action: String, Hashable, Sendable {
        case run, skip
    }

    public var blueprint: StageBlueprint
    /// The task type's version, or `nil` when the task type is not available in this build.
    public var version: Int?
    public var action: Action = .run
    public var reason: RunReason = .neverRan
    /// The action key, when every input digest is known at planning time.
    public var key: ContentHash?
    /// What the key was computed from.
    public var parts: ActionKeyParts?
    /// Input digests known at planning time.
    public var inputDigests: [String: ContentHash] = [:]
    /// Output digests, known when the stage is up to date.
    public var knownOutputs: [String: LockedOutput]?

    public init(blueprint: StageBlueprint, version: Int?) {
        self.blueprint = blueprint
        self.version = version
    }

    public var id: StageID { blueprint.id }
    public var task: String { blueprint.task }
}
