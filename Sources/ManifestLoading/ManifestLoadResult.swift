import Basics
import WorkflowModel

/// What loading one manifest produced: the project when it has no errors, and every diagnostic.
public struct ManifestLoadResult: Sendable {
    /// The project, nil when any diagnostic is an error.
    public var project: Project?
    /// Errors and warnings, sorted by file, line and column.
    public var diagnostics: [Diagnostic]

    public init(project: Project?, diagnostics: [Diagnostic]) {
        self.project = project
        self.diagnostics = diagnostics
    }

    /// The project, or a ``ManifestError`` carrying every diagnostic.
    public func get() throws(ManifestError) -> Project {
        guard let project, !diagnostics.hasErrors else { throw ManifestError(diagnostics: diagnostics) }
        return project
    }
}

/// What loading every manifest of a workspace produced.
public struct WorkspaceLoadResult: Sendable, Codable {
    /// Every project sorted by manifest path; empty when any manifest has an error, so nothing runs
    /// on a half-valid workspace.
    public var projects: [Project]
    /// Errors and warnings from every manifest and the cross-manifest checks, sorted by place.
    public var diagnostics: [Diagnostic]

    public init(projects: [Project], diagnostics: [Diagnostic]) {
        self.projects = projects
        self.diagnostics = diagnostics
    }

    /// The projects, or a ``ManifestError`` carrying every diagnostic.
    public func get() throws(ManifestError) -> [Project] {
        guard !diagnostics.hasErrors else { throw ManifestError(diagnostics: diagnostics) }
        return projects
    }
}

/// One or more manifests are invalid. Carries every diagnostic; its description is their rendering.
///
/// The command line prints ``description`` and exits with code 2; nothing runs.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    /// The errors among ``diagnostics``.
    public var errors: [Diagnostic] { diagnostics.filter(\.isError) }

    /// Every diagnostic in compiler style, sorted by place (``Basics/Diagnostic/rendered()``).
    public var description: String { diagnostics.rendered() }
}
