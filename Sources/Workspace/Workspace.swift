import Basics
import ContentCache
import Foundation
import ManifestLoading
import Planning
import RunStore
import TaskInterface
import WorkflowModel

/// A Lunette workspace: a folder with `workflows/*.yaml`, its cache and its store.
///
/// The façade the CLI (and a library user) drives: load → plan → execute, plus the lock file,
/// `check`, `verify`, `status`, `show` and cache maintenance. It takes the task types to run from
/// its caller, so it never imports the ML stack.
///
/// ```swift
/// let workspace = try Workspace(root: url, registry: .builtin)
/// let outcome = try await workspace.run(RunRequest(targets: ["demo/toxicity"]))
/// ```
///
/// ## On disk
/// ```
/// workflows/<project>.yaml   manifests            workflows/<project>.lock   locks (committed)
/// cache/objects/ab/<hex>     artifacts            cache/index/ab/<hex>.json  action key → outputs
/// cache/lunette.sqlite       the store            cache/lunette.lock         held while a run writes
/// cache/models/<name>/       base models          cache/tmp/                 staging, scratch
/// cache/manifests.json       the kept manifest load (``ManifestMemo``: reused while what it read holds)
/// cache/up-to-date.stamp     what the last all-up-to-date `lunette run` read (``UpToDateStamp``)
/// ```
/// `$LUNETTE_CACHE` moves objects, index and tmp (they may be shared between workspaces);
/// the store and the workspace lock always stay in `<root>/cache/`. `$LUNETTE_MODELS` moves the models.
public final class Workspace: Sendable {
    public let root: URL
    /// The folder holding the store and the workspace lock.
    public let stateDirectory: URL
    /// The content cache's folder (`cache/` or `$LUNETTE_CACHE`).
    public let cacheDirectory: URL
    public let modelsDirectory: URL
    public let registry: TaskTypeRegistry
    public let environment: [String: String]
    public let now: @Sendable () -> Date

    /// Opens the workspace at `root` (it must hold a `workflows/` folder).
    public init(
        root: URL, registry: TaskTypeRegistry, environment: [String: String] = ProcessInfo.processInfo.environment,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.root = root.standardizedFileURL
        self.registry = registry
        self.environment = environment
        self.now = now
        self.stateDirectory = self.root.appendingPathComponent("cache")
        if let cache = environment["LUNETTE_CACHE"], !cache.isEmpty {
            self.cacheDirectory = URL(fileURLWithPath: cache, relativeTo: self.root).standardizedFileURL
        } else {
            self.cacheDirectory = stateDirectory
        }
        if let models = environment["LUNETTE_MODELS"], !models.isEmpty {
            self.modelsDirectory = URL(fileURLWithPath: models, relativeTo: self.root).standardizedFileURL
        } else {
            self.modelsDirectory = self.root.appendingPathComponent("cache/models")
        }
    }

    /// The nearest folder at or above `start` that holds `workflows/`.
    public static func discoverRoot(from start: URL) throws -> URL {
        var current = start.standardizedFileURL
        while true {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: current.appendingPathComponent("workflows").path, isDirectory: &isDirectory),
                isDirectory.boolValue
            {
                return current
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path {
                throw WorkspaceError(
                    .notAWorkspace, "no workflows/ folder in \(start.path) or any folder above it",
                    remedy: "run `lunette init` to create a workspace, or cd into one")
            }
            current = parent
        }
    }

    /// Loads and validates every manifest.
    /// - Returns: the projects and any warnings.
    /// - Throws: ``WorkspaceError`` with code `invalidManifests` and every diagnostic when any manifest has an error.
    public func loadProjects() throws -> (projects: [Project], warnings: [Diagnostic]) {
        let loaded = try loadProjectsRecordingFacts()
        return (loaded.projects, loaded.warnings)
    }

    /// ``loadProjects()``, with what the manifest load asked the file system and its answers.
    func loadProjectsRecordingFacts() throws -> (projects: [Project], warnings: [Diagnostic], facts: [String: String]) {
        let (result, facts) = loadManifestsRecordingFacts(missingModelSeverity: .error)
        if result.diagnostics.hasErrors {
            throw WorkspaceError(.invalidManifests, "invalid manifests", diagnostics: result.diagnostics)
        }
        return (applyingFeedback(result.projects), result.diagnostics, facts)
    }

    // MARK: - Resources

    func openCache() throws -> ContentCache {
        try ContentCache(root: cacheDirectory)
    }

    /// Opens the store; `readOnly` for commands that only read it (`status`, `plan`, `check`,
    /// `show`, the registry), which then work on a read-only `cache/` (see ``RunStore/openForReading(at:)``).
    func openStore(readOnly: Bool = false) throws -> RunStore {
        let file = stateDirectory.appendingPathComponent("lunette.sqlite")
        if readOnly { return try RunStore.openForReading(at: file) }
        try FileManager.default.createDirectoryIfNeeded(atPath: stateDirectory.path)
        return try RunStore(path: file)
    }

    /// Takes the workspace lock, waiting for another invocation unless `wait` is false.
    /// - Parameter onWait: called once with the holder's description before waiting.
    func acquireLock(command: String, wait: Bool, onWait: (String) -> Void) throws -> FileLock {
        let lock = FileLock(path: stateDirectory.appendingPathComponent("lunette.lock").path)
        if try lock.tryLock(describing: command) { return lock }
        let holder = lock.holderDescription() ?? "another lunette process"
        guard wait else {
            throw WorkspaceError(
                .busy, "the workspace is busy: \(holder)",
                remedy: "wait for it to finish, or run without --no-wait to queue behind it")
        }
        onWait(holder)
        try lock.lock(describing: command)
        return lock
    }

    /// Reads every project's lock file (missing = empty).
    func readLocks(_ projects: [Project]) throws -> [String: Lockfile] {
        var locks: [String: Lockfile] = [:]
        for project in projects {
            let url = root.appendingPathComponent(project.lockPath)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                locks[project.name] = Lockfile(project: project.name)
                continue
            }
            var lock = try Lockfile.parse(String(decoding: data, as: UTF8.self), file: project.lockPath)
            lock.project = project.name
            locks[project.name] = lock
        }
        return locks
    }

    /// Task id → version for the registry's task types.
    var taskVersions: [String: Int] {
        Dictionary(uniqueKeysWithValues: registry.ids.compactMap { id in registry.taskType(id: id).map { (id, $0.version) } })
    }
}
