import Basics
import Foundation
import WorkflowModel
import Yams

/// Reads manifests (`workflows/<project>.yaml`) into ``Project`` values, reporting every problem at once.
///
/// Loading never throws and never stops at the first problem: it returns every diagnostic, each
/// with a location, a key path, the source line and, where one fits, a did-you-mean. A project is
/// returned only when its manifest has no error. See `README.md` in this folder for the manifest
/// reference.
///
/// ```swift
/// let loader = ManifestLoader(workspaceRoot: root, modelsDirectory: root.appendingPathComponent("cache/models"),
///                             settings: TaskTypeRegistry.builtin.settingsBySection)
/// let result = loader.loadAll()
/// if result.diagnostics.hasErrors { print(result.diagnostics.rendered()); exit(2) }
/// ```
public struct ManifestLoader: Sendable {
    /// The workspace folder; manifests live in its `workflows/` folder.
    public let workspaceRoot: URL
    /// Where base models are installed, for the "not installed" check; nil skips the check.
    public let modelsDirectory: URL?
    /// The content cache's folder when it is not `cache/` (`$LUNETTE_CACHE`), which no output may touch.
    public let cacheDirectory: URL?
    /// How a base model missing from ``modelsDirectory`` is reported: an error (the default: `run`,
    /// `plan` and `verify` need its files), or a warning for `lunette check`, which takes the model's
    /// digest from the lock.
    public let missingModelSeverity: Diagnostic.Severity
    /// The settings schema of each stage section (`train`, `generate`, `split`, `gate`, …), by section
    /// name, as the task types declare them (`TaskTypeRegistry.settingsBySection`): a section is checked
    /// through its schema at load time. A section without one must be a mapping and is kept as written
    /// (its stage checks it when it runs), so pass every schema: `Workspace` passes its registry's.
    public let settings: [String: SettingsSchema]
    /// What each registered task type takes (`TaskTypeRegistry.declarations`), by id: a run's
    /// `stages:` entry with `task: <id>` is checked against it. Empty: no `task:` stage loads.
    public let tasks: [String: TaskDeclaration]

    /// - Parameters:
    ///   - workspaceRoot: The absolute workspace folder.
    ///   - modelsDirectory: Where base models are installed (`<models>/<folder>/<required files>`), or nil
    ///     to skip the "base model is not installed" check.
    ///   - cacheDirectory: The content cache's folder (`$LUNETTE_CACHE`), when it is not `cache/`.
    ///   - missingModelSeverity: `.error` (the default) or `.warning` for a base model that is not installed.
    ///   - settings: The task types' settings schemas by section (see ``settings``).
    ///   - tasks: What each registered task type takes, by id (see ``tasks``).
    public init(
        workspaceRoot: URL, modelsDirectory: URL?, cacheDirectory: URL? = nil,
        missingModelSeverity: Diagnostic.Severity = .error, settings: [String: SettingsSchema] = [:],
        tasks: [String: TaskDeclaration] = [:]
    ) {
        self.settings = settings
        self.tasks = tasks
        self.workspaceRoot = workspaceRoot.standardizedFileURL
        self.modelsDirectory = modelsDirectory
        self.cacheDirectory = cacheDirectory
        self.missingModelSeverity = missingModelSeverity
    }

    /// The parts of the workspace that no custom stage may declare as an output (their own path, a folder
    /// around them or a path inside them): a stage's outputs are deleted before it runs.
    var protectedPaths: [ProtectedPath] {
        var protected = [
            ProtectedPath(path: "workflows", what: "the workspace's workflows/ folder (its manifests and locks)"),
            ProtectedPath(path: "cache", what: "the workspace's cache/ folder (its store, registry and results)"),
            ProtectedPath(path: ".git", what: "the workspace's git repository (.git)"),
        ]
        let root = workspaceRoot.path.hasSuffix("/") ? workspaceRoot.path : workspaceRoot.path + "/"
        for (folder, what) in [(cacheDirectory, "the cache folder (LUNETTE_CACHE)"), (modelsDirectory, "the base models folder")] {
            guard let path = folder?.standardizedFileURL.path, path.hasPrefix(root) else { continue }
            let relative = String(path.dropFirst(root.count))
            if !relative.isEmpty, !protected.contains(where: { OutputClaim.overlap(of: relative, with: $0.path) != nil }) {
                protected.append(ProtectedPath(path: relative, what: "\(what) '\(relative)'"))
            }
        }
        return protected
    }

    /// Loads one manifest given its workspace-relative path (e.g. `workflows/demo.yaml`).
    ///
    /// - Returns: The project (nil when there is any error) and every diagnostic, sorted by place.
    public func load(manifestAt relativePath: String) -> ManifestLoadResult {
        let loaded = loadDetailed(relativePath, facts: FileFacts())
        return ManifestLoadResult(project: loaded.project, diagnostics: loaded.diagnostics)
    }

