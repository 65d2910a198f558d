import Basics
import Foundation
import ManifestLoading
import TaskInterface
import WorkflowModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A successful load of the workspace's manifests, kept in `cache/manifests.json` (or
/// `cache/manifests-check.json` for `lunette check`'s lenient load) and reused while it still holds.
///
/// A load is a function of what it read from disk and of the code and settings that read it. The
/// disk part is ``facts``: every question the load asked the file system with its answer (the
/// manifests' digests and the `workflows/` listing among them, see `ManifestLoading.FileFacts`),
/// asked again before reuse. The rest is ``key``: this executable (size, modification time, inode:
/// any rebuild changes it), the task types' ids, versions and settings, and the loader's folders and
/// severity. Loads with an error are never kept, so every error is always reported afresh. Reusing
/// the load turns a no-op `lunette run` of 1,400 stages from about 0.4 s into well under 0.1 s
/// (BENCHMARKS.md, "Workflow engine").
struct ManifestMemo: Codable {
    /// Bump when the file's shape or what a load produces changes.
    static let format = 1

    var format: Int
    /// What the load depended on besides the disk (a digest of it).
    var key: String
    /// Each question the load asked the file system (`kind:path`) and its answer.
    var facts: [String: String]
    var result: WorkspaceLoadResult
}

extension Workspace {
    /// Loads every manifest with `severity` for a missing base model, or reuses the last load kept in
    /// the cache folder when nothing it depended on changed (``ManifestMemo``).
    func loadManifests(missingModelSeverity severity: Diagnostic.Severity) -> WorkspaceLoadResult {
        let loader = ManifestLoader(
            workspaceRoot: root, modelsDirectory: modelsDirectory, cacheDirectory: cacheDirectory,
            missingModelSeverity: severity, settings: registry.settingsBySection, tasks: registry.declarations)
        let file = stateDirectory.appendingPathComponent(severity == .error ? "manifests.json" : "manifests-check.json")
        let key = manifestMemoKey(severity)
        if let data = FileManager.default.contents(atPath: file.path),
            let memo = try? JSONDecoder().decode(ManifestMemo.self, from: data),
            memo.format == ManifestMemo.format, memo.key == key, !memo.result.diagnostics.hasErrors,
            FileFacts.stillHold(memo.facts)
        {
            return memo.result
        }
        let facts = FileFacts()
        let result = loader.loadAll(recording: facts)
        var isDirectory: ObjCBool = false
        if !result.diagnostics.hasErrors,
            FileManager.default.fileExists(atPath: stateDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue
        {
            let memo = ManifestMemo(format: ManifestMemo.format, key: key, facts: facts.recorded, result: result)
            // A cache folder that cannot be written (read-only checkout) only costs the next load its speed.
            if let data = try? JSONEncoder().encode(memo) { try? AtomicFile.write(data, to: file.path) }
        }
        return result
    }

    /// The digest of what a load depends on besides the disk: this executable, the registered task
    /// types (id, version, settings), the loader's folders and its severity for a missing base model.
    func manifestMemoKey(_ severity: Diagnostic.Severity) -> String {
        var parts = [
            "format \(ManifestMemo.format)", "executable \(Self.executableIdentity)", "root \(root.path)",
            "models \(modelsDirectory.path)", "cache \(cacheDirectory.path)", "severity \(severity.rawValue)",
        ]
        for id in registry.ids {
            guard let type = registry.taskType(id: id) else { continue }
            parts.append("task \(id) \(type.version)")
            if let schema = type.settingsSchema {
                parts.append("  settings \(schema.section) \(schema.paramsKey ?? "-")")
                for parameter in schema.parameters {
                    parts.append("    \(parameter.name) \(parameter.kind.summary) \(parameter.defaultText) \(parameter.affectsResults)")
                }
            }
            let names = Swift.type(of: type)
            parts.append("  inputs \(names.inputNames?.joined(separator: ",") ?? "-") outputs \(names.outputNames?.joined(separator: ",") ?? "-")")
        }
        return ContentHash.of(parts.joined(separator: "\n")).hex
    }

    /// The running executable's size, modification time and inode: a rebuilt binary never reuses a
    /// load an older one kept. A random value (no reuse) where it cannot be read.
    static let executableIdentity: String = {
        #if os(Linux)
            let path = "/proc/self/exe"
        #else
            let path = Bundle.main.executablePath ?? ""
        #endif
        var status = stat()
        guard stat(path, &status) == 0 else { return UUID().uuidString }
        #if os(Linux)
            let modified = "\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
        #else
            let modified = "\(status.st_mtimespec.tv_sec).\(status.st_mtimespec.tv_nsec)"
        #endif
        return "\(status.st_dev)-\(status.st_ino)-\(status.st_size)-\(modified)"
    }()
}
