import ArgumentParser
import Basics
import Foundation
import Planning
import Workspace

/// The pieces the commands' `--json` outputs share, so every command spells a diagnostic, a
/// location and an error the same way. The shapes are documented in `docs/json-output.md`.
enum JSONOutput {
    /// A manifest diagnostic: `{"code", "severity", "message", "file", "line", "column", "key_path", "remedy"}`;
    /// the location keys are `null` when the diagnostic has no place in a file.
    static func diagnostic(_ diagnostic: Diagnostic) -> JSONValue {
        .object([
            "code": .string(code(of: diagnostic)),
            "severity": .string(diagnostic.severity.rawValue),
            "message": .string(diagnostic.message),
            "file": diagnostic.location.map { .string($0.file) } ?? .null,
            "line": diagnostic.location.map { .int($0.line) } ?? .null,
            "column": diagnostic.location.map { .int($0.column) } ?? .null,
            "key_path": diagnostic.keyPath.flatMap { $0.isEmpty ? nil : JSONValue.string($0) } ?? .null,
            "remedy": diagnostic.hint.map(JSONValue.string) ?? .null,
        ])
    }

    /// `invalid-manifest` for an error, `manifest-warning` or `manifest-note` otherwise.
    static func code(of diagnostic: Diagnostic) -> String {
        switch diagnostic.severity {
        case .error: return "invalid-manifest"
        case .warning: return "manifest-warning"
        case .note: return "manifest-note"
        }
    }

    /// Manifest diagnostics sorted by file, line, column and message, as the text output sorts them.
    static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.sorted { a, b in
            let la = a.location ?? SourceLocation(file: "", line: 0, column: 0)
            let lb = b.location ?? SourceLocation(file: "", line: 0, column: 0)
            return (la.file, la.line, la.column, a.message) < (lb.file, lb.line, lb.column, b.message)
        }
    }

    /// A failure that ended the command: `{"code", "message", "remedy"}`, plus the manifest
    /// diagnostics when the manifests are invalid (the caller puts those under `diagnostics`).
    static func failure(_ error: any Error) -> (error: JSONValue, diagnostics: [Diagnostic]) {
        func object(_ code: String, _ message: String, _ remedy: String?) -> JSONValue {
            .object(["code": .string(code), "message": .string(message), "remedy": remedy.map(JSONValue.string) ?? .null])
        }
        if let error = error as? WorkspaceError {
            if error.code == .invalidManifests {
                let count = error.diagnostics.filter(\.isError).count
                return (object("invalid-manifests", "\(count) error\(count == 1 ? "" : "s") in manifests", nil), error.diagnostics)
            }
            return (object(workspaceCode(error.code), error.message, error.remedy), [])
        }
        if let error = error as? PlanningError {
            let code = error.code == .unknownTarget ? "unknown-target" : error.code == .cycle ? "cycle" : "invalid-lock"
            return (object(code, error.message, error.remedy), [])
        }
        if error is CancellationError { return (object("interrupted", "interrupted", nil), []) }
        if let text = CommandFailure.fileErrorText(error) {
            let parts = text.components(separatedBy: "\n  fix: ")
            return (object("file-error", parts[0], parts.count > 1 ? parts[1] : nil), [])
        }
        return (object("failed", "\(error)", nil), [])
    }

    private static func workspaceCode(_ code: WorkspaceError.Code) -> String {
        switch code {
        case .notAWorkspace: return "not-a-workspace"
        case .busy: return "busy"
        case .unknownRun: return "unknown-run"
        case .wouldOverwrite: return "would-overwrite"
        default: return "failed"
        }
    }

    /// An ISO 8601 timestamp, or `null`.
    static func date(_ date: Date?) -> JSONValue {
        date.map { .string(UTCTimestamp.string(from: $0)) } ?? .null
    }
}

/// How `check` (and `--format`-taking commands) print their findings.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Plain lines for people (the default).
    case text
    /// GitHub Actions annotations (`::error file=…,line=…::…`), then the plain summary line.
    case github
    /// One JSON object on standard output.
    case json
}
