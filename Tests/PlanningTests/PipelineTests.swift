import Basics
import Foundation
import Planning
import Testing
import WorkflowModel
import _TestSupport

/// The pipeline said once (``WorkflowModel/Pipeline``): well-formed, expanded by ``StageExpansion``
/// as declared, and the docs list what it declares.
@Suite struct PipelineTests {
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }()

    @Test(arguments: TrainingSetShape.allCases, [true, false])
    func everyInputNamesAnEarlierStagesOutput(shape: TrainingSetShape, register: Bool) throws {
        let pipeline = Pipeline.builtin
        let names = pipeline.stageNames(for: shape, register: register)
        #expect(Set(names).count == names.count)
        var earlier: [PipelineStage] = []
        for name in names {
            let stage = try #require(pipeline.stage(named: name), "\(name) is not declared")
            for (input, source) in stage.inputs {
                switch source {
                case .stage(let producer, let output):
                    let made = earlier.first { $0.name == producer }?.outputs ?? []
                    #expect(made.contains(output), "\(name).\(input) reads \(producer).\(output), not made before it")
                case .previous(let output):
                    #expect(earlier.last?.outputs.contains(output) == true, "\(name).\(input): no earlier \(output)")
                case .file(let role):
                    #expect(role == .testSet || shape != .generate, "a generated training set has no file")
                case .baseModel: break
                }
            }
            earlier.append(stage)
        }
        #expect(names.contains("register") == register)
    }

    @Test func everyDeclaredStageRunsInSomeShapeAndNamesAreUnique() {
        let pipeline = Pipeline.builtin
        #expect(Set(pipeline.stageNames).count == pipeline.stageNames.count)
        let used = Set(TrainingSetShape.allCases.flatMap { pipeline.stageNames(for: $0, register: true) })
        #expect(used == Set(pipeline.stageNames))
        #expect(pipeline.stageNames(for: nil, register: true) == pipeline.stageNames)
        #expect(pipeline.stageNames(for: .importTraces, register: false) == [
            "load", "split", "import", "label", "train", "evaluate",
        ])
    }

    /// Each shape's blueprints are the declared stages, wired as declared.
    @Test(arguments: TrainingSetShape.allCases)
    func expansionFollowsTheDeclaration(shape: TrainingSetShape) throws {
        let training: TrainingSet
        switch shape {
        case .labelledUpload: training = ProjectBuilder.upload("data/train.csv")
        case .unlabelledUpload: training = ProjectBuilder.upload("data/raw.csv", labelled: false)
        case .generate: training = .generate(["count": 4])
        case .importTraces: training = .importTraces(DatasetSource(path: "data/traces.jsonl"))
        }
        let run = ProjectBuilder.makeRun("tox", training: training)
        let blueprints = StageExpansion.blueprints(for: run, in: ProjectBuilder("demo").adding(run).build())
        let declared = Pipeline.builtin.stages(for: shape, register: true)
        #expect(blueprints.map(\.id.stage) == declared.map(\.name))
        #expect(blueprints.map(\.task) == declared.map(\.task))
        for (blueprint, stage) in zip(blueprints, declared) {
            #expect(Set(blueprint.inputs.keys) == Set(stage.inputs.keys))
            #expect(Set(blueprint.outputs.keys) == Set(stage.outputs))
            // Every declared param is there (group_by only when the run groups rows).
            #expect(Set(stage.params.keys).subtracting(["group_by"]).isSubset(of: Set(blueprint.params.keys)))
        }
    }

    /// A pipeline with other names and another task expands the same way: nothing in Planning knows
    /// the built-in names.
    @Test func renamedPipelineExpands() throws {
        var pipeline = Pipeline.renamedForTests
        pipeline.stages[0].params = ["role": .constant("test_set"), "path": .datasetPath(.testSet)]
        let run = ProjectBuilder.makeRun("tox", training: .generate(["count": 4, "seed": 9]))
        let blueprints = StageExpansion.blueprints(for: run, in: ProjectBuilder("demo").adding(run).build(), pipeline: pipeline)
        #expect(blueprints.map(\.id.stage) == ["ingest", "partition", "synthesize", "fit", "score", "publish"])
        let byName = Dictionary(uniqueKeysWithValues: blueprints.map { ($0.id.stage, $0) })
        let fit = try #require(byName["fit"])
        #expect(fit.inputs["rows"] == .stage(StageID(project: "demo", run: "tox", stage: "synthesize"), output: "rows"))
        #expect(fit.inputs["base_model"] == .baseModel("minilm-l6"))
        #expect(fit.task == "distill")
        let synthesize = try #require(byName["synthesize"])
        #expect(synthesize.params["count"] == 4)
        #expect(synthesize.params["seed"] == 9)
        #expect(byName["ingest"]?.inputs["source"] == .file("data/test.csv"))
        #expect(byName["ingest"]?.params == ["role": "test_set", "path": "data/test.csv"])
    }

    // MARK: - Docs

    /// The table `Sources/Planning/README.md` holds under "The built-in pipeline".
    static var documentedTable: String {
        let pipeline = Pipeline.builtin
        var lines = [
            "| stage | what it does | task | inputs | outputs | params | in runs with |",
            "|---|---|---|---|---|---|---|",
        ]
        for stage in pipeline.stages {
            let inputs = stage.inputs.sorted { $0.key < $1.key }.map { name, source in
                let from: String
                switch source {
                case .file(.testSet): from = "the test set"
                case .file(.trainingSet): from = "the training set's file"
                case .stage(let producer, let output): from = "`\(producer).\(output)`"
                case .previous(let output): from = "the previous stage's `\(output)`"
                case .baseModel: from = "the base model"
                }
                return "`\(name)` ← \(from)"
            }
            var params = stage.params.keys.sorted().map { "`\($0)`" }
            if stage.takesTrainingSetSettings { params.append("every `generate:` setting") }
            let shapes = TrainingSetShape.allCases.filter { pipeline.branches[$0]?.contains(stage.name) == true }
            let runs =
                stage.onlyWhenRegistering
                ? "`register: true`"
                : shapes.isEmpty ? "every run" : shapes.map { "`\($0.rawValue)`" }.joined(separator: ", ")
            lines.append(
                "| `\(stage.name)` | \(stage.summary) | `\(stage.task)` | \(inputs.joined(separator: ", ")) | "
                    + "\(stage.outputs.map { "`\($0)`" }.joined(separator: ", ")) | \(params.joined(separator: ", ")) | "
                    + "\(runs) |")
        }
        return lines.joined(separator: "\n")
    }

    @Test func planningReadmeTablesThePipeline() throws {
        let readme = try String(
            contentsOf: Self.repositoryRoot.appendingPathComponent("Sources/Planning/README.md"), encoding: .utf8)
        #expect(readme.contains(Self.documentedTable), "Sources/Planning/README.md should hold:\n\(Self.documentedTable)")
    }

    /// README's Concepts row for "stage" names exactly the pipeline's stages.
    @Test func readmeConceptsNameEveryStage() throws {
        let readme = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let row = try #require(readme.split(separator: "\n").first { $0.hasPrefix("| stage |") })
        let named = row.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        #expect(Set(named) == Set(Pipeline.builtin.stageNames))
    }
}
