import Basics
import ContentCache
import Foundation
import Planning
import RunStore
import WorkflowModel

extension Workspace {
    /// Every registered metric version, sorted by name then version: the committed registry file's
    /// (``RegistryFile``) when there is one, else the store's.
    /// - Throws: ``WorkspaceError`` `invalidManifests` (exit 2) when the registry file has errors.
    public func registeredMetrics() throws -> [RegisteredMetric] {
        if let file = try registryFile() { return file.metrics }
        return try openStore(readOnly: true).registeredMetrics()
    }

    /// Resolves `name`, `name@version` or `name@alias`.
    /// - Throws: ``WorkspaceError`` `unknownRun` with a did-you-mean when nothing matches.
    public func registeredMetric(_ reference: String) throws -> RegisteredMetric {
        let metrics: [RegisteredMetric]
        if let file = try registryFile() {
            if let metric = file.resolve(reference) { return metric }
            metrics = file.metrics
        } else {
            let store = try openStore(readOnly: true)
            if let metric = try store.resolveMetric(reference) { return metric }
            metrics = try store.registeredMetrics()
        }
        let names = Set(metrics.map(\.name)).sorted()
        let name = String(reference.split(separator: "@").first ?? "")
        throw WorkspaceError(
            .unknownRun, "no registered metric '\(reference)'",
            remedy: (names.contains(name) ? nil : Suggestion.hint(for: name, in: names))
                ?? (names.isEmpty ? "register one with `lunette run` (a run's last stage) or `lunette register RUN`"
                    : "registered: " + names.joined(separator: ", ")))
    }

    /// Points `alias` at `name@version` in the store and the registry file; scoring servers pick
    /// the move up without a restart.
    public func setAlias(_ alias: String, for reference: String) throws -> RegisteredMetric {
        let metric = try registeredMetric(reference)
        guard Int(alias) == nil, !alias.isEmpty, !alias.contains("@") else {
            throw WorkspaceError(.unknownRun, "'\(alias)' cannot be an alias", remedy: "use a name such as champion or staging")
        }
        let store = try openStore()
        try syncRegistry(store)
        try store.setAlias(alias, name: metric.name, version: metric.version, at: now())
        _ = try updateRegistryFile(store: store)
        return try registeredMetric("\(metric.name)@\(metric.version)")
    }

    // MARK: - The registry file

