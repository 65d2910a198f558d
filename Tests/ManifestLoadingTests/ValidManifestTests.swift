import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

@Suite("A valid manifest")
struct ValidManifestTests {
    @Test("loads into exact Project values: defaults applied, paths resolved, runs sorted")
    func fullManifest() throws {
        let workspace = try TestWorkspace(fixtures: ["valid"])
        let result = workspace.load("support.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.rendered())")
        let project = try #require(result.project)

        let tone = try #require(MetricPreset.named("tone")).metric
        var toneSupport = tone
        toneSupport.name = "tone_support"
        let expected = Project(
            name: "customer-support", description: "Metrics for the support drafting assistant.",
            manifestPath: "workflows/support.yaml",
            providers: [
                "local": ProviderSpec(
                    name: "local", kind: "openai-compatible",
                    settings: [
                        "base_url": "http://127.0.0.1:8080/v1", "model": "qwen2.5-0.5b-instruct",
                        "api_key_env": "LOCAL_LLM_KEY", "max_concurrency": 4, "temperature": 0.2,
                    ]),
                "offline": ProviderSpec(name: "offline", kind: "offline"),
            ],
            runs: [
                Run(
                    name: "brand-voice",
                    metric: Metric(
                        name: "brand_voice",
                        prompt: "Does the response keep the brand's friendly tone? Answer on_brand or off_brand.",
                        output: .categorical, labels: ["on_brand", "off_brand"], input: .inputOutput),
                    testSet: DatasetSource(
                        path: "data/brand-voice-test.jsonl",
                        columns: ["input": "question", "output": "answer", "label": "verdict"]),
                    trainingSet: .upload(DatasetSource(path: "data/support-logs.jsonl"), labelled: false),
                    train: ["epochs": 3, "learning_rate": 2.0e-5, "mode": "full", "batch_size": 16, "max_tokens": 128],
                    gate: ["min_f1": 0.8, "min_auc": 0.9], seed: 11, provider: "offline", register: false,
                    seedFraction: 0.25,
                    stages: [
                        CustomStage(
                            name: "clean",
                            command: "sh ../scripts/clean.sh ../data/support-logs.jsonl ../build/clean.jsonl",
                            inputs: [.path("scripts/clean.sh"), .output(stage: "load-training", output: "rows")],
                            outputs: ["build/clean.jsonl"], after: "load-training"),
                        CustomStage(
                            name: "summarize", command: "wc -l ../build/clean.jsonl > ../build/summary.txt",
                            inputs: [.path("build/clean.jsonl")], outputs: ["build/summary.txt"], after: "clean"),
                    ]),
                Run(
                    name: "tone.v2", metric: toneSupport,
                    testSet: DatasetSource(path: "data/tone-test.csv", columns: ["input": "text", "label": "rating"]),
                    trainingSet: .importTraces(DatasetSource(path: "data/traces.json")),
                    train: ["epochs": 3, "learning_rate": 2.0e-5], gate: ["min_f1": 0.7], seed: 7, provider: "local"),
                Run(
                    name: "toxicity-v1", metric: try #require(MetricPreset.named("toxicity")).metric,
                    testSet: DatasetSource(path: "data/toxicity-test.csv"),
                    trainingSet: .generate([
                        "count": 200, "review_sample": 20, "label_distribution": ["false": 3, "true": 1],
                    ]),
                    train: ["epochs": 3, "learning_rate": 2.0e-5], gate: ["min_f1": 0.7], seed: 7, provider: "local"),
            ])
        #expect(project.withoutLocations == expected)
    }

    @Test("records where runs, stages, data files and providers are declared")
    func locations() throws {
        let workspace = try TestWorkspace(fixtures: ["valid"])
        let project = try #require(workspace.load("support.yaml").project)
        func at(_ line: Int, _ column: Int) -> Basics.SourceLocation {
            Basics.SourceLocation(file: "workflows/support.yaml", line: line, column: column)
        }
        let brand = try #require(project.run(named: "brand-voice"))
        #expect(brand.location == at(25, 3))
        #expect(brand.testSet.location == at(33, 13))
        #expect(brand.stages.map(\.location) == [at(48, 7), at(43, 7)])
        #expect(project.run(named: "tone.v2")?.testSet.location == at(55, 23))
        #expect(project.providers["offline"]?.location == at(18, 3))
        #expect(project.lockPath == "workflows/support.lock")
    }

