import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

/// A run's `stages:` entry naming a registered task type (`task: <id>`): checked at load time against
/// what the task type declares (id, settings schema, inputs, outputs), and `feeds:` wiring it in.
@Suite("Custom task stages")
struct TaskStageTests {
    /// A task type like the example's near-duplicate filter: reads `rows`, writes `rows`, two settings.
    static let filter = TaskDeclaration(
        id: "near-duplicate-filter",
        settings: SettingsSchema(section: "settings", paramsKey: "settings", parameters: [
            .init("similarity", .number(.closed(0, 1)), default: .double(0.9), doc: "threshold"),
            .init("threads", .integer(1...64), doc: "worker threads", affectsResults: false),
        ]),
        inputs: ["rows"], outputs: ["rows"])

    private static func manifest(_ stages: String) -> String {
        """
        project: demo
        runs:
          r:
            metric: toxicity
            test_set: ../data/toxicity-test.csv
            training_set: { upload: ../data/support-logs.jsonl }
            stages:
        \(stages)
        """
    }

    private func load(_ stages: String, tasks: [TaskDeclaration] = [Self.filter]) throws -> ManifestLoadResult {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Self.manifest(stages)])
        return workspace.load("demo.yaml", tasks: tasks)
    }

    @Test("a task stage loads: settings kept under the schema's params key, inputs by name, feeds resolved")
    func loads() throws {
        let result = try load("""
                  dedupe:
                    task: near-duplicate-filter
                    inputs: { rows: "@load-training.rows" }
                    settings: { similarity: 0.8, threads: 2 }
                    feeds: train.rows
            """)
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics.rendered())")
        let stage = try #require(result.project?.runs.first?.stages.first)
        #expect(stage.name == "dedupe")
        #expect(stage.work == .task(
            id: "near-duplicate-filter", params: ["settings": .object(["similarity": .double(0.8), "threads": .int(2)])],
            inputs: ["rows": .output(stage: "load-training", output: "rows")]))
        #expect(stage.outputs == ["rows"])
        #expect(stage.feeds == CustomStage.Feed(stage: "train", input: "rows", output: "rows"))
    }

    @Test("an unregistered task type is refused where it is named, with the executable to use")
    func unknownTask() throws {
        let error = try load("""
                  dedupe: { task: near-duplicate-filtre, inputs: { rows: "@load-training.rows" } }
            """).onlyError()
        #expect(error.message == "no task type 'near-duplicate-filtre' is registered in this lunette")
        #expect(error.keyPath == "runs.r.stages.dedupe.task")
        #expect(error.location?.line == 8)
        #expect(error.hint?.contains("did you mean 'near-duplicate-filter'") == true, "\(error.hint ?? "")")

        let plain = try load("""
                  dedupe: { task: near-duplicate-filter, inputs: { rows: "@load-training.rows" } }
            """, tasks: []).onlyError()
        #expect(plain.hint?.contains("lunette-compatible executable that registers it") == true, "\(plain.hint ?? "")")
    }

    @Test("a built-in stage's task type, or exec, is not a custom task")
    func builtinTask() throws {
        let error = try load("""
                  again: { task: train }
            """).onlyError()
        #expect(error.message == "'train' is the task type of a built-in stage; a custom stage names another task type")
        let exec = try load("""
                  again: { task: exec }
            """).onlyError()
        #expect(exec.hint == "write command: <shell command> to run a command")
    }

    @Test("settings go through the task's schema at load time: out of range and unknown keys, located")
    func settingsChecked() throws {
        let result = try load("""
                  dedupe:
                    task: near-duplicate-filter
                    inputs: { rows: "@load-training.rows" }
                    settings: { similarity: 1.5, simlarity: 0.8 }
            """)
        let errors = result.errors
        #expect(errors.count == 2, "\(result.diagnostics.rendered())")
        let range = try #require(errors.first { $0.keyPath == "runs.r.stages.dedupe.settings.similarity" })
        #expect(range.message == "similarity must be between 0 and 1, found 1.5")
        #expect(range.location?.line == 11)
        let unknown = try #require(errors.first { $0.keyPath == "runs.r.stages.dedupe.settings.simlarity" })
        #expect(unknown.hint?.contains("similarity") == true)
    }

    @Test("inputs are the task's declared names: a missing one and an unknown one are errors")
    func inputsChecked() throws {
        let result = try load("""
                  dedupe:
                    task: near-duplicate-filter
                    inputs: { row: "@load-training.rows" }
            """)
        let messages = result.errors.map(\.message)
        #expect(messages.contains { $0.contains("unknown key 'row'") }, "\(messages)")
        #expect(messages.contains { $0.contains("'rows'") && $0.contains("missing") }, "\(messages)")
    }

    @Test("feeds must name an input of a stage of the run; one feeder per input")
    func feedsChecked() throws {
        let noInput = try load("""
                  dedupe: { task: near-duplicate-filter, inputs: { rows: "@load-training.rows" }, feeds: train.row }
            """).onlyError()
        #expect(noInput.message == "stage 'train' has no input 'row'")
        #expect(noInput.hint?.contains("did you mean 'rows'") == true)
        let noStage = try load("""
                  dedupe: { task: near-duplicate-filter, inputs: { rows: "@load-training.rows" }, feeds: trian.rows }
            """).onlyError()
        #expect(noStage.message == "run 'r' has no stage 'trian'")
        let twice = try load("""
                  a: { task: near-duplicate-filter, inputs: { rows: "@load-training.rows" }, feeds: train.rows }
                  b: { task: near-duplicate-filter, inputs: { rows: "@a.rows" }, feeds: train.rows }
            """).onlyError()
        #expect(twice.message == "'train.rows' is already fed by stage 'a'")
        let command = try load("""
                  prep: { command: "true", settings: { x: 1 } }
            """).onlyError()
        #expect(command.message == "'settings' is for a stage that names a task type (task:), not a command")
    }

    @Test("feeding a stage the feeder itself reads from is a cycle through the pipeline")
    func feedCycle() throws {
        let error = try load("""
                  dedupe: { task: near-duplicate-filter, inputs: { rows: "@train.model" }, feeds: split.rows }
            """).onlyError()
        #expect(error.message.hasPrefix("stages form a cycle: "), "\(error.message)")
        #expect(error.message.contains("dedupe") && error.message.contains("train"))
        #expect(error.keyPath == "runs.r.stages.dedupe")
    }

    @Test("a chain of task stages: the second reads the first and feeds train")
    func chain() throws {
        let result = try load("""
                  a: { task: near-duplicate-filter, inputs: { rows: "@load-training.rows" } }
                  b: { task: near-duplicate-filter, inputs: { rows: "@a.rows" }, feeds: train.rows }
            """)
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics.rendered())")
        #expect(result.project?.runs.first?.stages.map(\.name) == ["a", "b"])
    }
}
