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
/// let loader = ManifestLoader(workspaceRoot: root, modelsDirectory: root.appendingPathComponent("cache/models"))
/// let result = loader.loadAll()
/// if result.diagnostics.hasErrors { print(result.diagnostics.rendered()); exit(2) }
/// ```
public struct ManifestLoader: Sendable {
    /// The workspace folder; manifests live in its `workflows/` folder.
    public let workspaceRoot: URL
    /// Where base models are installed, for the "not installed" check; nil skips the check.
    public let modelsDirectory: URL?

    /// - Parameters:
    ///   - workspaceRoot: The absolute workspace folder.
    ///   - modelsDirectory: Where base models are installed (`<models>/<folder>/<required files>`), or nil
    ///     to skip the "base model is not installed" check.
    public init(workspaceRoot: URL, modelsDirectory: URL?) {
        self.workspaceRoot = workspaceRoot.standardizedFileURL
        self.modelsDirectory = modelsDirectory
    }

    /// Loads one manifest given its workspace-relative path (e.g. `workflows/demo.yaml`).
    ///
    /// - Returns: The project (nil when there is any error) and every diagnostic, sorted by place.
    public func load(manifestAt relativePath: String) -> ManifestLoadResult {
        let loaded = loadDetailed(relativePath)
        return ManifestLoadResult(project: loaded.project, diagnostics: loaded.diagnostics)
    }

    /// Loads every `workflows/*.yaml` and `workflows/*.yml` in name order, then checks across them: no two
    /// manifests name the same project, and no two stages anywhere write one output path.
    ///
    /// - Returns: Every project when no manifest has an error (none otherwise), and every diagnostic.
    public func loadAll() -> WorkspaceLoadResult {
        let manifests = manifestPaths()
        guard !manifests.isEmpty else {
            return WorkspaceLoadResult(projects: [], diagnostics: [Diagnostic.warning(
                "no manifests found in workflows/", hint: "create workflows/<project>.yaml")])
        }
        let loaded = manifests.map(loadDetailed)
        var diagnostics = loaded.flatMap(\.diagnostics)

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
                            keyPath: claim.keyPath, owner: claim.owner, project: manifest.projectName)
            }
        }
        diagnostics += OutputClaim.conflicts(claims, acrossFilesOnly: true)
        diagnostics = diagnostics.sortedByLocation()
        let projects = diagnostics.hasErrors ? [] : loaded.compactMap(\.project)
        return WorkspaceLoadResult(projects: projects, diagnostics: diagnostics)
    }

    /// Workspace-relative paths of `workflows/*.yaml` and `*.yml`, sorted.
    func manifestPaths() -> [String] {
        let folder = workspaceRoot.appendingPathComponent("workflows")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }
            .sorted().map { "workflows/" + $0 }
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
    }

    func loadDetailed(_ relativePath: String) -> LoadedManifest {
        var result = LoadedManifest(path: relativePath, diagnostics: [], outputClaims: [])
        let url = workspaceRoot.appendingPathComponent(relativePath)
        let data: Data
        do {
            data = try Data(contentsOf: url)
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
            source: source, paths: PathResolver(workspaceRoot: workspaceRoot, manifestPath: relativePath),
            modelsDirectory: modelsDirectory)
        let project = reader.readProject(root)
        result.diagnostics = reader.finishedDiagnostics()
        result.project = result.diagnostics.hasErrors ? nil : project
        result.outputClaims = reader.outputClaims
        if let node = reader.projectNameNode, let name = node.string {
            result.projectName = project?.name ?? name
            result.projectNameLocation = source.location(of: node)
            result.projectNameLine = node.mark.flatMap { source.line($0.line) }
        }
        return result
    }
}