    @Test("a merge key brings in an anchored mapping; keys written beside it win")
    func mergeKeys() throws {
        let valid = try TestWorkspace(manifests: ["m.yaml": """
            project: demo
            defaults: { provider: local, train: &base { epochs: 2, batch_size: 8 } }
            providers: { local: { kind: offline } }
            runs:
              r:
                metric: toxicity
                test_set: ../data/toxicity-test.csv
                training_set: { upload: ../data/support-logs.jsonl }
                train: { <<: *base, epochs: 5 }
            """])
        let result = valid.load("m.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.rendered())")
        #expect(result.project?.runs.first?.train == ["epochs": 5, "batch_size": 8])
    }

    @Test("built-in defaults: minilm-l6, seed 42, register, 20% seeds, no provider for labelled uploads")
    func builtInDefaults() throws {
        let workspace = try TestWorkspace(manifests: ["m.yaml": """
            project: plain
            runs:
              only:
                metric: sexism
                test_set: ../data/toxicity-test.csv
                training_set: { upload: ../data/support-logs.jsonl }
            """])
        let run = try #require(workspace.load("m.yaml").project?.runs.first)
        #expect(run.baseModel == "minilm-l6")
        #expect(run.seed == 42)
        #expect(run.register)
        #expect(run.seedFraction == 0.2)
        #expect(run.provider == nil)
        #expect(run.train.isEmpty && run.gate.isEmpty && run.stages.isEmpty)
        #expect(run.metric.labels == ["false", "true"])
    }

    @Test("class_weights label → weight is kept as written (the train stage reads it by label), from defaults too")
    func classWeightsInLabelOrder() throws {
        let workspace = try TestWorkspace(manifests: ["m.yaml": """
            project: plain
            defaults: { train: { class_weights: { "true": 3, "false": 1 } } }
            runs:
              own:
                metric: sexism
                test_set: ../data/toxicity-test.csv
                training_set: { upload: ../data/support-logs.jsonl }
                train: { class_weights: { "true": 2.5, "false": 0.5 } }
              inherited:
                metric: sexism
                test_set: ../data/toxicity-test.csv
                training_set: { upload: ../data/support-logs.jsonl }
              listed:
                metric: sexism
                test_set: ../data/toxicity-test.csv
                training_set: { upload: ../data/support-logs.jsonl }
                train: { class_weights: [1, 4] }
            """])
        let result = workspace.load("m.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.rendered())")
        let weights: [JSONValue] = try #require(result.project).runs.map { $0.train["class_weights"] ?? .null }
        #expect(weights == [["true": 3, "false": 1], [1, 4], ["true": 2.5, "false": 0.5]])  // inherited, listed, own
    }

    /// Review of issue 14: a list in `defaults` (labels unknown there) reached the train stage unchecked.
    @Test func aClassWeightListInDefaultsMustFitEachRunsLabels() throws {
        let workspace = try TestWorkspace(manifests: ["m.yaml": """
            project: plain
            defaults: { train: { class_weights: [1, 2, 3] } }
            runs:
              fits:
                metric: { name: tone, output: categorical, labels: [calm, rude, neutral] }
                test_set: ../data/toxicity-test.csv
                training_set: { upload: ../data/support-logs.jsonl }
              wrong:
                metric: sexism
                test_set: ../data/toxicity-test.csv
                training_set: { upload: ../data/support-logs.jsonl }
            """])
        let result = workspace.load("m.yaml")
        let errors = result.diagnostics.filter(\.isError)
        #expect(errors.count == 1, "\(result.diagnostics.rendered())")
        #expect(errors.first?.message == "class_weights lists 3 weights for 2 labels (set in defaults.train)")
        #expect(errors.first?.keyPath == "runs.wrong.train.class_weights")
    }
}

extension Project {
    /// The project with every recorded location cleared, to compare values alone.
    var withoutLocations: Project {
        var copy = self
        copy.providers = providers.mapValues { var p = $0; p.location = nil; return p }
        copy.runs = runs.map { run in
            var run = run
            run.location = nil
            run.testSet.location = nil
            switch run.trainingSet {
            case .upload(var source, let labelled):
                source.location = nil
                run.trainingSet = .upload(source, labelled: labelled)
            case .importTraces(var source):
                source.location = nil
                run.trainingSet = .importTraces(source)
            case .generate: break
            }
            run.stages = run.stages.map { var s = $0; s.location = nil; return s }
            return run
        }
        return copy
    }
}
