import Basics

/// The stages a run expands into, said once, as data: for each stage its name, task type, inputs,
/// outputs and which of the run's fields become its params; and for each kind of training set the
/// stages it adds between `split` and `train`.
///
/// ``builtin`` is the pipeline every run has. `Planning` expands runs from it (`StageExpansion`),
/// `ManifestLoading` checks custom stages' names, `after:` and `@stage.output` against it, and a test
/// checks the stage lists in the docs (`Sources/Planning/README.md`, README's Concepts) against it.
/// Nothing else spells a built-in stage's name; `Execution` knows none (lifecycle statuses come from
/// what task types declare).
///
/// ```
/// load → split → (load-training | load-training → label | generate | import → label) → train → evaluate → register
/// ```
public struct Pipeline: Sendable, Hashable {
    /// Every stage, each declared once, in the order their names are listed to users.
    public var stages: [PipelineStage]
    /// The stages every run starts with, in run order.
    public var head: [String]
    /// The stages each kind of training set adds after ``head``, in run order.
    public var branches: [TrainingSetShape: [String]]
    /// The stages every run ends with, in run order (a stage with ``PipelineStage/onlyWhenRegistering``
    /// only when the run registers).
    public var tail: [String]

    public init(stages: [PipelineStage], head: [String], branches: [TrainingSetShape: [String]], tail: [String]) {
        self.stages = stages
        self.head = head
        self.branches = branches
        self.tail = tail
    }

    /// Every stage name, in the order ``stages`` declares them.
    public var stageNames: [String] { stages.map(\.name) }

    /// The stage named `name`.
    public func stage(named name: String) -> PipelineStage? { stages.first { $0.name == name } }

    /// The stages of a run whose training set has `shape` (every branch's stages when `shape` is nil,
    /// in ``stages`` order: what a run whose training set did not load may name), in run order.
    public func stageNames(for shape: TrainingSetShape?, register: Bool) -> [String] {
        let middle: [String]
        if let shape {
            middle = branches[shape] ?? []
        } else {
            let all = Set(branches.values.joined())
            middle = stageNames.filter { all.contains($0) }
        }
        return (head + middle + tail).filter { name in register || stage(named: name)?.onlyWhenRegistering != true }
    }

    /// The stages of a run whose training set has `shape`, in run order.
    public func stages(for shape: TrainingSetShape, register: Bool) -> [PipelineStage] {
        stageNames(for: shape, register: register).compactMap { stage(named: $0) }
    }
}

/// The kinds of training set that give a run different stages.
public enum TrainingSetShape: String, Hashable, Sendable, CaseIterable {
    /// `upload: PATH` with labels.
    case labelledUpload = "upload"
    /// `upload: {path: PATH, labelled: false}`: the judge labels the rows.
    case unlabelledUpload = "upload (unlabelled)"
    /// `generate: {...}`: the provider writes rows from the seeds.
    case generate
    /// `import: PATH`: rows from a trace export, labelled by the judge.
    case importTraces = "import"
}

extension TrainingSet {
    /// The shape of this training set: which branch of the pipeline its run takes.
    public var shape: TrainingSetShape {
        switch self {
        case .upload(_, let labelled): return labelled ? .labelledUpload : .unlabelledUpload
        case .generate: return .generate
        case .importTraces: return .importTraces
        }
    }
}

/// One stage of a ``Pipeline``.
public struct PipelineStage: Sendable, Hashable {
    /// The stage's name in the run (`load`, `split`, `train`…); custom stages may not take it.
    public var name: String
    /// The id of the task type that executes it.
    public var task: String
    /// Input name → where its content comes from.
    public var inputs: [String: PipelineInput]
    /// The outputs it writes (cache-only artifacts).
    public var outputs: [String]
    /// Param key → the run field it takes its value from.
    public var params: [String: RunField]
    /// Whether every setting written under the training set (`generate: {count: 40, …}`) is a param too;
    /// ``params`` win over a setting of the same key.
    public var takesTrainingSetSettings: Bool
    /// Whether the stage is left out of runs with `register: false`.
    public var onlyWhenRegistering: Bool
    /// One line for the docs: what the stage does.
    public var summary: String

    public init(
        name: String, task: String, inputs: [String: PipelineInput], outputs: [String], params: [String: RunField],
        takesTrainingSetSettings: Bool = false, onlyWhenRegistering: Bool = false, summary: String
    ) {
        self.name = name
        self.task = task
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        self.takesTrainingSetSettings = takesTrainingSetSettings
        self.onlyWhenRegistering = onlyWhenRegistering
        self.summary = summary
    }
}

/// Where a pipeline stage's input comes from.
public enum PipelineInput: Sendable, Hashable {
    /// A data file of the run (hashed by content).
    case file(DatasetRole)
    /// The output `output` of the stage named `stage`.
    case stage(String, output: String)
    /// The output `output` of the stage just before this one in the run (the training-set branch's
    /// last stage, for the stage after the branch).
    case previous(output: String)
    /// The run's base model.
    case baseModel
}

/// Which of a run's data files.
public enum DatasetRole: String, Sendable, Hashable, CaseIterable {
    /// The hand-labelled test set (`test_set:`).
    case testSet = "test_set"
    /// The training set's file (`upload:` or `import:`).
    case trainingSet = "training_set"
}

