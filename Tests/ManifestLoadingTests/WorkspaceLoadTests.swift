import Basics
import Foundation
import ManifestLoading
import Testing
import WorkflowModel

@Suite("Loading every manifest of a workspace")
struct WorkspaceLoadTests {
    private static func manifest(project: String, output: String) -> String {
        """
        project: \(project)
        runs:
          r:
            metric: toxicity
            test_set: ../data/toxicity-test.csv
            training_set: { upload: ../data/support-logs.jsonl }
            stages:
              export: { command: "true", outputs: [\(output)] }
        """
    }

    @Test("loads .yaml and .yml manifests in name order")
    func loadsAll() throws {
        let workspace = try TestWorkspace(fixtures: ["valid"], manifests: [
            "alpha.yml": Self.manifest(project: "alpha", output: "../build/alpha.txt"),
        ])
        let result = workspace.loader.loadAll()
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.rendered())")
        #expect(result.projects.map(\.name) == ["alpha", "customer-support"])
        #expect(result.projects.map(\.manifestPath) == ["workflows/alpha.yml", "workflows/support.yaml"])
        #expect(try result.get().count == 2)
    }

    @Test("two manifests with one project name, and two projects writing one output")
    func crossManifestConflicts() throws {
        let workspace = try TestWorkspace(manifests: [
            "a.yaml": Self.manifest(project: "same", output: "../build/shared.txt"),
            "b.yaml": Self.manifest(project: "same", output: "../build/shared.txt"),
            "c.yaml": Self.manifest(project: "other", output: "../build/c.txt"),
        ])
        let result = workspace.loader.loadAll()
        #expect(result.projects.isEmpty)
        #expect(result.diagnostics.map(\.message) == [
            "project 'same' is already declared in workflows/a.yaml",
            "output 'build/shared.txt' is also written by stage 'export' of run 'r' in project 'same'",
        ])
        #expect(result.diagnostics.map(\.location?.file) == ["workflows/b.yaml", "workflows/b.yaml"])
        #expect(result.diagnostics.first?.keyPath == "project")
        #expect(result.diagnostics.first?.sourceLine == "project: same")
        #expect(throws: ManifestError.self) { try result.get() }
    }

    @Test("one bad manifest keeps every project from loading, and its errors are all reported")
    func oneBadManifest() throws {
        let workspace = try TestWorkspace(fixtures: ["valid"], manifests: ["broken.yaml": "project: broken\n"])
        let result = workspace.loader.loadAll()
        #expect(result.projects.isEmpty)
        #expect(result.diagnostics.map(\.message) == ["missing required key 'runs' in the manifest"])
    }

    @Test("an empty workspace is a warning, not an error")
    func noManifests() throws {
        let workspace = try TestWorkspace()
        let result = workspace.loader.loadAll()
        #expect(result.projects.isEmpty)
        #expect(result.diagnostics.map(\.severity) == [.warning])
    }
}

@Suite("Rendered diagnostics")
struct SnapshotTests {
    @Test("the full text for a manifest with many mistakes matches Snapshots/bad.diag.txt")
    func badManifest() throws {
        let workspace = try TestWorkspace(fixtures: ["bad"])
        let result = workspace.load("bad.yaml")
        #expect(result.project == nil)
        let text = ManifestError(diagnostics: result.diagnostics).description + "\n"
        #expect(!text.contains("sk-live"))
        try assertSnapshot(text, named: "bad.diag.txt")
    }
}

@Suite("Metric presets")
struct MetricPresetTests {
    @Test("the catalog has every preset the manifest reference lists, each with a judge prompt")
    func catalog() throws {
        #expect(MetricPreset.names == [
            "toxicity", "sexism", "prompt_injection", "pii", "tone", "instruction_adherence", "context_adherence",
            "context_relevance", "chunk_relevance", "completeness", "tool_selection_quality", "tool_error_rate",
            "action_advancement", "action_completion",
        ])
        for preset in MetricPreset.catalog {
            #expect(preset.metric.name == preset.name && preset.metric.preset == preset.name)
            #expect((preset.metric.prompt?.count ?? 0) > 100, "\(preset.name) needs a real judge prompt")
            #expect(preset.metric.prompt?.contains("Answer with") == true)
        }
        let tone = try #require(MetricPreset.named("tone")).metric
        #expect(tone.output == .categorical && tone.labels.count == 9 && tone.input == .output)
        #expect(MetricPreset.named("chunk_relevance")?.metric.step == .retriever)
        #expect(MetricPreset.named("action_completion")?.metric.input == .session)
        #expect(MetricPreset.named("nope") == nil)
    }
}
