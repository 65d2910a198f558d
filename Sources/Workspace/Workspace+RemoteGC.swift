import Basics
import ContentCache
import Foundation
import Planning
import RemoteCache
import RunStore

extension Workspace {
    /// Deletes from the remote cache the objects, action records and memo entries that no committed
    /// lock (and no registered model of the committed registry file) on `refs` references:
    /// `lunette cache gc --remote`. Plain `lunette cache gc` never calls it.
    ///
    /// What is kept: for every `*.lock` file of the workspace at each ref (read with `git show`), each
    /// stage's action record, its output objects (a folder's tree object and every file it names,
    /// read from this cache or the remote), and the memo entries its record names; for every version
    /// in `workflows/registry.jsonl` at each ref, its model and report. Everything else under
    /// `objects/`, `actions/` and `memo/` goes, records first (so a reader never finds a record whose
    /// objects are gone). Objects a push is uploading for a lock not yet committed are not kept: run
    /// it when no such push is under way.
    /// - Parameters:
    ///   - refs: git refs to keep; empty means every local branch and tag, and `HEAD`.
    ///   - dryRun: list what would go; delete nothing.
    /// - Throws: ``WorkspaceError`` when the workspace is not in a git work tree, a ref is unknown,
    ///   no remote is declared or it cannot list and delete, or a kept tree or record on the remote
    ///   is corrupt (then nothing is deleted).
    public func collectRemoteGarbage(refs: [String] = [], dryRun: Bool = false) async throws -> RemoteGarbageReport {
        let refs = try refs.isEmpty ? defaultGCRefs() : refs
        var locks: [Lockfile] = []
        var metrics: [RegisteredMetric] = []
        for ref in refs {
            _ = try git(["rev-parse", "--verify", "--quiet", "\(ref)^{commit}"], what: "find the git ref '\(ref)'")
            let files = try git(["ls-tree", "-r", "--name-only", ref, "--", "."], what: "list the files at \(ref)")
            let paths = files.split(separator: "\n").map(String.init)
            for path in paths where path.hasSuffix(".lock") && !path.hasPrefix("cache/") {
                let text = try git(["show", "\(ref):./\(path)"], what: "read \(path) at \(ref)")
                if let lock = try? Lockfile.parse(text, file: "\(ref):\(path)") { locks.append(lock) }
            }
            if paths.contains(RegistryFile.path) {
                let registry = try git(["show", "\(ref):./\(RegistryFile.path)"], what: "read \(RegistryFile.path) at \(ref)")
                metrics += RegistryFile.parse(registry, file: "\(ref):\(RegistryFile.path)").file.metrics
            }
        }
        return try await withRemote { remote, location in
            guard let listable = remote as? any ListableRemoteStore else {
                throw WorkspaceError(
                    .failed, "the remote cache \(location.description) cannot list or delete", remedy: "use an s3:// or folder remote")
            }
            do {
                return try await collectRemoteGarbage(
                    on: listable, location: location, refs: refs, locks: locks, metrics: metrics, dryRun: dryRun)
            } catch let error as RemoteError {
                throw WorkspaceError(.failed, error.message, remedy: error.remedy)
            }
        }
    }

