import Basics

/// One attempt at fine-tuning one metric: metric + test set + training set + base model + settings.
public struct Run: Hashable, Sendable, Codable {
    public var name: String
    public var metric: Metric
    /// The hand-labelled rows, split into seeds and eval rows.
    public var testSet: DatasetSource
    public var trainingSet: TrainingSet
    /// A base model name from ``BaseModel/catalog``, e.g. `minilm-l6`.
    public var baseModel: String
    /// `train:` settings as written (mode, epochs, learning_rate, …); defaults are the train task's.
    public var train: [String: JSONValue]
    /// `gate:` thresholds (min_f1, min_auc, …); empty when the run has no gate.
    public var gate: [String: JSONValue]
    /// The run's seed, used by split, generate and train unless they set their own.
    public var seed: Int
    /// The name of the provider used by generate and label, if any.
    public var provider: String?
    /// Whether the run ends by registering its metric (`register: false` stops at fine-tuned).
    public var register: Bool
    /// The fraction of the test set used as seeds (default 0.2); the rest are eval rows.
    public var seedFraction: Double
    /// The test set's column whose value names a row's group (`split: {group_by: COLUMN}`): the split
    /// keeps every row of a group on one side. Nil when the run does not group rows.
    public var groupBy: String?
    /// Extra `exec` stages declared under `stages:`.
    public var stages: [CustomStage]
    /// Where the run is declared, for diagnostics.
    public var location: SourceLocation?

    public init(
        name: String, metric: Metric, testSet: DatasetSource, trainingSet: TrainingSet, baseModel: String = "minilm-l6",
        train: [String: JSONValue] = [:], gate: [String: JSONValue] = [:], seed: Int = 42, provider: String? = nil,
        register: Bool = true, seedFraction: Double = 0.2, groupBy: String? = nil, stages: [CustomStage] = [],
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.metric = metric
        self.testSet = testSet
        self.trainingSet = trainingSet
        self.baseModel = baseModel
        self.train = train
        self.gate = gate
        self.seed = seed
        self.provider = provider
        self.register = register
        self.seedFraction = seedFraction
        self.groupBy = groupBy
        self.stages = stages
        self.location = location
    }
}

/// A data file and how its columns map onto the metric's fields.
public struct DatasetSource: Hashable, Sendable, Codable {
    /// Workspace-relative path of a `.csv`, `.jsonl` (or `.json` for imports) file.
    public var path: String
    /// Canonical field → the file's own column name, e.g. `["input": "text", "label": "rating"]`.
    /// Fields not mentioned use their canonical name as the column name.
    public var columns: [String: String]
    public var location: SourceLocation?

    public init(path: String, columns: [String: String] = [:], location: SourceLocation? = nil) {
        self.path = path
        self.columns = columns
        self.location = location
    }
}

/// Where a run's training rows come from.
public enum TrainingSet: Hashable, Sendable, Codable {
    /// A CSV/JSONL file. When `labelled` is false, the judge labels the rows first.
    case upload(DatasetSource, labelled: Bool)
    /// Rows written by the provider from the seeds; settings as written (`count`, `examples_per_call`, …).
    case generate([String: JSONValue])
    /// Rows extracted from a trace export, then labelled by the judge.
    case importTraces(DatasetSource)

    /// `upload`, `generate` or `import`, as in the manifest.
    public var kind: String {
        switch self {
        case .upload: return "upload"
        case .generate: return "generate"
        case .importTraces: return "import"
        }
    }
}

/// A custom stage declared under a run's `stages:`: a shell command (`command:`, run by the `exec` task
/// type) or a task type a `lunette`-compatible executable registered (`task: <id>`).
public struct CustomStage: Hashable, Sendable, Codable {
    public var name: String
    /// What the stage does.
    public var work: Work
    /// `command:` stages: the files and `@stage.output`s the command reads, hashed into its key.
    public var inputs: [StageInput]
    /// `command:` stages: the workspace-relative paths the command writes, captured into the cache.
    /// `task:` stages: the names of the outputs the task writes into the cache (`@stage.name`).
    public var outputs: [String]
    /// The stage of the run this one follows (`load`, `split`, `train`, another custom stage…).
    public var after: String?
    /// `task:` stages: the input of another stage that takes this stage's output instead of its own
    /// (`feeds: train.rows`), which puts the stage inside the run's pipeline.
    public var feeds: Feed?
    public var location: SourceLocation?

    /// What a custom stage runs.
    public enum Work: Hashable, Sendable, Codable {
        /// `command:`: a shell command, run with `/bin/sh -c` in the manifest's folder.
        case command(String)
        /// `task: <id>`: the registered task type `id`, with its params (the `settings:` as its schema
        /// places them) and its inputs by name.
        case task(id: String, params: [String: JSONValue], inputs: [String: StageInput])
    }

    /// An input of another stage that a `task:` stage's output replaces.
    public struct Feed: Hashable, Sendable, Codable {
        /// The stage whose input is replaced (`train`).
        public var stage: String
        /// The input replaced (`rows`).
        public var input: String
        /// The custom stage's output that takes its place.
        public var output: String

        public init(stage: String, input: String, output: String) {
            self.stage = stage
            self.input = input
            self.output = output
        }
    }

    /// A `command:` stage.
    public init(
        name: String, command: String, inputs: [StageInput] = [], outputs: [String] = [], after: String? = nil,
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.work = .command(command)
        self.inputs = inputs
        self.outputs = outputs
        self.after = after
        self.location = location
    }

    /// A `task:` stage.
    public init(
        name: String, task: String, params: [String: JSONValue] = [:], inputs: [String: StageInput] = [:],
        outputs: [String], after: String? = nil, feeds: Feed? = nil, location: SourceLocation? = nil
    ) {
        self.name = name
        self.work = .task(id: task, params: params, inputs: inputs)
        self.inputs = []
        self.outputs = outputs
        self.after = after
        self.feeds = feeds
        self.location = location
    }

    /// The shell command of a `command:` stage.
    public var command: String? {
        if case .command(let command) = work { return command }
        return nil
    }
}

/// An input of a custom stage: a workspace file (hashed by content) or another stage's output.
public enum StageInput: Hashable, Sendable, Codable {
    /// A workspace-relative path to a file or folder.
    case path(String)
    /// `@stage.output` in the manifest: a named output of another stage of the same run.
    case output(stage: String, output: String)
}
