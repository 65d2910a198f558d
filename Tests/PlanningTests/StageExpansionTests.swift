import Basics
import Planning
import Testing
import WorkflowModel
import _TestSupport

@Suite struct StageExpansionTests {
    private func stages(_ run: Run, project: ProjectBuilder = ProjectBuilder("demo")) -> [String: StageBlueprint] {
        let built = project.adding(run).build()
        return Dictionary(
            uniqueKeysWithValues: StageExpansion.blueprints(for: run, in: built).map { ($0.id.stage, $0) })
    }

    private func id(_ stage: String, run: String = "tox") -> StageID { StageID(project: "demo", run: run, stage: stage) }

    @Test func labelledUpload() throws {
        let run = ProjectBuilder.makeRun("tox", training: ProjectBuilder.upload("data/train.csv"))
        let blueprints = StageExpansion.blueprints(for: run, in: ProjectBuilder("demo").adding(run).build())
        #expect(blueprints.map(\.id.description) == [
            "demo/tox/load", "demo/tox/split", "demo/tox/load-training", "demo/tox/train", "demo/tox/evaluate",
            "demo/tox/register",
        ])
        #expect(blueprints.map(\.task) == ["load-dataset", "split", "load-dataset", "train", "evaluate", "register"])
        let byName = stages(run)
        let load = try #require(byName["load"])
        #expect(load.inputs == ["source": .file("data/test.csv")])
        #expect(load.outputs == ["rows": nil])
        #expect(load.params["require_labels"] == true)
        #expect(load.params["role"] == "test_set")
        #expect(load.params["format"] == "csv")
        let loadTraining = try #require(byName["load-training"])
        #expect(loadTraining.inputs == ["source": .file("data/train.csv")])
        #expect(loadTraining.params["role"] == "training_set")
        #expect(loadTraining.params["require_labels"] == true)
        let split = try #require(byName["split"])
        #expect(split.inputs == ["rows": .stage(id("load"), output: "rows")])
        #expect(split.outputs == ["seeds": nil, "eval": nil])
        #expect(split.params == ["seed": 42, "seed_fraction": 0.2, "input_format": "message"])
        let train = try #require(byName["train"])
        #expect(train.inputs == [
            "rows": .stage(id("load-training"), output: "rows"), "seeds": .stage(id("split"), output: "seeds"),
            "eval": .stage(id("split"), output: "eval"), "base_model": .baseModel("minilm-l6"),
        ])
        #expect(train.outputs == ["model": nil])
        #expect(train.upstream == [id("load-training"), id("split")])
        let evaluate = try #require(byName["evaluate"])
        #expect(evaluate.inputs == [
            "model": .stage(id("train"), output: "model"), "eval": .stage(id("split"), output: "eval"),
            "seeds": .stage(id("split"), output: "seeds"), "base_model": .baseModel("minilm-l6"),
        ])
        #expect(evaluate.outputs == ["report": nil])
        let register = try #require(byName["register"])
        #expect(register.inputs == [
            "model": .stage(id("train"), output: "model"), "report": .stage(id("evaluate"), output: "report"),
        ])
        #expect(register.outputs == ["entry": nil])
        #expect(register.params["run"] == "tox")
        #expect(register.params["manifest"] == "workflows/demo.yaml")
    }

    @Test func unlabelledUploadIsLabelledByTheJudge() throws {
        let run = ProjectBuilder.makeRun("tox", training: ProjectBuilder.upload("data/raw.jsonl", labelled: false))
        let blueprints = StageExpansion.blueprints(for: run, in: ProjectBuilder("demo").adding(run).build())
        #expect(blueprints.map(\.id.stage) == [
            "load", "split", "load-training", "label", "train", "evaluate", "register",
        ])
        let byName = stages(run)
        #expect(byName["load-training"]?.params["require_labels"] == false)
        #expect(byName["load-training"]?.params["format"] == "jsonl")
        let label = try #require(byName["label"])
        #expect(label.task == "label")
        #expect(label.inputs == ["rows": .stage(id("load-training"), output: "rows")])
        #expect(label.outputs == ["rows": nil])
        #expect(label.params["provider"] == .null)
        #expect(byName["train"]?.inputs["rows"] == .stage(id("label"), output: "rows"))
    }

    @Test func generatedTrainingSet() throws {
        let project = ProjectBuilder("demo").provider(
            "local", settings: ["model": "qwen", "base_url": "http://127.0.0.1:8080/v1", "api_key_env": "KEY"])
        let run = ProjectBuilder.makeRun("tox", training: .generate(["count": 100]), provider: "local")
        let blueprints = StageExpansion.blueprints(for: run, in: project.adding(run).build())
        #expect(blueprints.map(\.id.stage) == ["load", "split", "generate", "train", "evaluate", "register"])
        let generate = try #require(blueprints.first { $0.id.stage == "generate" })
        #expect(generate.inputs == [
            "seeds": .stage(id("split"), output: "seeds"), "eval": .stage(id("split"), output: "eval"),
        ])
        #expect(generate.outputs == ["rows": nil, "review": nil])
        #expect(generate.params["count"] == 100)
        #expect(generate.params["seed"] == 42)
        // The provider enters the key by its settings and the *name* of its key's variable, never the key.
        #expect(
            generate.params["provider"]
                == [
                    "name": "local", "kind": "openai-compatible", "base_url": "http://127.0.0.1:8080/v1", "model": "qwen",
                    "api_key_env": "KEY",
                ])
        #expect(blueprints.first { $0.id.stage == "train" }?.inputs["rows"] == .stage(id("generate"), output: "rows"))
    }


    /// Issue 14: `generate: {provider: NAME}` was overwritten by the run's provider.
    @Test func generateSettingsNameTheirOwnProvider() throws {
        let project = ProjectBuilder("demo")
            .provider("local", settings: ["model": "qwen", "base_url": "http://127.0.0.1:8080/v1"])
            .provider("offline", kind: "offline")
        let run = ProjectBuilder.makeRun(
            "tox", training: .generate(["count": 10, "provider": "offline"]), provider: "local")
        let byName = Dictionary(
            uniqueKeysWithValues: StageExpansion.blueprints(for: run, in: project.adding(run).build())
                .map { ($0.id.stage, $0) })
        #expect(byName["generate"]?.params["provider"] == ["name": "offline", "kind": "offline"])
        // The run's own provider still serves the stages the override does not name.
        #expect(byName["evaluate"]?.params["provider"]?["name"] == "local")
    }
    @Test func importedTracesAreLabelled() throws {
        let run = ProjectBuilder.makeRun("tox", training: .importTraces(DatasetSource(path: "data/traces.json")))
        let blueprints = StageExpansion.blueprints(for: run, in: ProjectBuilder("demo").adding(run).build())
        #expect(blueprints.map(\.id.stage) == ["load", "split", "import", "label", "train", "evaluate", "register"])
        let byName = stages(run)
        #expect(byName["import"]?.task == "import")
        #expect(byName["import"]?.inputs == ["source": .file("data/traces.json")])
        #expect(byName["import"]?.params["step"] == "llm_span")
        #expect(byName["label"]?.inputs == ["rows": .stage(id("import"), output: "rows")])
        #expect(byName["train"]?.inputs["rows"] == .stage(id("label"), output: "rows"))
    }

    /// Issue 13: train drops training rows that repeat an eval row, whatever the training set's kind.
    @Test(arguments: [
        TrainingSet.upload(DatasetSource(path: "data/train.csv"), labelled: true),
        .upload(DatasetSource(path: "data/raw.jsonl"), labelled: false), .generate(["count": 10]),
        .importTraces(DatasetSource(path: "data/traces.json")),
    ])
    func trainSeesTheEvalRowsOfEveryTrainingSet(_ training: TrainingSet) {
        let run = ProjectBuilder.makeRun("tox", training: training)
        let blueprints = StageExpansion.blueprints(for: run, in: ProjectBuilder("demo").adding(run).build())
        let train = blueprints.first { $0.id.stage == "train" }
        #expect(train?.inputs["eval"] == .stage(id("split"), output: "eval"))
        #expect(train?.inputs["seeds"] == .stage(id("split"), output: "seeds"))
    }

    @Test func registerFalseStopsAtEvaluate() {
        let run = ProjectBuilder.makeRun("tox", register: false)
        let blueprints = StageExpansion.blueprints(for: run, in: ProjectBuilder("demo").adding(run).build())
        #expect(blueprints.map(\.id.stage) == ["load", "split", "load-training", "train", "evaluate"])
    }

    @Test func customStagesWireAfterAndProducedPaths() throws {
        let run = ProjectBuilder.makeRun(
            "tox",
            stages: [
                ProjectBuilder.stage(
                    "stats", command: "wc -l", inputs: [.path("data/extra.txt")], outputs: ["out/stats.txt"],
                    after: "split"),
                ProjectBuilder.stage(
                    "report", command: "cat",
                    inputs: [.path("out/stats.txt"), .output(stage: "train", output: "model")],
                    outputs: ["out/report.md", "out/figures"]),
            ])
        let byName = stages(run)
        let stats = try #require(byName["stats"])
        #expect(stats.task == "exec")
        #expect(stats.inputs == [
            "data/extra.txt": .file("data/extra.txt"), "split.eval": .stage(id("split"), output: "eval"),
            "split.seeds": .stage(id("split"), output: "seeds"),
        ])
        #expect(stats.outputs == ["out/stats.txt": "out/stats.txt"])
        #expect(stats.params == [
            "command": "wc -l", "directory": "workflows", "outputs": ["out/stats.txt": "out/stats.txt"],
        ])
        let report = try #require(byName["report"])
        #expect(report.inputs == [
            "out/stats.txt": .stage(id("stats"), output: "out/stats.txt"),
            "train.model": .stage(id("train"), output: "model"),
        ])
        #expect(report.upstream == [id("stats"), id("train")])
        #expect(report.outputs == ["out/report.md": "out/report.md", "out/figures": "out/figures"])
    }

    @Test func afterDoesNotDuplicateAnInputAlreadyNamed() throws {
        let run = ProjectBuilder.makeRun(
            "tox",
            stages: [
                ProjectBuilder.stage(
                    "peek", inputs: [.output(stage: "load", output: "rows")], outputs: ["out/peek.txt"], after: "load")
            ])
        #expect(stages(run)["peek"]?.inputs == ["load.rows": .stage(id("load"), output: "rows")])
    }

    @Test func requiredPathsAndModels() {
        let project = ProjectBuilder("demo")
            .run("a", training: ProjectBuilder.upload("data/raw.csv", labelled: false))
            .run("b", testSet: "data/other.csv", training: .generate([:]), baseModel: "tiny")
            .build()
        #expect(RunPlan.requiredPaths(for: [project]) == ["data/other.csv", "data/raw.csv", "data/test.csv"])
        #expect(RunPlan.requiredModels(for: [project]) == ["minilm-l6", "tiny"])
    }
}

