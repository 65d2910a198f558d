import Basics

/// One manifest, `workflows/<project>.yaml`: a goal grouping runs.
///
/// Produced by `ManifestLoading` with defaults already applied to every run and every path made
/// workspace-relative, so nothing downstream needs to know about YAML or the manifest's folder.
public struct Project: Hashable, Sendable, Codable {
    /// The project's name (`project:`), unique in a workspace.
    public var name: String
    public var description: String?
    /// Workspace-relative path of the manifest, e.g. `workflows/demo.yaml`.
    public var manifestPath: String
    /// LLM endpoints by name.
    public var providers: [String: ProviderSpec]
    /// Runs sorted by name.
    public var runs: [Run]

    public init(
        name: String, description: String? = nil, manifestPath: String, providers: [String: ProviderSpec] = [:],
        runs: [Run] = []
    ) {
        self.name = name
        self.description = description
        self.manifestPath = manifestPath
        self.providers = providers
        self.runs = runs
    }

    /// Workspace-relative path of the lock file beside the manifest (`workflows/<project>.lock`).
    public var lockPath: String { Self.lockPath(forManifest: manifestPath) }

    /// The lock file beside the manifest at `manifestPath` (`t.yaml` and `t.yml` both give `t.lock`).
    public static func lockPath(forManifest manifestPath: String) -> String {
        let base = manifestPath.hasSuffix(".yaml") ? String(manifestPath.dropLast(5))
            : manifestPath.hasSuffix(".yml") ? String(manifestPath.dropLast(4)) : manifestPath
        return base + ".lock"
    }

    /// Workspace-relative path of the committed scores file beside the lock
    /// (`workflows/<project>.scores.json`), which `lunette run` writes and `lunette metrics` reads.
    public var scoresPath: String { String(lockPath.dropLast(5)) + ".scores.json" }

    /// The run with this name.
    public func run(named name: String) -> Run? { runs.first { $0.name == name } }
}

/// An LLM endpoint declared under `providers:`. Holds the *name* of the variable with the key, never the key.
public struct ProviderSpec: Hashable, Sendable, Codable {
    public var name: String
    /// `openai-compatible`, `anthropic` or `offline`.
    public var kind: String
    /// Every other setting as written (`base_url`, `model`, `api_key_env`, `temperature`, …).
    public var settings: [String: JSONValue]
    public var location: SourceLocation?

    public init(name: String, kind: String, settings: [String: JSONValue] = [:], location: SourceLocation? = nil) {
        self.name = name
        self.kind = kind
        self.settings = settings
        self.location = location
    }
}
