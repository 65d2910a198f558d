import Basics
import ContentCache
import Foundation
import Planning
import WorkflowModel

extension Workspace {
    /// Rewrites each project's committed scores file (``ScoresFile``) from the evaluation reports its
    /// lock points at; called by `run` after the locks are written.
    ///
    /// An entry whose report digest is unchanged is kept as it is; a report that is not in this
    /// cache keeps the old entry only when it is that report's. A file is written atomically, only
    /// when its text changes, and only when it has entries or already exists.
    /// - Returns: the workspace-relative paths of the files that changed.
    func updateScoresFiles(projects: [Project], locks: [String: Lockfile], cache: ContentCache) throws -> [String] {
        var changed: [String] = []
        for project in projects {
            let path = root.appendingPathComponent(project.scoresPath).path
            let existingData = FileManager.default.contents(atPath: path)
            let before = existingData.flatMap { try? ScoresFile.parse($0, file: project.scoresPath) }
            let lock = locks[project.name] ?? Lockfile(project: project.name)
            var file = ScoresFile(project: project.name)
            for run in project.runs {
                let evaluate = StageID(project: project.name, run: run.name, stage: "evaluate")
                guard let report = lock.stages[evaluate]?.outputs["report"] else { continue }
                let digest = report.digest.description
                if let old = before?.runs[run.name], old.reportDigest == digest,
                    old.values["gate"] == .object(run.gate)
                {
                    file.runs[run.name] = old
                } else if let data = cache.fileData(at: "report.json", inDirectory: report.digest),
                    let json = try? JSONValue.parse(data)
                {
                    file.runs[run.name] = RunScores(report: json, reportDigest: digest, gate: run.gate)
                }
            }
            guard !file.runs.isEmpty || existingData != nil else { continue }
            let text = file.rendered
            if existingData != Data(text.utf8) {
                try AtomicFile.write(Data(text.utf8), to: path)
                changed.append(project.scoresPath)
            }
        }
        return changed
    }

    /// The scores files that do not hold the scores of the evaluation reports their locks record:
    /// a run's entry missing, from another report, or for a run the lock has no evaluation of. A
    /// project without a scores file is not checked.
    func staleScoresFiles(projects: [Project], locks: [String: Lockfile]) throws -> [StaleFile] {
        var stale: [StaleFile] = []
        for project in projects {
            let lock = locks[project.name] ?? Lockfile(project: project.name)
            var expected: [String: String] = [:]
            for (id, entry) in lock.stages where id.stage == "evaluate" {
                if let report = entry.outputs["report"] { expected[id.run] = report.digest.description }
            }
            let data = FileManager.default.contents(atPath: root.appendingPathComponent(project.scoresPath).path)
            // A workspace that does not commit scores files is not checked for them.
            guard let data else { continue }
            let file: ScoresFile
            do {
                file = try ScoresFile.parse(data, file: project.scoresPath)
            } catch {
                stale.append(StaleFile(path: project.scoresPath, reason: "\(error); `lunette run` rewrites it"))
                continue
            }
            var problems: [String] = []
            for (run, digest) in expected.sorted(by: { $0.key < $1.key }) where file.runs[run]?.reportDigest != digest {
                problems.append(file.runs[run] == nil ? "\(run) has no entry" : "\(run)'s scores are not from the locked report")
            }
            for run in file.runs.keys.sorted() where expected[run] == nil {
                problems.append("\(run) has scores but no evaluation in the lock")
            }
            if !problems.isEmpty {
                stale.append(StaleFile(
                    path: project.scoresPath,
                    reason: problems.joined(separator: "; ") + ": run `lunette run` and commit it with \(project.lockPath)"))
            }
        }
        return stale
    }

    /// The scores files in the working tree (every `workflows/*.scores.json`), by project name.
    /// - Throws: ``WorkspaceError`` when a file exists but cannot be read as a scores file.
    public func scoresFiles() throws -> [String: ScoresFile] {
        let folder = root.appendingPathComponent("workflows")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        var files: [String: ScoresFile] = [:]
        for name in names where name.hasSuffix(".scores.json") {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { continue }
            let file = try ScoresFile.parse(data, file: "workflows/\(name)")
            files[file.project] = file
        }
        return files
    }

    /// The scores files committed at git revision `revision` (a commit, branch or tag), by project
    /// name: every `workflows/*.scores.json` of that revision's tree, read with `git show`.
    /// - Throws: ``WorkspaceError`` when git is missing, this is not a git work tree, or `revision` is unknown.
    public func scoresFiles(atRevision revision: String) throws -> [String: ScoresFile] {
        let listing = try git(["ls-tree", "--name-only", "\(revision):./workflows"], what: "list workflows/ at \(revision)",
                              missingIsEmpty: true)
        var files: [String: ScoresFile] = [:]
        for name in listing.split(separator: "\n").map(String.init) where name.hasSuffix(".scores.json") {
            let data = try git(["show", "\(revision):./workflows/\(name)"], what: "read workflows/\(name) at \(revision)")
            let file = try ScoresFile.parse(Data(data.utf8), file: "\(revision):workflows/\(name)")
            files[file.project] = file
        }
        return files
    }

    /// Runs `git ARGUMENTS` in the workspace root and returns its standard output.
    /// - Parameter missingIsEmpty: a path that does not exist at the revision gives "" instead of an error.
    func git(_ arguments: [String], what: String, missingIsEmpty: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = root
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw WorkspaceError(.failed, "cannot \(what): git could not be started (\(error))", remedy: "install git")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            if missingIsEmpty && (message.contains("does not exist") || message.contains("not a tree object")) {
                return ""
            }
            throw WorkspaceError(
                .failed, "cannot \(what): \(message.isEmpty ? "git exited \(process.terminationStatus)" : message)",
                remedy: message.contains("not a git repository")
                    ? "run it in a git work tree" : "name a commit, branch or tag that exists (`git log --oneline`)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