/// A custom `task:` stage expands to its task type with its settings and the metric, and `feeds:`
/// re-points the fed stage's input at it.
@Suite("Custom task stages expand")
struct TaskStageExpansionTests {
    @Test("a task stage feeding train.rows: train reads its rows, the rest of the pipeline is unchanged")
    func feedsTrain() throws {
        let dedupe = CustomStage(
            name: "dedupe", task: "near-duplicate-filter", params: ["settings": .object(["similarity": 0.8])],
            inputs: ["rows": .output(stage: "load-training", output: "rows")], outputs: ["rows"],
            feeds: CustomStage.Feed(stage: "train", input: "rows", output: "rows"))
        let run = ProjectBuilder.makeRun("tox", stages: [dedupe])
        let blueprints = StageExpansion.blueprints(for: run, in: ProjectBuilder("demo").adding(run).build())
        let byName = Dictionary(uniqueKeysWithValues: blueprints.map { ($0.id.stage, $0) })
        func id(_ stage: String) -> StageID { StageID(project: "demo", run: "tox", stage: stage) }

        let stage = try #require(byName["dedupe"])
        #expect(stage.task == "near-duplicate-filter")
        #expect(stage.inputs == ["rows": .stage(id("load-training"), output: "rows")])
        #expect(stage.outputs == ["rows": nil])
        #expect(stage.params["settings"] == .object(["similarity": 0.8]))
        #expect(stage.params["metric"]?["input"] == "message")
        let train = try #require(byName["train"])
        #expect(train.inputs["rows"] == .stage(id("dedupe"), output: "rows"))
        #expect(train.inputs["eval"] == .stage(id("split"), output: "eval"))
        // Without the feed, train reads load-training's rows as before.
        var plain = dedupe
        plain.feeds = nil
        let unfed = ProjectBuilder.makeRun("tox", stages: [plain])
        let unfedTrain = try #require(StageExpansion.blueprints(for: unfed, in: ProjectBuilder("demo").adding(unfed).build())
            .first { $0.id.stage == "train" })
        #expect(unfedTrain.inputs["rows"] == .stage(id("load-training"), output: "rows"))
    }
}
