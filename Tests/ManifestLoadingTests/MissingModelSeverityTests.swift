import Basics
import Foundation
import ManifestLoading
import Testing

/// `lunette check` loads manifests with a base model that is not installed as a warning, not an error.
@Suite struct MissingModelSeverityTests {
    @Test("with missingModelSeverity .warning a missing base model is one located warning, and the project loads")
    func missingModelIsAWarningForCheck() throws {
        let workspace = try TestWorkspace(manifests: ["demo.yaml": Manifest.withRun("    base_model: minilm-l6")])
        let empty = workspace.root.appendingPathComponent("no-models")
        let loader = ManifestLoader(workspaceRoot: workspace.root, modelsDirectory: empty, missingModelSeverity: .warning)
        let result = loader.load(manifestAt: "workflows/demo.yaml")
        #expect(result.project?.runs.map(\.baseModel) == ["minilm-l6"])
        #expect(!result.diagnostics.hasErrors)
        let warning = try #require(result.diagnostics.only)
        #expect(warning.severity == .warning)
        #expect(warning.message == "base model 'minilm-l6' is not installed: its digest is taken from the lock")
        #expect(warning.hint == "to run or verify stages, install it with: scripts/install-model minilm-l6 "
            + "(or set LUNETTE_MODELS to the folder that holds it)")
        #expect(warning.keyPath == "runs.r.base_model")
        #expect(warning.location?.line == 11)

        let strict = ManifestLoader(workspaceRoot: workspace.root, modelsDirectory: empty).load(manifestAt: "workflows/demo.yaml")
        #expect(strict.project == nil)
        #expect(try strict.onlyError().message == "base model 'minilm-l6' is not installed")
    }
}

extension Array {
    /// The single element, or nil.
    fileprivate var only: Element? { count == 1 ? first : nil }
}
