import Basics
import WorkflowModel

/// One stage of a run before its action key is known: its task, parameters, inputs and outputs.
///
/// ``StageExpansion`` turns each run into blueprints; ``Planner`` then orders them, computes keys
/// and decides what runs.
public struct StageBlueprint: Hashable, Sendable {
    public var id: StageID
    /// The task type id (`load-dataset`, `split`, `train`, `exec`, …).
    public var task: String
    /// Everything that configures the stage, as it enters the action key.
    public var params: [String: JSONValue]
    /// Input name → where its content comes from.
    public var inputs: [String: StageInputSource]
    /// Output name → where the output also lives in the workspace (exec outputs), or `nil` for
    /// cache-only artifacts.
    public var outputs: [String: String?]
    /// Where the stage is declared, for diagnostics.
    public var location: SourceLocation?

    public init(
        id: StageID, task: String, params: [String: JSONValue], inputs: [String: StageInputSource],
        outputs: [String: String?], location: SourceLocation? = nil
    ) {
        self.id = id
        self.task = task
        self.params = params
        self.inputs = inputs
        self.outputs = outputs
        self.location = location
    }

    /// The stages whose outputs this one reads, sorted.
    public var upstream: [StageID] {
        var ids: Set<StageID> = []
        for source in inputs.values {
            if case .stage(let id, _) = source { ids.insert(id) }
        }
        return ids.sorted()
    }
}

/// Where a stage input's content comes from.
public enum StageInputSource: Hashable, Sendable {
    /// A workspace file or folder, hashed by content.
    case file(String)
    /// An installed base model, by name; hashed through its weights.
    case baseModel(String)
    /// A named output of another stage.
    case stage(StageID, output: String)

    /// A short human form: the path, `base model minilm-l6`, or `stage/output`.
    public var displayText: String {
        switch self {
        case .file(let path): return path
        case .baseModel(let name): return "base model \(name)"
        case .stage(let id, let output): return "\(id.stage).\(output)"
        }
    }
}
