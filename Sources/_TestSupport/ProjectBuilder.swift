import Basics
import WorkflowModel

/// Terse ``WorkflowModel/Project`` and ``WorkflowModel/Run`` values for tests.
///
/// ```swift
/// let project = ProjectBuilder("demo")
///     .run("tox")                                                   // upload, labelled
///     .run("gen", training: .generate(["count": 10]))
///     .run("raw", training: ProjectBuilder.upload("data/raw.csv", labelled: false),
///          stages: [ProjectBuilder.stage("stats", command: "wc -l", after: "split", outputs: ["out/stats.txt"])])
///     .build()
/// ```
public struct ProjectBuilder: Sendable {
    public var project: Project

    /// Starts a project named `name` whose manifest is `workflows/<name>.yaml`.
    public init(_ name: String = "demo", description: String? = nil, providers: [String: ProviderSpec] = [:]) {
        project = Project(
            name: name, description: description, manifestPath: "workflows/\(name).yaml", providers: providers)
    }

    /// Adds a run made by ``ProjectBuilder/makeRun(_:metric:testSet:training:baseModel:train:gate:seed:provider:register:stages:)``.
    public func run(
        _ name: String, metric: Metric = ProjectBuilder.booleanMetric(), testSet: String = "data/test.csv",
        training: TrainingSet = ProjectBuilder.upload("data/train.csv"), baseModel: String = "minilm-l6",
        train: [String: JSONValue] = [:], gate: [String: JSONValue] = [:], seed: Int = 42, provider: String? = nil,
        register: Bool = true, stages: [CustomStage] = []
    ) -> ProjectBuilder {
        adding(
            ProjectBuilder.makeRun(
                name, metric: metric, testSet: testSet, training: training, baseModel: baseModel, train: train,
                gate: gate, seed: seed, provider: provider, register: register, stages: stages))
    }

    /// Adds a run built elsewhere; runs stay sorted by name, as ManifestLoading leaves them.
    public func adding(_ run: Run) -> ProjectBuilder {
        var copy = self
        copy.project.runs.append(run)
        copy.project.runs.sort { $0.name < $1.name }
        return copy
    }

    /// Adds a provider.
    public func provider(_ name: String, kind: String = "openai-compatible", settings: [String: JSONValue] = [:])
        -> ProjectBuilder
    {
        var copy = self
        copy.project.providers[name] = ProviderSpec(name: name, kind: kind, settings: settings)
        return copy
    }

    /// The project.
    public func build() -> Project { project }

    // MARK: - Pieces

    /// A run with test defaults: boolean metric, `data/test.csv`, labelled upload of `data/train.csv`.
    public static func makeRun(
        _ name: String, metric: Metric = booleanMetric(), testSet: String = "data/test.csv",
        training: TrainingSet = upload("data/train.csv"), baseModel: String = "minilm-l6",
        train: [String: JSONValue] = [:], gate: [String: JSONValue] = [:], seed: Int = 42, provider: String? = nil,
        register: Bool = true, stages: [CustomStage] = []
    ) -> Run {
        Run(
            name: name, metric: metric, testSet: DatasetSource(path: testSet), trainingSet: training,
            baseModel: baseModel, train: train, gate: gate, seed: seed, provider: provider, register: register,
            stages: stages)
    }

    /// A boolean metric judging the input message.
    public static func booleanMetric(_ name: String = "toxic", prompt: String? = "Is it toxic?") -> Metric {
        Metric(name: name, prompt: prompt, output: .boolean, step: .llmSpan, input: .message)
    }

    /// A categorical metric over `labels`.
    public static func categoricalMetric(_ name: String, labels: [String], input: InputFormat = .inputOutput) -> Metric {
        Metric(name: name, prompt: "Pick one.", output: .categorical, labels: labels, step: .llmSpan, input: input)
    }

    /// An uploaded training set.
    public static func upload(_ path: String, labelled: Bool = true, columns: [String: String] = [:]) -> TrainingSet {
        .upload(DatasetSource(path: path, columns: columns), labelled: labelled)
    }

    /// A custom `exec` stage.
    public static func stage(
        _ name: String, command: String = "true", inputs: [StageInput] = [], outputs: [String] = [], after: String? = nil
    ) -> CustomStage {
        CustomStage(name: name, command: command, inputs: inputs, outputs: outputs, after: after)
    }
}
