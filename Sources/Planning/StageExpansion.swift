import Basics
import WorkflowModel

/// Expands a run into its stages, as ``WorkflowModel/Pipeline/builtin`` declares them (load → split →
/// the training set's stages → train → evaluate → register), plus the run's custom stages: `exec` for a
/// `command:`, the named task type for a `task:`, whose `feeds:` points another stage's input at it.
///
/// Pure: the result depends only on the run (and the pipeline).
public enum StageExpansion {
    /// The blueprints of every stage of `run` in `project`, in run order.
    public static func blueprints(for run: Run, in project: Project, pipeline: Pipeline = .builtin) -> [StageBlueprint] {
        func id(_ stage: String) -> StageID { StageID(project: project.name, run: run.name, stage: stage) }
        var stages: [StageBlueprint] = []
        for stage in pipeline.stages(for: run.trainingSet.shape, register: run.register) {
            var inputs: [String: StageInputSource] = [:]
            var location = run.location
            for (name, input) in stage.inputs {
                switch input {
                case .file(let role):
                    let source = dataset(role, of: run)
                    inputs[name] = .file(source?.path ?? "")
                    location = source?.location
                case .stage(let producer, let output):
                    inputs[name] = .stage(id(producer), output: output)
                case .previous(let output):
                    if let previous = stages.last { inputs[name] = .stage(previous.id, output: output) }
                case .baseModel:
                    inputs[name] = .baseModel(run.baseModel)
                }
            }
            var params = stage.takesTrainingSetSettings ? trainingSetSettings(run) : [:]
            for (key, field) in stage.params {
                params[key] = value(of: field, run, project)
            }
            stages.append(
                StageBlueprint(
                    id: id(stage.name), task: stage.task, params: params, inputs: inputs,
                    outputs: Dictionary(uniqueKeysWithValues: stage.outputs.map { ($0, nil) }), location: location))
        }
        stages += customStages(run, project, builtins: stages)
        applyFeeds(run, project, to: &stages)
        return stages
    }

    /// The value `field` takes in `run`; nil leaves the param out.
    static func value(of field: RunField, _ run: Run, _ project: Project) -> JSONValue? {
        switch field {
        case .metric: return metricParams(run.metric)
        case .metricInput: return .string(run.metric.input.rawValue)
        case .metricOutput: return .string(run.metric.output.rawValue)
        case .metricLabels: return .array(run.metric.labels.map(JSONValue.string))
        case .metricStep: return .string(run.metric.step.rawValue)
        case .seed: return .int(run.seed)
        case .seedFraction: return .double(run.seedFraction)
        // `group_by` enters load's and split's params only when set, so other runs' keys stay as they were.
        case .groupBy: return run.groupBy.map(JSONValue.string)
        case .datasetPath(let role): return dataset(role, of: run).map { .string($0.path) }
        case .datasetFormat(let role):
            return dataset(role, of: run).map { .string($0.path.lowercased().hasSuffix(".csv") ? "csv" : "jsonl") }
        case .datasetColumns(let role): return dataset(role, of: run).map(columnsParam)
        case .trainingSetLabelled:
            if case .upload(_, let labelled) = run.trainingSet { return .bool(labelled) }
            return .bool(false)
        case .trainingSetSetting(let key, let otherwise):
            return trainingSetSettings(run)[key] ?? value(of: otherwise, run, project)
        case .provider: return providerParams(run, project)
        // `generate: {provider: NAME}` overrides the run's provider for this stage alone.
        case .trainingSetProvider:
            return providerParams(named: trainingSetSettings(run)["provider"]?.stringValue ?? run.provider, project)
        case .train: return .object(run.train)
        case .gate: return .object(run.gate)
        case .projectName: return .string(project.name)
        case .runName: return .string(run.name)
        case .manifestPath: return .string(project.manifestPath)
        case .baseModelName: return .string(run.baseModel)
        case .constant(let value): return value
        }
    }

    /// The run's data file `role`: the test set, or the training set's file (nil for `generate`).
    static func dataset(_ role: DatasetRole, of run: Run) -> DatasetSource? {
        switch (role, run.trainingSet) {
        case (.testSet, _): return run.testSet
        case (.trainingSet, .upload(let source, _)), (.trainingSet, .importTraces(let source)): return source
        case (.trainingSet, .generate): return nil
        }
    }

    /// The settings written under the training set (`generate: {count: 40, …}`); empty for a file.
    static func trainingSetSettings(_ run: Run) -> [String: JSONValue] {
        if case .generate(let settings) = run.trainingSet { return settings }
        return [:]
    }

