import Basics
import Foundation
import ManifestLoading
import TaskInterface
import TaskTypes
import Testing
import WorkflowModel

/// A temporary workspace built from `Fixtures/`, removed when the test ends.
final class TestWorkspace {
    let root: URL

    /// Copies `Fixtures/workspace` (data files, scripts, an installed model) and then each extra fixture
    /// folder (`valid`, `bad`: their `workflows/`) over it, and writes `manifests` (file name → YAML text)
    /// into `workflows/`.
    init(fixtures extra: [String] = [], manifests: [String: String] = [:]) throws {
        let fileManager = FileManager.default
        root = fileManager.temporaryDirectory.appendingPathComponent("lunette-manifest-\(UUID().uuidString)")
        let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        for name in ["workspace"] + extra {
            try Self.copyContents(of: fixtures.appendingPathComponent(name), into: root)
        }
        let workflows = root.appendingPathComponent("workflows")
        try fileManager.createDirectory(at: workflows, withIntermediateDirectories: true)
        for (name, text) in manifests {
            try Data(text.utf8).write(to: workflows.appendingPathComponent(name))
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// A loader for this workspace, with the built-in task types' settings schemas; the fixture's
    /// `models/` folder holds an installed `minilm-l6`.
    var loader: ManifestLoader {
        ManifestLoader(workspaceRoot: root, modelsDirectory: root.appendingPathComponent("models"), settings: Self.settings)
    }

    /// The built-in task types' settings schemas by section, as `Workspace` passes them.
    static let settings = TaskTypeRegistry.builtin.settingsBySection

    /// Loads `workflows/<name>`.
    func load(_ name: String) -> ManifestLoadResult { loader.load(manifestAt: "workflows/" + name) }

    /// Loads `name` with `tasks` registered beside the built-in task types (`task:` stages).
    func load(_ name: String, tasks: [TaskDeclaration]) -> ManifestLoadResult {
        var declarations = TaskTypeRegistry.builtin.declarations
        for task in tasks { declarations[task.id] = task }
        return ManifestLoader(
            workspaceRoot: root, modelsDirectory: root.appendingPathComponent("models"), settings: Self.settings,
            tasks: declarations
        ).load(manifestAt: "workflows/" + name)
    }

    private static func copyContents(of source: URL, into destination: URL) throws {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: destination, withIntermediateDirectories: true)
        for item in try fileManager.contentsOfDirectory(atPath: source.path) {
            let from = source.appendingPathComponent(item)
            let to = destination.appendingPathComponent(item)
            var isDirectory: ObjCBool = false
            _ = fileManager.fileExists(atPath: from.path, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                try copyContents(of: from, into: to)
            } else {
                try? fileManager.removeItem(at: to)
                try fileManager.copyItem(at: from, to: to)
            }
        }
    }
}

/// A run in a small valid manifest, to which one test adds a mistake.
enum Manifest {
    /// A valid manifest with one run `r`; `run` lines are appended to that run (indent them by 4).
    static func withRun(_ run: String = "", top: String = "") -> String {
        """
        project: demo
        providers:
          local: { kind: offline }
        defaults: { provider: local }
        \(top)
        runs:
          r:
            metric: toxicity
            test_set: ../data/toxicity-test.csv
            training_set: { upload: ../data/support-logs.jsonl }
        \(run)
        """
    }
}

extension ManifestLoadResult {
    /// The error diagnostics.
    var errors: [Diagnostic] { diagnostics.filter(\.isError) }

    /// The only error, failing the test when there is not exactly one.
    func onlyError(sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Diagnostic {
        let errors = self.errors
        #expect(errors.count == 1, "expected one error, got:\n\(diagnostics.rendered())", sourceLocation: sourceLocation)
        return try #require(errors.first, sourceLocation: sourceLocation)
    }
}
