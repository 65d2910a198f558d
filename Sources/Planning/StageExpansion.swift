import Basics
import WorkflowModel

/// Expands a run into its stages: load → split → (upload | generate | import → label) → train →
/// evaluate → register, plus the run's custom `exec` stages.
///
/// Pure: the result depends only on the run.
///
/// | stage | task | inputs | outputs |
/// |---|---|---|---|
/// | `load` | `load-dataset` | the test set file | `rows` |
/// | `split` | `split` | `load.rows` | `seeds`, `eval` |
/// | `load-training` | `load-dataset` | the uploaded file | `rows` |
/// | `generate` | `generate` | `split.seeds`, `split.eval` | `rows`, `review` |
/// | `import` | `import` | the trace export | `rows` |
/// | `label` | `label` | unlabelled `rows` | `rows` |
/// | `train` | `train` | training `rows`, `split.seeds`, `split.eval` (rows repeating one are dropped), the base model | `model` |
/// | `evaluate` | `evaluate` | `train.model`, `split.eval`, `split.seeds`, the base model | `report` |
/// | `register` | `register` | `train.model`, `evaluate.report` | `entry` |
public enum StageExpansion {
    /// The names of the built-in stages, in pipeline order.
    public static let builtinStageNames = [
        "load", "split", "load-training", "generate", "import", "label", "train", "evaluate", "register",
    ]