/// A value a stage's param takes from its run.
public indirect enum RunField: Sendable, Hashable {
    /// The metric as one object: `name`, `output`, `labels`, `step`, `input`, and `prompt` when set.
    case metric
    /// The metric's input format (`message`, `input_output`, …).
    case metricInput
    /// The metric's output (`boolean`, `categorical`).
    case metricOutput
    /// The metric's labels, in index order.
    case metricLabels
    /// The metric's step (`llm_span`, …).
    case metricStep
    /// The run's seed.
    case seed
    /// `split: {seed_fraction}`.
    case seedFraction
    /// `split: {group_by}`; the param is left out when the run does not group rows.
    case groupBy
    /// A data file's workspace-relative path.
    case datasetPath(DatasetRole)
    /// A data file's format from its extension: `csv`, else `jsonl`.
    case datasetFormat(DatasetRole)
    /// A data file's column mapping (canonical field → column).
    case datasetColumns(DatasetRole)
    /// Whether the uploaded training set is labelled.
    case trainingSetLabelled
    /// The setting `key` written under the training set (`generate: {seed: 9}`), else `otherwise`.
    case trainingSetSetting(String, otherwise: RunField)
    /// The settings of the run's provider that shape its answers (never its credentials); `null` when none.
    case provider
    /// As ``provider``, for the provider the training set's `provider:` setting names, else the run's.
    case trainingSetProvider
    /// `train:` settings.
    case train
    /// `gate:` thresholds.
    case gate
    /// The project's name.
    case projectName
    /// The run's name.
    case runName
    /// The manifest's workspace-relative path.
    case manifestPath
    /// The base model's name.
    case baseModelName
    /// A fixed value.
    case constant(JSONValue)
}

extension Pipeline {
    /// The pipeline every run has.
    public static let builtin = Pipeline(
        stages: [
            PipelineStage(
                name: "load", task: "load-dataset", inputs: ["source": .file(.testSet)], outputs: ["rows"],
                params: loadParams(.testSet, requireLabels: .constant(true)).merging(["group_by": .groupBy]) { $1 },
                summary: "reads and checks the test set"),
            PipelineStage(
                name: "split", task: "split", inputs: ["rows": .stage("load", output: "rows")],
                outputs: ["seeds", "eval"],
                params: ["seed": .seed, "seed_fraction": .seedFraction, "input_format": .metricInput, "group_by": .groupBy],
                summary: "splits the test set into seeds and eval rows"),
            PipelineStage(
                name: "load-training", task: "load-dataset", inputs: ["source": .file(.trainingSet)], outputs: ["rows"],
                params: loadParams(.trainingSet, requireLabels: .trainingSetLabelled),
                summary: "reads and checks the uploaded training set"),
            PipelineStage(
                name: "generate", task: "generate",
                inputs: ["seeds": .stage("split", output: "seeds"), "eval": .stage("split", output: "eval")],
                outputs: ["rows", "review"],
                params: ["metric": .metric, "seed": .trainingSetSetting("seed", otherwise: .seed), "provider": .trainingSetProvider],
                takesTrainingSetSettings: true,
                summary: "the provider writes labelled training rows from the seeds"),
            PipelineStage(
                name: "label", task: "label", inputs: ["rows": .previous(output: "rows")], outputs: ["rows"],
                params: ["metric": .metric, "provider": .provider, "seed": .seed],
                summary: "the judge labels the unlabelled rows"),
            PipelineStage(
                name: "import", task: "import", inputs: ["source": .file(.trainingSet)], outputs: ["rows"],
                params: [
                    "path": .datasetPath(.trainingSet), "columns": .datasetColumns(.trainingSet), "step": .metricStep,
                    "input_format": .metricInput,
                ],
                summary: "extracts rows from a trace export"),
            PipelineStage(
                name: "train", task: "train",
                inputs: [
                    "rows": .previous(output: "rows"), "seeds": .stage("split", output: "seeds"),
                    "eval": .stage("split", output: "eval"), "base_model": .baseModel,
                ],
                outputs: ["model"], params: ["metric": .metric, "seed": .seed, "train": .train],
                summary: "fine-tunes the base model on the training rows"),
            PipelineStage(
                name: "evaluate", task: "evaluate",
                inputs: [
                    "model": .stage("train", output: "model"), "eval": .stage("split", output: "eval"),
                    "seeds": .stage("split", output: "seeds"), "base_model": .baseModel,
                ],
                // The report names its project and run, so they are params: two runs with the same model
                // and rows would otherwise share an action key while writing different reports.
                outputs: ["report"], params: ["metric": .metric, "provider": .provider, "project": .projectName, "run": .runName],
                summary: "scores the model on the eval rows"),
            PipelineStage(
                name: "register", task: "register",
                inputs: ["model": .stage("train", output: "model"), "report": .stage("evaluate", output: "report")],
                outputs: ["entry"],
                params: [
                    "metric": .metric, "gate": .gate, "project": .projectName, "run": .runName,
                    "manifest": .manifestPath, "base_model": .baseModelName,
                ],
                onlyWhenRegistering: true,
                summary: "checks the gate and records the next version in the registry"),
        ],
        head: ["load", "split"],
        branches: [
            .labelledUpload: ["load-training"],
            .unlabelledUpload: ["load-training", "label"],
            .generate: ["generate"],
            .importTraces: ["import", "label"],
        ],
        tail: ["train", "evaluate", "register"])

    /// The params of a `load-dataset` stage reading the data file `role`.
    private static func loadParams(_ role: DatasetRole, requireLabels: RunField) -> [String: RunField] {
        [
            "path": .datasetPath(role), "format": .datasetFormat(role), "columns": .datasetColumns(role),
            "input_format": .metricInput, "output": .metricOutput, "labels": .metricLabels,
            "require_labels": requireLabels, "role": .constant(.string(role.rawValue)),
        ]
    }
}
