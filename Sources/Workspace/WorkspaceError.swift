import Basics

/// A problem that stops a workspace command, with how to fix it.
public struct WorkspaceError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        let name: String
        /// Manifests have errors (exit code 2); ``diagnostics`` holds them all.
        public static let invalidManifests = Code(name: "invalid-manifests")
        /// No `workflows/` folder here or above.
        public static let notAWorkspace = Code(name: "not-a-workspace")
        /// Another invocation holds the workspace (with `--no-wait`).
        public static let busy = Code(name: "busy")
        /// A run or target that does not exist.
        public static let unknownRun = Code(name: "unknown-run")
        /// `lunette init` would overwrite something.
        public static let wouldOverwrite = Code(name: "would-overwrite")
        /// Anything else (I/O, store).
        public static let failed = Code(name: "failed")
    }

    public var code: Code
    public var message: String
    public var remedy: String?
    public var diagnostics: [Diagnostic]

    public init(_ code: Code, _ message: String, remedy: String? = nil, diagnostics: [Diagnostic] = []) {
        self.code = code
        self.message = message
        self.remedy = remedy
        self.diagnostics = diagnostics
    }

    public var description: String {
        if code == .invalidManifests { return diagnostics.rendered() }
        return remedy.map { "\(message)\n  fix: \($0)" } ?? message
    }
}
