import Basics

/// What a manifest may say to a task type in a run's `stages:` entry (`task: <id>`): its settings
/// schema and the names of its inputs and outputs, as the task type declares them.
///
/// `TaskTypeRegistry.declarations` builds these from the registered task types; `ManifestLoader`
/// checks each `task:` stage against them at load time (an unknown task, a setting its schema refuses,
/// an input it does not take), so `lunette check` catches what the stage would refuse.
public struct TaskDeclaration: Sendable {
    /// The task type's id (`near-duplicate-filter`).
    public var id: String
    /// The settings a stage gives it under `settings:`; nil when it takes none.
    public var settings: SettingsSchema?
    /// The names of the inputs it reads, each required; nil when it takes whatever the stage names.
    public var inputs: [String]?
    /// The names of the outputs it writes; nil when the stage lists them under `outputs:`.
    public var outputs: [String]?

    public init(id: String, settings: SettingsSchema? = nil, inputs: [String]? = nil, outputs: [String]? = nil) {
        self.id = id
        self.settings = settings
        self.inputs = inputs
        self.outputs = outputs
    }
}