    // MARK: - Pieces

    static func metricParams(_ metric: Metric) -> JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(metric.name), "output": .string(metric.output.rawValue),
            "labels": .array(metric.labels.map(JSONValue.string)), "step": .string(metric.step.rawValue),
            "input": .string(metric.input.rawValue),
        ]
        if let prompt = metric.prompt { object["prompt"] = .string(prompt) }
        return .object(object)
    }

    static func columnsParam(_ source: DatasetSource) -> JSONValue {
        .object(source.columns.mapValues(JSONValue.string))
    }

    /// The provider's settings that shape its answers (never its credentials).
    static func providerParams(_ run: Run, _ project: Project) -> JSONValue {
        providerParams(named: run.provider, project)
    }

    /// The settings of the provider `name` declares under `providers:` (`null` when there is none).
    static func providerParams(named name: String?, _ project: Project) -> JSONValue {
        guard let name, let spec = project.providers[name] else { return .null }
        var object: [String: JSONValue] = ["name": .string(name), "kind": .string(spec.kind)]
        // `api_key_env` names a variable; the key itself never enters params, keys or locks.
        for key in [
            "base_url", "model", "temperature", "max_tokens", "api_key_env", "max_concurrency", "requests_per_minute",
            "timeout", "headers",
        ] {
            if let value = spec.settings[key] { object[key] = value }
        }
        return .object(object)
    }

    static func customStages(_ run: Run, _ project: Project, builtins: [StageBlueprint]) -> [StageBlueprint] {
        var outputsByStage: [String: [String]] = [:]
        var producerOfPath: [String: String] = [:]
        for stage in builtins { outputsByStage[stage.id.stage] = stage.outputs.keys.sorted() }
        for custom in run.stages {
            outputsByStage[custom.name] = custom.outputs
            if custom.command != nil {
                for path in custom.outputs { producerOfPath[path] = custom.name }
            }
        }
        func id(_ stage: String) -> StageID { StageID(project: project.name, run: run.name, stage: stage) }
        func source(_ input: StageInput, of stage: String) -> StageInputSource {
            switch input {
            case .path(let path):
                if let producer = producerOfPath[path], producer != stage { return .stage(id(producer), output: path) }
                return .file(path)
            case .output(let producer, let output):
                return .stage(id(producer), output: output)
            }
        }
        let directory = parentDirectory(of: project.manifestPath)
        return run.stages.map { custom in
            var inputs: [String: StageInputSource] = [:]
            let task: String
            var params: [String: JSONValue]
            var outputs: [String: String?] = [:]
            switch custom.work {
            case .command(let command):
                for input in custom.inputs {
                    switch input {
                    case .path(let path): inputs[path] = source(input, of: custom.name)
                    case .output(let stage, let output): inputs["\(stage).\(output)"] = source(input, of: custom.name)
                    }
                }
                task = "exec"
                params = [
                    "command": .string(command), "directory": .string(directory),
                    "outputs": .object(Dictionary(uniqueKeysWithValues: custom.outputs.map { ($0, .string($0)) })),
                ]
                for path in custom.outputs { outputs[path] = .some(path) }
            case .task(let id, let settings, let named):
                for (name, input) in named { inputs[name] = source(input, of: custom.name) }
                task = id
                // The metric says what the rows mean (its input shape and labels), as built-in stages get it.
                params = settings
                params["metric"] = metricParams(run.metric)
                for name in custom.outputs { outputs[name] = .some(nil) }
            }
            if let after = custom.after {
                for output in outputsByStage[after] ?? [] where !inputs.values.contains(.stage(id(after), output: output)) {
                    inputs["\(after).\(output)"] = .stage(id(after), output: output)
                }
            }
            return StageBlueprint(
                id: id(custom.name), task: task, params: params, inputs: inputs, outputs: outputs,
                location: custom.location)
        }
    }

    /// Points each input a `task:` stage feeds (`feeds: train.rows`) at that stage's output.
    static func applyFeeds(_ run: Run, _ project: Project, to stages: inout [StageBlueprint]) {
        for custom in run.stages {
            guard let feed = custom.feeds, let index = stages.firstIndex(where: { $0.id.stage == feed.stage }) else {
                continue
            }
            stages[index].inputs[feed.input] = .stage(
                StageID(project: project.name, run: run.name, stage: custom.name), output: feed.output)
        }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}
