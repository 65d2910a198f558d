import Basics
import Foundation
import ManifestLoading
import Synchronization
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
/// the load saves a no-op `lunette run` of 1,400 stages about 0.3 s of YAML parsing and checking
/// (BENCHMARKS.md, "Workflow engine"). The runs are kept 25 to a line and decoded in parallel, while
/// another thread asks the file system its questions again.
struct ManifestMemo {
    /// Bump when the file's shape or what a load produces changes.
    static let format = 2
    /// Runs per line of the file: lines are decoded in parallel.
    static let runsPerChunk = 25

    var format: Int
    /// What the load depended on besides the disk (a digest of it).
    var key: String
    /// Each question the load asked the file system (`kind:path`) and its answer.
    var facts: [String: String]
    var result: WorkspaceLoadResult

    /// The file's first line: everything but the runs, and how many runs of which project each later
    /// line holds.
    private struct Header: Codable {
        var format: Int
        var key: String
        var facts: [String: String]
        var diagnostics: [Diagnostic]
        /// The projects with their runs left out.
        var projects: [Project]
        /// Per later line: the index of its project and its number of runs.
        var chunks: [[Int]]
    }

    /// The file's bytes: a JSON header line, then one JSON array of runs per line (JSON text has no
    /// raw line break), so a large workspace's runs decode on every core.
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var chunks: [[Int]] = []
        var lines: [Data] = []
        for (index, project) in result.projects.enumerated() {
            var start = 0
            while start < project.runs.count {
                let end = min(start + Self.runsPerChunk, project.runs.count)
                chunks.append([index, end - start])
                lines.append(try encoder.encode(Array(project.runs[start..<end])))
                start = end
            }
        }
        let header = Header(
            format: format, key: key, facts: facts, diagnostics: result.diagnostics,
            projects: result.projects.map { var project = $0; project.runs = []; return project }, chunks: chunks)
        var data = try encoder.encode(header)
        for line in lines {
            data.append(UInt8(ascii: "\n"))
            data.append(line)
        }
        return data
    }

    /// The memo in `data` when it has this build's format and `key` and everything it recorded still
    /// holds on disk (``ManifestLoading/FileFacts/stillHold(_:)``, checked while the runs decode);
    /// otherwise `nil`.
    static func reusable(from data: Data, key: String) -> ManifestMemo? {
        let bytes = [UInt8](data)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            lines.append(bytes[start..<end])
            start = end + 1
        }
        guard let first = lines.first, let header = try? JSONDecoder().decode(Header.self, from: Data(first)),
            header.format == format, header.key == key, !header.diagnostics.hasErrors,
            header.chunks.count == lines.count - 1,
            header.chunks.allSatisfy({ $0.count == 2 && header.projects.indices.contains($0[0]) })
        else { return nil }
        let runLines = lines.dropFirst().map { Data($0) }
        // Iteration 0 asks the file system again; the others each decode one line of runs.
        let decoded = Mutex([[Run]?](repeating: nil, count: header.chunks.count))
        let holds = Mutex(false)
        DispatchQueue.concurrentPerform(iterations: header.chunks.count + 1) { iteration in
            if iteration == 0 {
                let answer = FileFacts.stillHold(header.facts)
                holds.withLock { $0 = answer }
            } else if let runs = try? JSONDecoder().decode([Run].self, from: runLines[iteration - 1]),
                runs.count == header.chunks[iteration - 1][1]
            {
                decoded.withLock { $0[iteration - 1] = runs }
            }
        }
        guard holds.withLock({ $0 }) else { return nil }
        var projects = header.projects
        for (chunk, runs) in zip(header.chunks, decoded.withLock { $0 }) {
            guard let runs else { return nil }
            projects[chunk[0]].runs += runs
        }
        return ManifestMemo(
            format: header.format, key: header.key, facts: header.facts,
            result: WorkspaceLoadResult(projects: projects, diagnostics: header.diagnostics))
    }
}

extension Workspace {
    /// Loads every manifest with `severity` for a missing base model, or reuses the last load kept in
    /// the cache folder when nothing it depended on changed (``ManifestMemo``).
    func loadManifests(missingModelSeverity severity: Diagnostic.Severity) -> WorkspaceLoadResult {
        loadManifestsRecordingFacts(missingModelSeverity: severity).result
    }

    /// ``loadManifests(missingModelSeverity:)``, with every question the load asked the file system
    /// and its answer (``ManifestLoading/FileFacts``; the kept load's when it was reused).
    func loadManifestsRecordingFacts(missingModelSeverity severity: Diagnostic.Severity)
        -> (result: WorkspaceLoadResult, facts: [String: String])
    {
        let loader = ManifestLoader(
            workspaceRoot: root, modelsDirectory: modelsDirectory, cacheDirectory: cacheDirectory,
            missingModelSeverity: severity, settings: registry.settingsBySection, tasks: registry.declarations)
        let file = stateDirectory.appendingPathComponent(severity == .error ? "manifests.json" : "manifests-check.json")
        let key = manifestMemoKey(severity)
        if let data = FileManager.default.contents(atPath: file.path), let memo = ManifestMemo.reusable(from: data, key: key) {
            return (memo.result, memo.facts)
        }
        let facts = FileFacts()
        let result = loader.loadAll(recording: facts)
        var isDirectory: ObjCBool = false
        if !result.diagnostics.hasErrors,
            FileManager.default.fileExists(atPath: stateDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue
        {
            let memo = ManifestMemo(format: ManifestMemo.format, key: key, facts: facts.recorded, result: result)
            // A cache folder that cannot be written (read-only checkout) only costs the next load its speed.
            if let data = try? memo.encoded() { try? AtomicFile.write(data, to: file.path) }
        }
        return (result, facts.recorded)
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
