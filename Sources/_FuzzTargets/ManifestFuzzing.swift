import Basics
import Foundation
import ManifestLoading
import TaskInterface
import TaskTypes
import WorkflowModel

/// The ``FuzzTarget/manifest`` target: the input is loaded as `workflows/fuzz.yaml`.
///
/// Invariants: a project comes back exactly when no diagnostic is an error; every diagnostic
/// renders to text that holds its message; and every path of a loaded project is
/// workspace-relative and, with symlinks followed, stays inside the workspace.
enum ManifestFuzzing {
    static let manifestPath = "workflows/fuzz.yaml"

    static func run(_ data: Data, in sandbox: FuzzSandbox) throws -> FuzzOutcome {
        let target = FuzzTarget.manifest
        try sandbox.write(data, to: manifestPath)
        // The built-in task types' schemas, as `Workspace` passes them, so the settings checks are fuzzed too.
        let loader = ManifestLoader(
            workspaceRoot: sandbox.workspace, modelsDirectory: sandbox.url("models"),
            settings: TaskTypeRegistry.builtin.settingsBySection, tasks: TaskTypeRegistry.builtin.declarations)
        let result = loader.load(manifestAt: manifestPath)
        for diagnostic in result.diagnostics {
            try target.require(
                diagnostic.rendered().contains(diagnostic.message), "a rendered diagnostic lacks its message: \(diagnostic)")
            if let location = diagnostic.location {
                try target.require(location.line >= 1 && location.column >= 1, "diagnostic at \(location): \(diagnostic)")
            }
        }
        let errors = result.diagnostics.filter(\.isError)
        guard let project = result.project else {
            try target.require(!errors.isEmpty, "no project and no error:\n\(result.diagnostics.rendered())")
            return .rejected(errors[0].message)
        }
        try target.require(errors.isEmpty, "a project despite errors:\n\(result.diagnostics.rendered())")
        for path in paths(of: project) {
            try target.require(sandbox.staysInside(path), "the loaded path '\(path)' leaves the workspace")
        }
        return .accepted("project \(project.name): \(project.runs.count) run(s)")
    }

    /// Every file path a project reads or writes, workspace-relative.
    static func paths(of project: Project) -> [String] {
        var paths: [String] = []
        for run in project.runs {
            paths.append(run.testSet.path)
            switch run.trainingSet {
            case .upload(let source, _), .importTraces(let source): paths.append(source.path)
            case .generate: break
            }
            for stage in run.stages {
                paths += stage.outputs
                for input in stage.inputs {
                    if case .path(let path) = input { paths.append(path) }
                }
            }
        }
        return paths
    }
}
