import Basics
import ContentCache
import Foundation
import Planning
import RunStore
import WorkflowModel

extension Workspace {
    /// Every registered metric version, sorted by name then version.
    public func registeredMetrics() throws -> [RegisteredMetric] {
        try openStore().registeredMetrics()
    }

    /// Resolves `name`, `name@version` or `name@alias`.
    /// - Throws: ``WorkspaceError`` `unknownRun` with a did-you-mean when nothing matches.
    public func registeredMetric(_ reference: String) throws -> RegisteredMetric {
        let store = try openStore()
        if let metric = try store.resolveMetric(reference) { return metric }
        let names = Set(try store.registeredMetrics().map(\.name)).sorted()
        let name = String(reference.split(separator: "@").first ?? "")
        throw WorkspaceError(
            .unknownRun, "no registered metric '\(reference)'",
            remedy: (names.contains(name) ? nil : Suggestion.hint(for: name, in: names))
                ?? (names.isEmpty ? "register one with `lunette run` (a run's last stage) or `lunette register RUN`"
                    : "registered: " + names.joined(separator: ", ")))
    }

    /// Points `alias` at `name@version`; scoring servers pick the move up without a restart.
    public func setAlias(_ alias: String, for reference: String) throws -> RegisteredMetric {
        let metric = try registeredMetric(reference)
        guard Int(alias) == nil, !alias.isEmpty, !alias.contains("@") else {
            throw WorkspaceError(.unknownRun, "'\(alias)' cannot be an alias", remedy: "use a name such as champion or staging")
        }
        try openStore().setAlias(alias, name: metric.name, version: metric.version, at: now())
        return try registeredMetric("\(metric.name)@\(metric.version)")
    }

    /// The folder of a registered metric's model, materialised once from the cache into
    /// `cache/registry/<name>@<version>/` (immutable) and reused after that.
    public func modelFolder(for metric: RegisteredMetric) throws -> URL {
        let folder = stateDirectory.appendingPathComponent("registry/\(metric.name)@\(metric.version)")
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("metric.json").path) { return folder }
        try FileManager.default.createDirectoryIfNeeded(atPath: folder.deletingLastPathComponent().path)
        try materialize(digest: metric.modelDigest, kind: .directory, to: folder, what: "the model of \(metric.reference)")
        return folder
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
        let folder = stateDirectory.appendingPathComponent("reports/\(details.project.name)/\(details.run.name)")
        let stamp = folder.appendingPathComponent(".digest")
        if (try? String(contentsOf: stamp, encoding: .utf8)) == report.digest.description { return folder }
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectoryIfNeeded(atPath: folder.deletingLastPathComponent().path)
        try materialize(digest: report.digest.description, kind: .directory, to: folder, what: "the report")
        try Data(report.digest.description.utf8).write(to: stamp)
        return folder
    }

    private func materialize(digest: String, kind: ArtifactRef.Kind, to destination: URL, what: String) throws {
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
        try cache.materialize(ArtifactRef(digest: hash, size: size, kind: kind), at: destination)
    }
}
