import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

/// `split: {seed_fraction, group_by}` in a run and in `defaults`.
@Suite("split settings")
struct SplitSettingsTests {
    /// A project with runs `a` and `b`; `defaults` and each run's extra lines as given.
    static func manifest(defaults: String = "", a: String = "", b: String = "") -> String {
        """
        project: demo
        providers:
          local: { kind: offline }
        defaults:
          provider: local
        \(defaults)
        runs:
          a:
            metric: toxicity
            test_set: ../data/toxicity-test.csv
            training_set: { upload: ../data/support-logs.jsonl }
        \(a)
          b:
            metric: toxicity
            test_set: ../data/toxicity-test.csv
            training_set: { upload: ../data/support-logs.jsonl }
        \(b)
        """
    }

    func runs(_ yaml: String) throws -> [String: Run] {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": yaml])
        let result = workspace.load("demo.yaml")
        #expect(result.errors.isEmpty, "\(result.diagnostics.rendered())")
        let project = try #require(result.project)
        return Dictionary(uniqueKeysWithValues: project.runs.map { ($0.name, $0) })
    }

    @Test func groupByIsReadFromARun() throws {
        let runs = try runs(Self.manifest(a: "    split: { group_by: conversation_id, seed_fraction: 0.3 }"))
        #expect(runs["a"]?.groupBy == "conversation_id")
        #expect(runs["a"]?.seedFraction == 0.3)
        #expect(runs["b"]?.groupBy == nil)
        #expect(runs["b"]?.seedFraction == 0.2)
    }

    @Test func defaultsApplyKeyByKeyAndARunsOwnKeyWins() throws {
        let runs = try runs(
            Self.manifest(
                defaults: "  split: { group_by: conversation_id, seed_fraction: 0.25 }",
                a: "    split: { group_by: prompt_id }"))
        #expect(runs["a"]?.groupBy == "prompt_id")
        #expect(runs["a"]?.seedFraction == 0.25)
        #expect(runs["b"]?.groupBy == "conversation_id")
        #expect(runs["b"]?.seedFraction == 0.25)
    }

    @Test func aBadDefaultIsOneLocatedError() throws {
        let workspace = try TestWorkspace(
            manifests: ["demo.yaml": Self.manifest(defaults: "  split: { group_by: {column: x} }")])
        let result = workspace.load("demo.yaml")
        #expect(result.project == nil)
        let error = try result.onlyError()
        #expect(error.message == "expected a string, found a mapping")
        #expect(error.keyPath == "defaults.split.group_by")
        #expect(error.location == Basics.SourceLocation(file: "workflows/demo.yaml", line: 6, column: 22))
    }
}
