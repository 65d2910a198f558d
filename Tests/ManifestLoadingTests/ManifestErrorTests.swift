import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

@Suite("Mistakes in a manifest")
struct ManifestErrorTests {
    private func load(_ yaml: String, modelsDirectory: URL? = nil) throws -> ManifestLoadResult {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": yaml])
        if let modelsDirectory {
            return ManifestLoader(workspaceRoot: workspace.root, modelsDirectory: modelsDirectory, settings: TestWorkspace.settings)
                .load(manifestAt: "workflows/demo.yaml")
        }
        return workspace.load("demo.yaml")
    }

    private static func run(_ lines: String) -> String {
        """
        project: demo
        providers: { local: { kind: offline } }
        runs:
          r:
        \(lines)
        """
    }

    @Test("a missing required key points at the run that lacks it")
    func missingKey() throws {
        let error = try load(Self.run("""
                metric: toxicity
                training_set: { upload: ../data/support-logs.jsonl }
            """)).onlyError()
        #expect(error.message == "missing required key 'test_set' in 'r'")
        #expect(error.keyPath == "runs.r.test_set")
        #expect(error.location == Basics.SourceLocation(file: "workflows/demo.yaml", line: 4, column: 3))
    }

    @Test("a data file that does not exist is reported at its path, resolved against the manifest")
    func missingFile() throws {
        let error = try load(Self.run("""
                metric: toxicity
                test_set: ../data/tox.csv
                training_set: { upload: ../data/support-logs.jsonl }
            """)).onlyError()
        #expect(error.message == "file not found: data/tox.csv")
        #expect(error.location?.line == 6)
        #expect(error.location?.column == 15)
    }

    @Test("a path that climbs out of the workspace is refused")
    func escapingPath() throws {
        let error = try load(Self.run("""
                metric: toxicity
                test_set: ../../../etc/passwd.csv
                training_set: { upload: ../data/support-logs.jsonl }
            """)).onlyError()
        #expect(error.message == "path escapes the workspace: ../../../etc/passwd.csv")
        #expect(error.keyPath == "runs.r.test_set")
    }

    @Test("an unknown preset gets a did-you-mean")
    func unknownPreset() throws {
        let error = try load(Self.run("""
                metric: toxcity
                test_set: ../data/toxicity-test.csv
                training_set: { upload: ../data/support-logs.jsonl }
            """)).onlyError()
        #expect(error.message == "unknown metric preset 'toxcity'")
        #expect(error.hint == "did you mean 'toxicity'?")
    }