    func collectRemoteGarbage(
        on remote: any ListableRemoteStore, location: RemoteLocation, refs: [String], locks: [Lockfile],
        metrics: [RegisteredMetric], dryRun: Bool
    ) async throws -> RemoteGarbageReport {
        let cache = try openCache()
        let scratch = cacheDirectory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        var keep: Set<String> = []
        var directories: Set<ContentHash> = []
        var records: Set<ContentHash> = []
        for lock in locks {
            for entry in lock.stages.values {
                records.insert(entry.key)
                for output in entry.outputs.values {
                    keep.insert(Self.objectKey(output.digest))
                    if output.kind == "directory" { directories.insert(output.digest) }
                }
            }
        }
        for metric in metrics {
            for digest in [metric.modelDigest, metric.reportDigest].compactMap({ $0 }).compactMap(ContentHash.init(parsing:)) {
                keep.insert(Self.objectKey(digest))
                directories.insert(digest)
            }
        }
        /// Bytes of `key` from the remote when they hash to `digest`; `nil` when absent; throws when corrupt.
        func fetch(_ key: String, digest: ContentHash?) async throws -> Data? {
            let file = scratch.appendingPathComponent("gc-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: file) }
            guard try await remote.download(key, to: file) else { return nil }
            let data = try Data(contentsOf: file)
            if let digest, ContentHash.of(data) != digest {
                throw WorkspaceError(
                    .failed, "\(key) on the remote \(location.description) is corrupt (it does not hash to \(digest.short)); nothing was deleted",
                    remedy: "delete that key from the remote by hand, push it again from a clone that has it, then re-run `lunette cache gc --remote`")
            }
            return data
        }
        // The files of every kept folder: from its tree object here, else from the remote's.
        for directory in directories.sorted() {
            if cache.treeEntries(of: directory) == nil {
                let file = scratch.appendingPathComponent("gc-tree-\(UUID().uuidString)")
                guard let data = try await fetch(Self.objectKey(directory), digest: directory) else { continue }
                try data.write(to: file)
                _ = try cache.adopt(downloaded: file, as: directory)
            }
            for entry in cache.treeEntries(of: directory) ?? [] { keep.insert(Self.objectKey(entry.digest)) }
        }
        // Every kept record and the memo entries it names (the manifest from here or the remote).
        for key in records.sorted() {
            keep.insert(Self.recordKey(key))
            var data = cache.recordData(for: key)
            if data == nil { data = try await fetch(Self.recordKey(key), digest: nil) }
            guard let data, let record = try? JSONDecoder().decode(ActionRecord.self, from: data), let memoDigest = record.memo else { continue }
            keep.insert(Self.memoKey(memoDigest))
            var manifestData = memo.value(for: memoDigest)
            if manifestData.flatMap({ MemoManifest.parse($0, expected: memoDigest) }) == nil {
                manifestData = try await fetch(Self.memoKey(memoDigest), digest: memoDigest)
            }
            guard let manifestData, let manifest = MemoManifest.parse(manifestData, expected: memoDigest) else { continue }
            for entry in manifest.entries { keep.insert(Self.memoKey(entry.key)) }
        }

        var report = RemoteGarbageReport(remote: location.description, refs: refs, isDryRun: dryRun)
        var doomed: [RemoteListing] = []
        for prefix in ["actions/", "memo/", "objects/"] {  // records first: a record never outlives its objects
            for item in try await remote.list(prefix: prefix).sorted(by: { $0.key < $1.key }) {
                if keep.contains(item.key) {
                    report.keptCount += 1
                    report.keptBytes += item.size
                } else {
                    doomed.append(item)
                }
            }
        }
        if !dryRun {
            for prefix in ["actions/", "memo/", "objects/"] {
                let batch = doomed.filter { $0.key.hasPrefix(prefix) }
                _ = try await Self.bounded(batch, limit: remoteJobs()) { item in try await remote.delete(item.key) }
            }
        }
        report.removed = doomed
        return report
    }

    /// Every local branch and tag, and `HEAD` (when it names a commit).
    func defaultGCRefs() throws -> [String] {
        let listing = try git(["for-each-ref", "--format=%(refname)", "refs/heads", "refs/tags"], what: "list the branches and tags")
        var refs = listing.split(separator: "\n").map(String.init)
        if (try? git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], what: "find HEAD")) != nil { refs.append("HEAD") }
        return refs
    }
}

/// What `lunette cache gc --remote` kept and removed (or would remove, with `--dry-run`).
public struct RemoteGarbageReport: Sendable {
    public var remote: String
    /// The git refs whose committed locks were kept.
    public var refs: [String]
    public var isDryRun: Bool
    public var keptCount = 0
    public var keptBytes: Int64 = 0
    /// The keys removed (or that would be), records first.
    public var removed: [RemoteListing] = []

    public var removedBytes: Int64 { removed.reduce(0) { $0 + $1.size } }

    public init(remote: String, refs: [String], isDryRun: Bool) {
        self.remote = remote
        self.refs = refs
        self.isDryRun = isDryRun
    }
}
