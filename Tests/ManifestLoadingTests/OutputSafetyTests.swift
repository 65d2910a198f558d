import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

/// A stage's declared outputs are deleted before its command runs, so an output that is, contains or lies
/// inside the workspace's own files or anything the project reads would destroy it. Each is refused at
/// load, at the output's own line and column (issue #14, item 2); so are two manifests sharing one lock
/// (item 8).
@Suite("Outputs that would delete what the workspace keeps or reads")
struct OutputSafetyTests {
    /// One output declared by stage `s` of run `r`, on line 12 of ``Manifest/withRun(_:top:)``.
    struct Case: CustomTestStringConvertible, Sendable {
        let output: String
        let message: String
        var testDescription: String { output }
    }

    static let hint = "a stage's outputs are deleted before it runs: declare a path only this stage writes, "
        + "e.g. ../build/<stage>/"

    static let cases: [Case] = [
        Case(output: ".", message: "output 'workflows' is the workspace's workflows/ folder (its manifests and locks)"),
        Case(output: "demo.lock",
             message: "output 'workflows/demo.lock' is inside the workspace's workflows/ folder (its manifests and locks)"),
        Case(output: "../workflows/t.lock",
             message: "output 'workflows/t.lock' is inside the workspace's workflows/ folder (its manifests and locks)"),
        Case(output: "../workflows/./demo.yaml",
             message: "output 'workflows/demo.yaml' is inside the workspace's workflows/ folder (its manifests and locks)"),
        Case(output: "..", message: "output '..' is the workspace root"),
        Case(output: "../cache",
             message: "output 'cache' is the workspace's cache/ folder (its store, registry and results)"),
        Case(output: "../build/../cache/objects",
             message: "output 'cache/objects' is inside the workspace's cache/ folder (its store, registry and results)"),
        Case(output: "../.git", message: "output '.git' is the workspace's git repository (.git)"),
        Case(output: "../models/minilm-l6", message: "output 'models/minilm-l6' is inside the base models folder 'models'"),
        Case(output: "../data",
             message: "output 'data' contains 'data/toxicity-test.csv', which runs.r.test_set reads"),
        Case(output: "../data/toxicity-test.csv", message: "output 'data/toxicity-test.csv' is read by runs.r.test_set"),
        Case(output: "../data/support-logs.jsonl",
             message: "output 'data/support-logs.jsonl' is read by runs.r.training_set.upload"),
    ]