    /// The blueprints of every stage of `run` in `project`.
    public static func blueprints(for run: Run, in project: Project) -> [StageBlueprint] {
        func id(_ stage: String) -> StageID { StageID(project: project.name, run: run.name, stage: stage) }
        let metric = metricParams(run.metric)
        var stages: [StageBlueprint] = []

        // `group_by` enters load's and split's params only when set, so other runs' keys stay as they were.
        var loadTestParams = loadParams(run.testSet, metric: run.metric, requireLabels: true, role: "test_set")
        var splitParams: [String: JSONValue] = [
            "seed": .int(run.seed), "seed_fraction": .double(run.seedFraction),
            "input_format": .string(run.metric.input.rawValue),
        ]
        if let column = run.groupBy {
            loadTestParams["group_by"] = .string(column)
            splitParams["group_by"] = .string(column)
        }
        stages.append(
            StageBlueprint(
                id: id("load"), task: "load-dataset", params: loadTestParams,
                inputs: ["source": .file(run.testSet.path)], outputs: ["rows": nil], location: run.testSet.location))
        stages.append(
            StageBlueprint(
                id: id("split"), task: "split", params: splitParams,
                inputs: ["rows": .stage(id("load"), output: "rows")], outputs: ["seeds": nil, "eval": nil],
                location: run.location))

        let trainingRows: StageInputSource
        switch run.trainingSet {
        case .upload(let source, let labelled):
            stages.append(
                StageBlueprint(
                    id: id("load-training"), task: "load-dataset",
                    params: loadParams(source, metric: run.metric, requireLabels: labelled, role: "training_set"),
                    inputs: ["source": .file(source.path)], outputs: ["rows": nil], location: source.location))
            if labelled {
                trainingRows = .stage(id("load-training"), output: "rows")
            } else {
                stages.append(labelStage(id: id("label"), rows: .stage(id("load-training"), output: "rows"), run, project))
                trainingRows = .stage(id("label"), output: "rows")
            }
        case .generate(let settings):
            var params = settings
            params["metric"] = metric
            params["seed"] = params["seed"] ?? .int(run.seed)
            // `generate: {provider: NAME}` overrides the run's provider for this stage alone.
            params["provider"] = providerParams(named: settings["provider"]?.stringValue ?? run.provider, project)
            stages.append(
                StageBlueprint(
                    id: id("generate"), task: "generate", params: params,
                    inputs: ["seeds": .stage(id("split"), output: "seeds"), "eval": .stage(id("split"), output: "eval")],
                    outputs: ["rows": nil, "review": nil], location: run.location))
            trainingRows = .stage(id("generate"), output: "rows")
        case .importTraces(let source):
            stages.append(
                StageBlueprint(
                    id: id("import"), task: "import",
                    params: [
                        "path": .string(source.path), "columns": columnsParam(source),
                        "step": .string(run.metric.step.rawValue), "input_format": .string(run.metric.input.rawValue),
                    ],
                    inputs: ["source": .file(source.path)], outputs: ["rows": nil], location: source.location))
            stages.append(labelStage(id: id("label"), rows: .stage(id("import"), output: "rows"), run, project))
            trainingRows = .stage(id("label"), output: "rows")
        }

        var trainParams: [String: JSONValue] = ["metric": metric, "seed": .int(run.seed)]
        trainParams["train"] = .object(run.train)
        stages.append(
            StageBlueprint(
                id: id("train"), task: "train", params: trainParams,
                inputs: [
                    "rows": trainingRows, "seeds": .stage(id("split"), output: "seeds"),
                    "eval": .stage(id("split"), output: "eval"), "base_model": .baseModel(run.baseModel),
                ],
                outputs: ["model": nil], location: run.location))
        stages.append(
            StageBlueprint(
                id: id("evaluate"), task: "evaluate",
                params: ["metric": metric, "provider": providerParams(run, project)],
                inputs: [
                    "model": .stage(id("train"), output: "model"), "eval": .stage(id("split"), output: "eval"),
                    "seeds": .stage(id("split"), output: "seeds"), "base_model": .baseModel(run.baseModel),
                ],
                outputs: ["report": nil], location: run.location))
        if run.register {
            stages.append(
                StageBlueprint(
                    id: id("register"), task: "register",
                    params: [
                        "metric": metric, "gate": .object(run.gate), "project": .string(project.name),
                        "run": .string(run.name), "manifest": .string(project.manifestPath),
                        "base_model": .string(run.baseModel),
                    ],
                    inputs: [
                        "model": .stage(id("train"), output: "model"), "report": .stage(id("evaluate"), output: "report"),
                    ],
                    outputs: ["entry": nil], location: run.location))
        }
        stages += customStages(run, project, builtins: stages)
        return stages
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

    static func loadParams(_ source: DatasetSource, metric: Metric, requireLabels: Bool, role: String) -> [String: JSONValue]
    {
        let format = source.path.lowercased().hasSuffix(".csv") ? "csv" : "jsonl"
        return [
            "path": .string(source.path), "format": .string(format), "columns": columnsParam(source),
            "input_format": .string(metric.input.rawValue), "output": .string(metric.output.rawValue),
            "labels": .array(metric.labels.map(JSONValue.string)), "require_labels": .bool(requireLabels),
            "role": .string(role),
        ]
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

    static func labelStage(id: StageID, rows: StageInputSource, _ run: Run, _ project: Project) -> StageBlueprint {
        StageBlueprint(
            id: id, task: "label",
            params: ["metric": metricParams(run.metric), "provider": providerParams(run, project), "seed": .int(run.seed)],
            inputs: ["rows": rows], outputs: ["rows": nil], location: run.location)
    }

    static func customStages(_ run: Run, _ project: Project, builtins: [StageBlueprint]) -> [StageBlueprint] {
        var outputsByStage: [String: [String]] = [:]
        var producerOfPath: [String: String] = [:]
        for stage in builtins { outputsByStage[stage.id.stage] = stage.outputs.keys.sorted() }
        for custom in run.stages {
            outputsByStage[custom.name] = custom.outputs
            for path in custom.outputs { producerOfPath[path] = custom.name }
        }
        let directory = parentDirectory(of: project.manifestPath)
        return run.stages.map { custom in
            let stageID = StageID(project: project.name, run: run.name, stage: custom.name)
            var inputs: [String: StageInputSource] = [:]
            for input in custom.inputs {
                switch input {
                case .path(let path):
                    if let producer = producerOfPath[path], producer != custom.name {
                        inputs[path] = .stage(
                            StageID(project: project.name, run: run.name, stage: producer), output: path)
                    } else {
                        inputs[path] = .file(path)
                    }
                case .output(let stage, let output):
                    inputs["\(stage).\(output)"] = .stage(
                        StageID(project: project.name, run: run.name, stage: stage), output: output)
                }
            }
            if let after = custom.after {
                for output in outputsByStage[after] ?? [] where !inputs.values.contains(
                    .stage(StageID(project: project.name, run: run.name, stage: after), output: output))
                {
                    inputs["\(after).\(output)"] = .stage(
                        StageID(project: project.name, run: run.name, stage: after), output: output)
                }
            }
            var outputs: [String: String?] = [:]
            for path in custom.outputs { outputs[path] = .some(path) }
            return StageBlueprint(
                id: stageID, task: "exec",
                params: [
                    "command": .string(custom.command), "directory": .string(directory),
                    "outputs": .object(Dictionary(uniqueKeysWithValues: custom.outputs.map { ($0, .string($0)) })),
                ],
                inputs: inputs, outputs: outputs, location: custom.location)
        }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}