    /// Loads every `workflows/*.yaml` and `workflows/*.yml` in name order, then checks across them: no two
    /// manifests name the same project, and no two stages anywhere write one output path.
    ///
    /// - Returns: Every project when no manifest has an error (none otherwise), and every diagnostic.
    /// - Parameter facts: Where every question the load asks the file system is answered and recorded
    ///   (``FileFacts``), for a caller that caches the result (`Workspace` does).
    public func loadAll(recording facts: FileFacts = FileFacts()) -> WorkspaceLoadResult {
        let manifests = manifestPaths(facts)
        guard !manifests.isEmpty else {
            return WorkspaceLoadResult(projects: [], diagnostics: [Diagnostic.warning(
                "no manifests found in workflows/", hint: "create workflows/<project>.yaml")])
        }
        let loaded = manifests.map { loadDetailed($0, facts: facts) }
        var diagnostics = loaded.flatMap(\.diagnostics) + sharedLocks(manifests)

        var firstByName: [String: LoadedManifest] = [:]
        for manifest in loaded {
            guard let name = manifest.projectName else { continue }
            if let first = firstByName[name] {
                diagnostics.append(Diagnostic.error(
                    "project '\(name)' is already declared in \(first.path)", at: manifest.projectNameLocation,
                    keyPath: "project", hint: "each manifest needs its own project name",
                    sourceLine: manifest.projectNameLine))
            } else {
                firstByName[name] = manifest
            }
        }
        let claims = loaded.flatMap { manifest in
            manifest.outputClaims.map { claim in
                OutputClaim(path: claim.path, location: claim.location, sourceLine: claim.sourceLine,
                            keyPath: claim.keyPath, owner: claim.owner, project: manifest.projectName,
                            stage: claim.stage)
            }
        }
        diagnostics += OutputClaim.conflicts(claims, acrossFilesOnly: true)
        let reads = loaded.flatMap(\.reads)
        diagnostics += OutputClaim.readConflicts(claims, reads: reads, acrossFilesOnly: true)
        diagnostics += OutputClaim.unorderedReads(claims, reads: reads, acrossFilesOnly: true)
        diagnostics = diagnostics.sortedByLocation()
        let projects = diagnostics.hasErrors ? [] : loaded.compactMap(\.project)
        return WorkspaceLoadResult(projects: projects, diagnostics: diagnostics)
    }

    /// Workspace-relative paths of `workflows/*.yaml` and `*.yml`, sorted.
    func manifestPaths(_ facts: FileFacts) -> [String] {
        let names = facts.listing(workspaceRoot.appendingPathComponent("workflows").path)
        return names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }
            .sorted().map { "workflows/" + $0 }
    }

    /// Errors for manifests that would share one lock: `t.yaml` and `t.yml` both write `workflows/t.lock`
    /// (see `Project.lockPath`), so each would overwrite the other's results. The error is on the later
    /// name and names both.
    func sharedLocks(_ manifests: [String]) -> [Diagnostic] {
        var firstByLock: [String: String] = [:]
        var diagnostics: [Diagnostic] = []
        for manifest in manifests {
            let lock = Project.lockPath(forManifest: manifest)
            guard let first = firstByLock[lock] else {
                firstByLock[lock] = manifest
                continue
            }
            diagnostics.append(Diagnostic.error(
                "manifests \(first) and \(manifest) would share the lock \(lock)",
                at: SourceLocation(file: manifest, line: 1, column: 1),
                hint: "each manifest's results are kept in workflows/<file name>.lock: rename or remove one of them"))
        }
        return diagnostics
    }

    /// One manifest's result with what the cross-manifest checks need.
    struct LoadedManifest {
        var path: String
        var project: Project?
        var diagnostics: [Diagnostic]
        var projectName: String?
        var projectNameLocation: SourceLocation?
        var projectNameLine: String?
        var outputClaims: [OutputClaim]
        var reads: [ReadPath] = []
    }

    func loadDetailed(_ relativePath: String, facts: FileFacts) -> LoadedManifest {
        var result = LoadedManifest(path: relativePath, diagnostics: [], outputClaims: [])
        let url = workspaceRoot.appendingPathComponent(relativePath)
        let data: Data
        do {
            data = try Data(contentsOf: url)
            facts.recordDigest(of: data, at: url.path)
        } catch {
            result.diagnostics = [Diagnostic.error(
                "cannot read manifest \(relativePath): "
                    + (FileManager.default.fileExists(atPath: url.path) ? "\(error.localizedDescription)"
                        : "no such file"),
                hint: "manifests live in workflows/<project>.yaml")]
            return result
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let invalid = ManifestSource.firstInvalidUTF8(in: data)
            let location = SourceLocation(file: relativePath, line: invalid.line, column: invalid.column)
            result.diagnostics = [Diagnostic.error(
                "the manifest is not valid UTF-8 text (byte 0x\(String(invalid.byte, radix: 16, uppercase: true)))",
                at: location, hint: "save the file as UTF-8")]
            return result
        }
        let source = ManifestSource(path: relativePath, text: text)
        let (root, syntax) = ManifestComposer.compose(source)
        guard let root else {
            result.diagnostics = syntax
            return result
        }
        let reader = ManifestReader(
            source: source, paths: PathResolver(workspaceRoot: workspaceRoot, manifestPath: relativePath, facts: facts),
            modelsDirectory: modelsDirectory, protectedPaths: protectedPaths, missingModelSeverity: missingModelSeverity,
            settings: settings, tasks: tasks)
        let project = reader.readProject(root)
        result.diagnostics = reader.finishedDiagnostics()
        result.project = result.diagnostics.hasErrors ? nil : project
        result.outputClaims = reader.outputClaims
        result.reads = reader.reads
        if let node = reader.projectNameNode, let name = node.string {
            result.projectName = project?.name ?? name
            result.projectNameLocation = source.location(of: node)
            result.projectNameLine = node.mark.flatMap { source.line($0.line) }
        }
        return result
    }
}
