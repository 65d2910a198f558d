import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

@Suite("Custom stages")
struct StageErrorTests {
    private static func manifest(runs: String) -> String {
        """
        project: demo
        runs:
        \(runs)
        """
    }

    private static func run(_ name: String, stages: String) -> String {
        """
          \(name):
            metric: toxicity
            test_set: ../data/toxicity-test.csv
            training_set: { upload: ../data/support-logs.jsonl }
            stages:
        \(stages)
        """
    }

    @Test("a cycle through after: is one error naming the whole cycle")
    func cycleThroughAfter() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Self.manifest(runs: Self.run("r", stages: """
                  a: { command: "true", after: c }
                  b: { command: "true", after: a }
                  c: { command: "true", after: b }
            """))])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message == "custom stages form a cycle: a → b → c → a")
        #expect(error.keyPath == "runs.r.stages.a")
        #expect(error.location?.line == 8)
    }

    @Test("a cycle through a path one stage writes and another reads, and through @ references")
    func cycleThroughPathsAndReferences() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Self.manifest(runs: Self.run("r", stages: """
                  x: { command: "true", inputs: ["@y.out"], outputs: [../build/x.txt] }
                  y: { command: "true", inputs: [../build/x.txt], outputs: [../build/y.txt] }
            """))])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message == "custom stages form a cycle: x → y → x")
    }

    @Test("a stage reading its own output is a cycle")
    func selfCycle() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Self.manifest(runs: Self.run("r", stages: """
                  x: { command: "true", inputs: [../build/out], outputs: [../build/out] }
            """))])
        #expect(try workspace.load("demo.yaml").onlyError().message == "custom stages form a cycle: x → x")
    }

    @Test("two runs writing one output: the error is at the second, the note names the first")
    func duplicateOutputAcrossRuns() throws {
        let runs = Self.run("one", stages: """
                  export: { command: "true", outputs: [../build/report.txt] }
            """) + "\n" + Self.run("two", stages: """
                  export: { command: "true", outputs: [../build/./report.txt] }
            """)
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Self.manifest(runs: runs)])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message == "output 'build/report.txt' is also written by stage 'export' of run 'one'")
        #expect(error.keyPath == "runs.two.stages.export.outputs[0]")
        #expect(error.location?.line == 14)
        #expect(error.hint == "stage 'export' of run 'one' declares 'build/report.txt' "
            + "(workflows/demo.yaml:8:44, runs.one.stages.export.outputs[0]); give each stage its own output path")
    }

    @Test("an output inside another stage's output folder collides too")
    func nestedOutputs() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Self.manifest(runs: Self.run("r", stages: """
                  a: { command: "true", outputs: [../build] }
                  b: { command: "true", outputs: [../build/b.txt] }
            """))])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message == "output 'build/b.txt' is inside an output of stage 'a' of run 'r'")
    }

    @Test("stages come out sorted by name with inputs resolved; a path written by another stage need not exist")
    func validStages() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Self.manifest(runs: Self.run("r", stages: """
                  report: { command: "cat ../build/a.txt", inputs: [../build/a.txt, "@evaluate.report"], after: evaluate }
                  prepare: { command: "echo hi > ../build/a.txt", outputs: [../build/a.txt] }
            """))])
        let result = workspace.load("demo.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.rendered())")
        let stages = try #require(result.project?.runs.first?.stages)
        #expect(stages.map(\.name) == ["prepare", "report"])
        #expect(stages[1].inputs == [.path("build/a.txt"), .output(stage: "evaluate", output: "report")])
        #expect(stages[1].after == "evaluate")
    }
}