    @Test("a base model missing from the models folder says how to install it, once")
    func modelNotInstalled() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-models-\(UUID().uuidString)")
        let result = try load(
            Self.run("""
                    metric: toxicity
                    test_set: ../data/toxicity-test.csv
                    training_set: { upload: ../data/support-logs.jsonl }
                  s:
                    metric: sexism
                    test_set: ../data/toxicity-test.csv
                    training_set: { upload: ../data/support-logs.jsonl }
                """), modelsDirectory: empty)
        let error = try result.onlyError()
        #expect(error.message == "base model 'minilm-l6' is not installed")
        #expect(error.hint == "install it with: scripts/install-model minilm-l6")
        #expect(error.keyPath == "runs.r.base_model")
    }

    @Test("a categorical metric needs two distinct labels")
    func categoricalLabels() throws {
        let error = try load(Self.run("""
                metric: { name: brand, output: categorical, labels: [only_one], prompt: "On brand?" }
                test_set: ../data/toxicity-test.csv
                training_set: { upload: ../data/support-logs.jsonl }
            """)).onlyError()
        #expect(error.message == "a categorical metric needs at least two distinct labels, found 1")
        #expect(error.keyPath == "runs.r.metric.labels")
    }

    @Test("columns map only canonical fields")
    func unknownColumnField() throws {
        let error = try load(Self.run("""
                metric: toxicity
                test_set: { path: ../data/toxicity-test.csv, columns: { inputs: text } }
                training_set: { upload: ../data/support-logs.jsonl }
            """)).onlyError()
        #expect(error.message == "unknown field 'inputs' in 'columns'")
        #expect(error.hint == "did you mean 'input'?")
        #expect(error.keyPath == "runs.r.test_set.columns.inputs")
    }

    @Test("a training set is exactly one of upload, generate, import")
    func twoTrainingSets() throws {
        let error = try load(Self.run("""
                metric: toxicity
                test_set: ../data/toxicity-test.csv
                training_set: { upload: ../data/support-logs.jsonl, import: ../data/traces.json }
            """)).onlyError()
        #expect(error.message.hasPrefix("a training set takes exactly one of 'upload', 'generate' or 'import'"))
        #expect(error.keyPath == "runs.r.training_set.import")
    }

    @Test("generating rows needs a provider, and a custom metric needs a judge prompt")
    func judgeNeeds() throws {
        let result = try load("""
            project: demo
            runs:
              r:
                metric: { name: brand, output: boolean }
                test_set: ../data/toxicity-test.csv
                training_set: { generate: { count: 10 } }
            """)
        #expect(result.errors.map(\.message) == [
            "metric 'brand' needs a 'prompt': its 'generate' training set is labelled by the judge",
            "the 'generate' training set needs a provider for the judge, and the run has none",
        ])
    }

    @Test("top-level problems: missing runs, a bad project name, an unknown key")
    func topLevel() throws {
        let result = try load("""
            project: Demo Project
            descripton: typo
            """)
        #expect(result.errors.map(\.message) == [
            "missing required key 'runs' in the manifest",
            "invalid project name 'Demo Project': use lowercase letters, digits and '_', '-' (starting with a letter or digit)",
            "unknown key 'descripton' at the top level",
        ])
        #expect(result.errors.last?.hint == "did you mean 'description'?")
    }

    @Test("a literal api_key is refused and its value never appears in the output")
    func literalAPIKey() throws {
        let secret = "sk-live-9f8e7d6c5b4a"
        let result = try load("""
            project: demo
            providers:
              judge: { kind: anthropic, model: claude, api_key: \(secret), max_tokens: many }
            runs: {}
            """)
        #expect(result.errors.map(\.message) == [
            "a provider must not hold a literal API key", "expected an integer, found 'many'",
        ])
        let error = try #require(result.errors.first)
        #expect(error.keyPath == "providers.judge.api_key")
        #expect(error.hint?.contains("api_key_env") == true)
        let rendered = result.diagnostics.rendered()
        #expect(!rendered.contains(secret))
        #expect(!rendered.contains("sk-live"))
        #expect(rendered.contains("  judge: { kind: anthropic, model: claude, api_key: <redacted>"))
        #expect(!ManifestError(diagnostics: result.diagnostics).description.contains(secret))
    }

    @Test("a key pasted into api_key_env is not echoed either")
    func keyInVariableName() throws {
        let secret = "sk-abc:123"
        let result = try load("""
            project: demo
            providers:
              judge: { kind: offline, api_key_env: "\(secret)" }
            runs: {}
            """)
        let error = try result.onlyError()
        #expect(error.message == "api_key_env must be the name of an environment variable, not the key itself")
        #expect(!result.diagnostics.rendered().contains("abc"))
    }

    @Test("every problem in a manifest is reported in one pass")
    func severalAtOnce() throws {
        let result = try load("""
            project: demo
            defaults: { seed: x }
            providers: { p: { kind: nope } }
            runs:
              a:
                metric: toxicty
                test_set: ../data/missing.csv
                training_set: { upload: ../data/support-logs.jsonl }
                train: { epochz: 1 }
              b:
                metric: { preset: tone, labels: [a] }
                test_set: ../data/toxicity-test.csv
                training_set: {}
            """)
        #expect(result.project == nil)
        #expect(result.errors.map(\.keyPath) == [
            "defaults.seed", "providers.p.kind", "runs.a.metric", "runs.a.test_set", "runs.a.train.epochz",
            "runs.b.metric.labels", "runs.b.training_set.upload",
        ])
        #expect(result.errors.map(\.location?.line) == [2, 3, 6, 7, 9, 11, 13])
    }
}