    /// The committed registry file, parsed; `nil` when the workspace has none.
    /// - Throws: ``WorkspaceError`` `invalidManifests` (exit 2) with every problem (line and column)
    ///   when it has errors: a merge left two lines for one version, conflict markers, a malformed line.
    public func registryFile() throws -> RegistryFile? {
        guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(RegistryFile.path).path) else {
            return nil
        }
        let (file, diagnostics) = RegistryFile.parse(String(decoding: data, as: UTF8.self))
        if diagnostics.hasErrors {
            throw WorkspaceError(.invalidManifests, "invalid registry file", diagnostics: diagnostics)
        }
        return file
    }

    /// The registry file's problems (none when there is no file), for `lunette check`.
    func registryFileDiagnostics() -> [Diagnostic] {
        guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(RegistryFile.path).path) else {
            return []
        }
        return RegistryFile.parse(String(decoding: data, as: UTF8.self)).diagnostics
    }

    /// Makes the store's registry tables mirror the registry file (the file wins: it is what git
    /// has), when there is a file and they differ; called with the store open for writing before a
    /// run registers or an alias moves.
    func syncRegistry(_ store: RunStore) throws {
        let path = root.appendingPathComponent(RegistryFile.path).path
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let stored = RegistryFile(metrics: try store.registeredMetrics()).rendered
        // The usual case, the file as the store would write it: nothing to parse.
        if Data(stored.utf8) == data { return }
        guard let file = try registryFile() else { return }
        if stored != file.rendered {
            try store.replaceRegistry(with: file.metrics, at: now())
        }
    }

    /// Writes the registry file from the store when its text would change (atomically); writes no
    /// empty file where there is none.
    /// - Returns: the file's workspace-relative path when it changed, else nothing.
    func updateRegistryFile(store: RunStore) throws -> [String] {
        let text = RegistryFile(metrics: try store.registeredMetrics()).rendered
        let path = root.appendingPathComponent(RegistryFile.path).path
        let existing = FileManager.default.contents(atPath: path)
        guard existing != Data(text.utf8), existing != nil || !text.isEmpty else { return [] }
        try AtomicFile.write(Data(text.utf8), to: path)
        return [RegistryFile.path]
    }

    /// The folder of a registered metric's model, materialised from the cache into
    /// `cache/registry/<name>@<version>/` and reused while it still holds that model.
    ///
    /// The folder's stamp (see ``ContentCache/checkMaterialized(_:at:deep:)``) must name the
    /// registry entry's model digest and every file must be unchanged since it was placed (`lstat`
    /// fields; a changed file is re-hashed): a folder left from a store that was reset, or edited
    /// by hand, is materialised again from the cache. `lunette cache verify` re-hashes every byte.
    ///
    /// A version another clone registered (it came with the registry file) whose model this cache
    /// does not hold is an error naming the model's digest and how to get it.
    public func modelFolder(for metric: RegisteredMetric) throws -> URL {
        if let hash = ContentHash(parsing: metric.modelDigest), !FileManager.default.fileExists(atPath: try openCache().objectURL(hash).path) {
            throw WorkspaceError(
                .failed,
                "the model of \(metric.reference) (\(metric.modelDigest)) is not in this workspace's cache",
                remedy: "`lunette pull` fetches it when the workspace has a remote cache (lunette.yaml's `remote:`); or rebuild it "
                    + "with `lunette run \(metric.project)/\(metric.run)`: on the platform that registered it, the committed lock "
                    + "reproduces the same model (and registers a new version if the bytes differ)")
        }
        return try stampedFolder(
            "registry/\(metric.name)@\(metric.version)", digest: metric.modelDigest, what: "the model of \(metric.reference)")
    }

    /// Copies a registered metric's model folder (the Hugging Face-compatible export) to `destination`.
    public func export(_ metric: RegisteredMetric, to destination: URL) throws {
        if FileManager.default.fileExists(atPath: destination.path),
            !((try? FileManager.default.contentsOfDirectory(atPath: destination.path))?.isEmpty ?? true)
        {
            throw WorkspaceError(
                .wouldOverwrite, "\(destination.path) exists and is not empty", remedy: "choose an empty or new folder")
        }
        try? FileManager.default.removeItem(at: destination)
        try materialize(digest: metric.modelDigest, kind: .directory, to: destination, what: "the model of \(metric.reference)")
    }

    /// The folder holding a run's latest evaluation report (`report.html`, `report.json`,
    /// `predictions.jsonl`), materialised from the cache into `cache/reports/<project>/<run>/`.
    public func reportFolder(run name: String) throws -> URL {
        let details = try show(run: name)
        guard let evaluate = details.stages.first(where: { $0.planned.id.stage == "evaluate" }),
            let report = evaluate.planned.knownOutputs?["report"]
        else {
            throw WorkspaceError(
                .unknownRun, "\(details.project.name)/\(details.run.name) has no up-to-date evaluation report",
                remedy: "run it first: lunette run \(details.project.name)/\(details.run.name)")
        }
        return try stampedFolder(
            "reports/\(details.project.name)/\(details.run.name)", digest: report.digest.description, what: "the report")
    }

    /// `stateDirectory/relativePath`, holding the directory artifact `digest` with a current stamp
    /// (materialised again when it does not).
    func stampedFolder(_ relativePath: String, digest: String, what: String) throws -> URL {
        let folder = stateDirectory.appendingPathComponent(relativePath)
        let cache = try openCache()
        guard let hash = ContentHash(parsing: digest) else {
            throw WorkspaceError(.failed, "\(what) has a malformed digest '\(digest)'")
        }
        if cache.checkMaterialized(hash, at: folder) == nil { return folder }
        try FileManager.default.createDirectoryIfNeeded(atPath: folder.deletingLastPathComponent().path)
        do {
            try materialize(digest: digest, kind: .directory, to: folder, what: what, stamped: true)
        } catch {
            // Another process may have just materialised it (both renaming over the same folder).
            if cache.checkMaterialized(hash, at: folder) == nil { return folder }
            throw error
        }
        return folder
    }

    /// Materialises the artifact `digest` at `destination` (with a stamp when `stamped`).
    func materialize(
        digest: String, kind: ArtifactRef.Kind, to destination: URL, what: String, stamped: Bool = false
    ) throws {
        let cache = try openCache()
        guard let hash = ContentHash(parsing: digest) else {
            throw WorkspaceError(.failed, "\(what) has a malformed digest '\(digest)'")
        }
        let path = cache.objectURL(hash).path
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil
        guard let size else {
            throw WorkspaceError(
                .failed, "\(what) (\(hash.short)) is no longer in the cache",
                remedy: "re-run the stage that made it (`lunette run --force TARGET`)")
        }
        let ref = ArtifactRef(digest: hash, size: size, kind: kind)
        if stamped {
            try cache.materializeStamped(ref, at: destination)
        } else {
            try cache.materialize(ref, at: destination)
        }
    }
}
