import Basics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A content-addressed artifact store on disk, with an index from action keys to recorded outputs.
///
/// The cache answers "can I skip this stage?": ``record(for:)`` returns the outputs a stage with the
/// same action key produced before, and only when every output object is still present. Objects are
/// named by the SHA-256 of their bytes, so they are immutable and shared between stages, runs and
/// workspaces that point at the same root (`cache/` or `$LUNETTE_CACHE`).
///
/// ```swift
/// let cache = try ContentCache(root: URL(fileURLWithPath: "cache"))
/// let rows = try cache.publish(fileAt: URL(fileURLWithPath: "out/rows.jsonl"))
/// try cache.store(ActionRecord(key: key, task: "load-dataset", taskVersion: 1,
///                              stage: "support/toxicity-v1/load", outputs: ["rows": rows]))
/// if let hit = cache.record(for: key), let rows = hit.outputs["rows"] {
///     try cache.materialize(rows, at: destination)   // verified while copying
/// }
/// ```
///
/// ## Layout
/// ```
/// <root>/objects/ab/<64 hex>        immutable blobs (mode 0444), sharded by the first 2 hex digits
/// <root>/index/ab/<64 hex>.json     action key → ActionRecord (sorted-key JSON)
/// <root>/tmp/                       staging for objects being published (<pid>-<random>)
/// <root>/quarantine/<64 hex>.<n>    objects whose bytes did not match their name, moved aside
/// ```
/// A **file** artifact is one object. A **directory** artifact is one object per regular file plus a
/// *tree object*, canonical JSON (``Basics/JSONValue``) listing the files sorted by path:
/// `{"entries":[{"digest":"sha256:…","executable":true,"path":"bin/run.sh","size":120}]}`.
/// The tree object's digest names the directory. Empty folders are not recorded; symlinks inside the
/// directory are stored as copies of their targets; symlinks leading outside it are rejected.
///
/// ## Guarantees
/// - **Crash safety.** An object is written to `tmp/`, fsynced, made read-only, renamed into
///   `objects/` and the shard folder fsynced, so a SIGKILL or power cut at any moment leaves either
///   no object or a complete one. Index entries are replaced with ``Basics/AtomicFile``. Stray
///   temporary files are ignored and removed by ``collectGarbage(keepingRecords:dryRun:staleBefore:)``.
/// - **Concurrency.** Processes sharing a root may publish the same object at once: both succeed and
///   one copy remains. Nothing takes a lock; `rename(2)` is the only commit point.
/// - **Integrity.** Bytes are hashed while they are copied (read once, 1 MiB at a time).
///   ``materialize(_:at:)`` re-verifies every byte it places and never places wrong ones; a mismatch
///   moves the object to `quarantine/` and throws ``CacheError/Code/corrupt``. ``hasObject(_:)`` and
///   ``record(for:)`` are cheap (existence and size only); ``verify(_:)`` and ``verifyAll()`` rehash.
///
/// Rejected alternatives: hard links or reflinks when materializing (a user editing an output would
/// corrupt the cache), a lock around publishing (rename is already atomic), and storing directories as
/// archives (per-file objects deduplicate unchanged files between versions).
///
/// ## Topics
/// ### Publishing
/// - ``publish(fileAt:)``, ``publish(directoryAt:)``, ``publish(data:)``
/// ### Reading
/// - ``hasObject(_:)``, ``objectURL(_:)``, ``verify(_:)``, ``materialize(_:at:)``
/// ### The action index
/// - ``record(for:)``, ``store(_:)``, ``removeRecord(for:)``
/// ### Maintenance
/// - ``quarantine(_:)``, ``collectGarbage(keepingRecords:dryRun:staleBefore:)``, ``verifyAll()``
public final class ContentCache: Sendable {
    /// The cache's root folder.
    public let root: URL
    let rootPath: String
    let objectsPath: String
    let indexPath: String
    let tmpPath: String
    let quarantinePath: String

    /// Opens the cache at `root`, creating `objects/`, `index/`, `tmp/` and `quarantine/` as needed.
    /// - Throws: ``CacheError`` (`.io`) when a folder can't be created.
    public init(root: URL) throws {
        self.root = root
        rootPath = root.standardizedFileURL.path
        objectsPath = rootPath + "/objects"
        indexPath = rootPath + "/index"
        tmpPath = rootPath + "/tmp"
        quarantinePath = rootPath + "/quarantine"
        do {
            try FileManager.default.createDirectoryIfNeeded(atPath: rootPath)
        } catch {
            throw CacheError(
                .io, "cannot create the cache folder", path: rootPath,
                remedy: "check the permissions of its parent, or point LUNETTE_CACHE elsewhere", cause: error)
        }
        for path in [objectsPath, indexPath, tmpPath, quarantinePath] { try FileIO.makeDirectory(path) }
    }

    /// The file that holds (or would hold) the object named `digest`.
    public func objectURL(_ digest: ContentHash) -> URL { URL(fileURLWithPath: objectPath(digest), isDirectory: false) }  // no stat to ask

    /// Whether the object for `ref` exists with the recorded size (for a directory: its tree object).
    ///
    /// Cheap: one `stat`, no hashing. Use ``verify(_:)`` to rehash.
    public func hasObject(_ ref: ArtifactRef) -> Bool {
        guard let status = FileIO.status(objectPath(ref.digest)) else { return false }
        return FileIO.isRegular(status) && Int64(status.st_size) == ref.size
    }

    // MARK: Paths

    func shard(_ hex: String) -> String { String(hex.prefix(2)) }

    func objectPath(_ digest: ContentHash) -> String { "\(objectsPath)/\(shard(digest.hex))/\(digest.hex)" }

    func indexEntryPath(_ key: ContentHash) -> String { "\(indexPath)/\(shard(key.hex))/\(key.hex).json" }

    /// The file that holds (or would hold) the index entry for the action key `key`.
    public func indexEntryURL(_ key: ContentHash) -> URL { URL(fileURLWithPath: indexEntryPath(key), isDirectory: false) }

    /// `path` relative to the root, for reports.
    func relative(_ path: String) -> String {
        path.hasPrefix(rootPath + "/") ? String(path.dropFirst(rootPath.count + 1)) : path
    }
}