    @Test("an output over the workspace's own files or the run's data is refused where it is written", arguments: cases)
    func refused(_ item: Case) throws {
        let line = "      s: { command: \"true\", outputs: [\"\(item.output)\"] }"
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Manifest.withRun("    stages:\n" + line)])
        let result = workspace.load("demo.yaml")
        #expect(result.project == nil)
        let error = try result.onlyError()
        #expect(error.message == item.message)
        #expect(error.keyPath == "runs.r.stages.s.outputs[0]")
        #expect(error.location == Basics.SourceLocation(file: "workflows/demo.yaml", line: 12, column: 39))
        #expect(error.sourceLine == line)
        #expect(error.hint?.hasSuffix(Self.hint) == true)
    }

    @Test("an output inside a folder another stage reads is refused; one that stage depends on is not")
    func insideAnInputFolder() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Manifest.withRun("""
                stages:
                  a: { command: "true", inputs: [../scripts] }
                  b: { command: "true", outputs: [../scripts/gen.sh] }
                  c: { command: "true", outputs: [../build/c.txt] }
                  d: { command: "true", inputs: [../build/c.txt], outputs: [../build/d.txt] }
            """)])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message == "output 'scripts/gen.sh' is inside 'scripts', which runs.r.stages.a.inputs[0] reads")
        #expect(error.keyPath == "runs.r.stages.b.outputs[0]")
        #expect(error.hint == "runs.r.stages.a.inputs[0] (workflows/demo.yaml:12:38) reads 'scripts', and " + Self.hint)
    }

    @Test("a hand-written input inside the output of a stage it does not run after is refused, at the input")
    func inputInsideAnUnorderedOutput() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Manifest.withRun("""
                stages:
                  a: { command: "sh ../scripts/clean.sh", inputs: [../scripts/clean.sh] }
                  b: { command: "true", outputs: [../scripts] }
            """)])
        let result = workspace.load("demo.yaml")
        #expect(result.project == nil)
        let error = try result.onlyError()
        #expect(error.message == "input 'scripts/clean.sh' is inside 'scripts', an output of stage 'b' of run 'r', "
            + "which stage 'a' of run 'r' does not run after")
        #expect(error.keyPath == "runs.r.stages.a.inputs[0]")
        #expect(error.location == Basics.SourceLocation(file: "workflows/demo.yaml", line: 12, column: 56))
        #expect(error.sourceLine == "      a: { command: \"sh ../scripts/clean.sh\", inputs: [../scripts/clean.sh] }")
        #expect(error.hint == "stage 'b' deletes its outputs before it runs: add `after: b` to stage 'a', "
            + "or move the file out of b's output 'scripts'")
    }

    @Test("reading inside another stage's output is fine when the reader runs after it, through after:, @ or a path")
    func inputInsideAnUpstreamOutput() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Manifest.withRun("""
                stages:
                  a: { command: "true", inputs: [../scripts/clean.sh], after: b }
                  b: { command: "true", outputs: [../scripts] }
                  c: { command: "true", outputs: [../build/c, ../build/c.txt] }
                  d: { command: "true", inputs: [../build/c.txt, ../build/c/one.txt], outputs: [../build/d.txt] }
                  e: { command: "true", inputs: [../build/c/two.txt], after: d }
                  f: { command: "true", inputs: ["@d.build/d.txt", ../build/c/three.txt] }
            """)])
        let result = workspace.load("demo.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.rendered())")
        #expect(result.project?.runs.first?.stages.map(\.name) == ["a", "b", "c", "d", "e", "f"])
    }

    @Test("a file inside a folder output orders nothing: reading it without after: is refused")
    func folderOutputDoesNotOrder() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Manifest.withRun("""
                stages:
                  gen: { command: "true", outputs: [../build/gen] }
                  use: { command: "true", inputs: [../build/gen/data.csv] }
            """)])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message == "input 'build/gen/data.csv' is inside 'build/gen', an output of stage 'gen' of run 'r', "
            + "which stage 'use' of run 'r' does not run after")
        #expect(error.hint?.hasSuffix("add `after: gen` to stage 'use', or move the file out of gen's output 'build/gen'")
            == true)
    }

    @Test("an input another run's stage writes is refused: runs do not wait for each other")
    func inputWrittenByAnotherRun() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Manifest.withRun("""
                stages:
                  export: { command: "true", outputs: [../build/report.txt] }
              other:
                metric: toxicity
                test_set: ../data/toxicity-test.csv
                training_set: { upload: ../data/support-logs.jsonl }
                stages:
                  read: { command: "true", inputs: [../build/report.txt] }
            """)])
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message == "input 'build/report.txt' is an output of stage 'export' of run 'r', "
            + "which stage 'read' of run 'other' does not run after")
        #expect(error.keyPath == "runs.other.stages.read.inputs[0]")
        #expect(error.hint == "stage 'export' deletes its outputs before it runs: stages of other runs do not wait "
            + "for it: move the file out of export's output 'build/report.txt', or read it from a stage of run 'r' "
            + "with `after: export`")
    }

    @Test("an input inside another manifest's output is refused by loadAll, at the input")
    func inputInsideAnotherManifestsOutput() throws {
        let workspace = try TestWorkspace(manifests: [
            "a.yaml": Manifest.withRun("""
                    stages:
                      s: { command: "true", outputs: [../scripts] }
                """).replacingOccurrences(of: "project: demo", with: "project: a"),
            "b.yaml": Manifest.withRun("""
                    stages:
                      t: { command: "true", inputs: [../scripts/clean.sh] }
                """).replacingOccurrences(of: "project: demo", with: "project: b"),
        ])
        #expect(workspace.load("a.yaml").errors.isEmpty)
        #expect(workspace.load("b.yaml").errors.isEmpty)
        let result = workspace.loader.loadAll()
        #expect(result.projects.isEmpty)
        let error = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1, "\(result.diagnostics.rendered())")
        #expect(error.message == "input 'scripts/clean.sh' is inside 'scripts', an output of stage 's' of run 'r' "
            + "in project 'a', which stage 't' of run 'r' does not run after")
        #expect(error.location?.file == "workflows/b.yaml")
        #expect(error.hint?.contains("stages of other projects do not wait for it") == true)
    }

    @Test("the bundled manifests (workflows/, examples/workflows/) load with no error")
    func bundledManifests() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for root in [repository, repository.appendingPathComponent("examples")] {
            let result = ManifestLoader(workspaceRoot: root, modelsDirectory: nil).loadAll()
            #expect(!result.projects.isEmpty, "\(root.path)")
            #expect(result.diagnostics.filter(\.isError).isEmpty, "\(result.diagnostics.rendered())")
        }
    }

    @Test("an output through a symlink that stays in the workspace but lands in cache/ is refused")
    func throughSymlinkIntoCache() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Manifest.withRun("""
                stages:
                  s: { command: "true", outputs: [../build/objects] }
            """)])
        try FileManager.default.createDirectory(
            at: workspace.root.appendingPathComponent("cache"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: workspace.root.appendingPathComponent("build").path, withDestinationPath: "cache")
        let error = try workspace.load("demo.yaml").onlyError()
        #expect(error.message
            == "output 'build/objects' is inside the workspace's cache/ folder (its store, registry and results)")
    }

    @Test("the configured cache folder (LUNETTE_CACHE) is protected like cache/")
    func configuredCacheFolder() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Manifest.withRun("""
                stages:
                  s: { command: "true", outputs: [../shared-cache/index] }
            """)])
        let loader = ManifestLoader(
            workspaceRoot: workspace.root, modelsDirectory: workspace.root.appendingPathComponent("models"),
            cacheDirectory: workspace.root.appendingPathComponent("shared-cache"))
        let error = try loader.load(manifestAt: "workflows/demo.yaml").onlyError()
        #expect(error.message == "output 'shared-cache/index' is inside the cache folder (LUNETTE_CACHE) 'shared-cache'")
    }

    @Test("an output another manifest reads as its test set is refused by loadAll, on the writing manifest")
    func readByAnotherManifest() throws {
        let workspace = try TestWorkspace(manifests: [
            "a.yaml": Manifest.withRun("""
                    stages:
                      s: { command: "true", outputs: [../data/tone-test.csv] }
                """).replacingOccurrences(of: "project: demo", with: "project: a"),
            "b.yaml": Manifest.withRun().replacingOccurrences(of: "project: demo", with: "project: b")
                .replacingOccurrences(of: "toxicity-test.csv", with: "tone-test.csv"),
        ])
        #expect(workspace.load("a.yaml").errors.isEmpty)
        let result = workspace.loader.loadAll()
        #expect(result.projects.isEmpty)
        let error = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1, "\(result.diagnostics.rendered())")
        #expect(error.message == "output 'data/tone-test.csv' is read by runs.r.test_set")
        #expect(error.location?.file == "workflows/a.yaml")
        #expect(error.hint?.hasPrefix("runs.r.test_set (workflows/b.yaml:9:15) reads") == true)
    }

    @Test("t.yaml and t.yml would share workflows/t.lock: refused, naming both")
    func sameStem() throws {
        let workspace = try TestWorkspace(manifests: [
            "t.yaml": Manifest.withRun().replacingOccurrences(of: "project: demo", with: "project: one"),
            "t.yml": Manifest.withRun().replacingOccurrences(of: "project: demo", with: "project: two"),
        ])
        let result = workspace.loader.loadAll()
        #expect(result.projects.isEmpty)
        let error = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1, "\(result.diagnostics.rendered())")
        #expect(error.message == "manifests workflows/t.yaml and workflows/t.yml would share the lock workflows/t.lock")
        #expect(error.location == Basics.SourceLocation(file: "workflows/t.yml", line: 1, column: 1))
        #expect(error.hint == "each manifest's results are kept in workflows/<file name>.lock: rename or remove one of them")
    }
}
