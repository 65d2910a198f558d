import Basics
import Execution
import Foundation
import Planning
import TaskInterface
import Testing
import WorkflowModel
import _TestSupport

/// Lifecycle statuses come only from what task types declare: `Execution` knows no stage name and
/// matches no message text.
@Suite struct PipelineLifecycleTests {
    /// Plans `project` expanded from `pipeline` (the harness's planner always uses the built-in one):
    /// every stage runs, file and base-model digests measured now.
    private func plan(_ project: Project, pipeline: Pipeline, in harness: ExecutionHarness) throws -> RunPlan {
        var stages: [PlannedStage] = []
        for run in project.runs {
            for blueprint in StageExpansion.blueprints(for: run, in: project, pipeline: pipeline) {
                var stage = PlannedStage(blueprint: blueprint, version: 1)
                for (name, source) in blueprint.inputs {
                    switch source {
                    case .file(let path): stage.inputDigests[name] = try ContentHash.ofFile(at: harness.temp(path).path).hash
                    case .baseModel: stage.inputDigests[name] = .of("weights")
                    case .stage: break
                    }
                }
                stages.append(stage)
            }
        }
        return RunPlan(stages: stages)
    }

    /// A harness whose `distill` task type (the renamed pipeline's trainer) declares train's statuses.
    private func distillHarness() throws -> ExecutionHarness {
        try ExecutionHarness { registry, recorder in
            registry.register(
                FakeTaskType<FakeTaskIDs.Alpha>(
                    recorder: recorder, pool: "train", statusWhileRunning: .training, statusAfterSuccess: .fineTuned,
                    statusWhenInputProduced: ["rows": .dataReady]),
                as: "distill")
        }
    }

    @Test func renamedStagesGetTheStatusesTheirTaskTypesDeclare() async throws {
        let harness = try distillHarness()
        let project = ProjectBuilder("demo").run("gen", training: .generate(["count": 4])).build()
        let plan = try plan(project, pipeline: .renamedForTests, in: harness)
        #expect(plan.stages.map(\.id.stage) == ["ingest", "partition", "synthesize", "fit", "score", "publish"])
        let report = try await harness.execute(plan, jobs: 1)
        #expect(report.isSuccess)
        #expect(harness.observer.statuses(of: "gen") == [
            .queued, .generatingData, .dataReady, .training, .fineTuned, .registered,
        ])
        #expect(try harness.status("gen")?.status == .registered)
    }

    @Test func renamedUnlabelledUploadIsDataReadyAfterItsAnnotator() async throws {
        let harness = try distillHarness()
        let project = ProjectBuilder("demo")
            .run("raw", training: ProjectBuilder.upload("data/raw.csv", labelled: false), register: false).build()
        let plan = try plan(project, pipeline: .renamedForTests, in: harness)
        #expect(plan.stages.map(\.id.stage) == ["ingest", "partition", "fetch", "annotate", "fit", "score"])
        _ = try await harness.execute(plan, jobs: 1)
        #expect(harness.observer.statuses(of: "raw") == [.queued, .generatingData, .dataReady, .training, .fineTuned])
        #expect(try harness.status("raw")?.status == .fineTuned)
    }

    /// A stage named `train` whose task type declares nothing moves the run nowhere: the name counts for nothing.
    @Test func aStageNameAloneGivesNoStatus() async throws {
        let harness = try ExecutionHarness { registry, recorder in
            registry.register(FakeTaskType<FakeTaskIDs.Train>(recorder: recorder, pool: "train"))
            registry.register(FakeTaskType<FakeTaskIDs.Register>(recorder: recorder))
        }
        _ = try await harness.run([ProjectBuilder("demo").run("tox").build()], jobs: 1)
        #expect(harness.observer.statuses(of: "tox") == [.queued, .dataReady])
        #expect(try harness.status("tox")?.status == .dataReady)
    }

    /// A task type of a library user's, under an id no built-in has, declaring its own statuses.
    @Test func aNewTaskTypeDeclaresItsStatuses() async throws {
        let harness = try ExecutionHarness { registry, recorder in
            registry.register(
                FakeTaskType<FakeTaskIDs.Beta>(recorder: recorder, statusWhileRunning: .training, statusAfterSuccess: .registered),
                as: "publish-remote")
        }
        var pipeline = Pipeline.builtin
        let registerIndex = try #require(pipeline.stages.firstIndex { $0.onlyWhenRegistering })
        pipeline.stages[registerIndex].task = "publish-remote"
        let plan = try plan(ProjectBuilder("demo").run("tox").build(), pipeline: pipeline, in: harness)
        _ = try await harness.execute(plan, jobs: 1)
        #expect(harness.observer.statuses(of: "tox") == [
            .queued, .dataReady, .training, .fineTuned, .training, .registered,
        ])
    }

    /// A failure that is a verdict on the run (its code says so) is the run's reason alone; others
    /// name their stage. The message text decides nothing.
    @Test(arguments: [
        (TaskError.Code.gateNotMet, "macro F1 0.40 < 0.80"),
        (TaskError.Code.failed, "stage register failed: macro F1 0.40 < 0.80"),
    ])
    func runVerdictsAreTypedNotMatched(code: TaskError.Code, reason: String) async throws {
        let harness = try ExecutionHarness { registry, recorder in
            registry.register(
                FakeTaskType<FakeTaskIDs.Register>(
                    recorder: recorder, failingWith: TaskError("macro F1 0.40 < 0.80", code: code)))
        }
        let report = try await harness.run([ProjectBuilder("demo").run("tox").build()], jobs: 1)
        #expect(report.outcome("register")?.failureCode == code)
        let status = try #require(try harness.status("tox"))
        #expect(status.status == .failed)
        #expect(status.reason == reason)
    }

    /// No string literal in `Sources/Execution` is a built-in stage name or task id, or a message's text.
    @Test func executionSourcesNameNoBuiltinStage() throws {
        var folder = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
            folder.deleteLastPathComponent()
        }
        folder.appendPathComponent("Sources/Execution")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        #expect(files.contains("Executor.swift"))
        let forbidden = Set(Pipeline.builtin.stageNames + Pipeline.builtin.stages.map(\.task))
        let literal = try Regex(#""((?:[^"\\]|\\.)*)""#)
        var found: [String] = []
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let code = line.trimmingCharacters(in: .whitespaces).hasPrefix("//") ? "" : String(line)
                for match in code.matches(of: literal) {
                    let value = String(code[match.range].dropFirst().dropLast())
                    if forbidden.contains(value) || value.lowercased().contains("gate") {
                        found.append("\(file): \(value)")
                    }
                }
            }
        }
        #expect(found.isEmpty, "built-in names in Execution: \(found)")
        #expect(forbidden.isSuperset(of: ["generate", "label", "train", "register", "evaluate", "split", "load"]))
    }
}
