import Basics
import ContentCache
import Foundation
import Planning
import RunStore

#if canImport(Glibc)
import Glibc
#endif

/// What several workspaces sharing one content cache (`$LUNETTE_CACHE`) need so that `cache gc` in
/// one never removes what another still needs.
///
/// - Every workspace that runs against a cache records itself there: `<cache>/workspaces/<sha256 of
///   its path>` holds its absolute path and, on a second line, its id (`id <uuid>`, kept in
///   `cache/workspace-id` inside the workspace), and the file's modification time says when it
///   last ran.
/// - A recorded workspace that is gone but has this workspace's id is this workspace at its old
///   path (it was moved): it is forgotten, since this workspace's own roots are kept anyway. So is
///   a gone one recorded without an id (by an older Lunette) in a cache private to this workspace
///   (`cache/`, not `$LUNETTE_CACHE`), which moved with it. A copy takes a new id at its first run
///   while its original is still recorded and there, so a copy is never taken for its original
///   moved away.
/// - `cache gc` keeps, besides its own workspace's roots, every root of each recorded workspace:
///   the action keys in its `workflows/*.lock` files (and their outputs), the keys its store saw in
///   the last 14 days and its registered models and reports. A recorded workspace that is gone and
///   has not run for 14 days is forgotten; one that is gone but ran more recently stops the
///   collection (its needs can't be read), saying how to forget it.
/// - `<cache>/gc.lock` is held shared by every invocation that writes to the cache (`run`, `verify`,
///   `cache verify`) and exclusively by `cache gc`, so a collection never runs while any workspace
///   sharing the cache is between publishing an object and recording it.
extension Workspace {
    /// The folder in the cache where workspaces using it record themselves.
    var cacheWorkspacesDirectory: URL { cacheDirectory.appendingPathComponent("workspaces") }

    /// Takes `<cache>/gc.lock`: shared for invocations that publish, exclusive for `cache gc`.
    ///
    /// - Returns: the held lock, or `nil` when the cache's file system is read-only (nothing can be
    ///   published or collected there, so there is nothing to serialise).
    func acquireCacheLock(exclusive: Bool, command: String, onWait: (String) -> Void) throws -> FileLock? {
        try FileManager.default.createDirectoryIfNeeded(atPath: cacheDirectory.path)
        let lock = FileLock(path: cacheDirectory.appendingPathComponent("gc.lock").path)
        do {
            if exclusive {
                if try lock.tryLock(describing: command) { return lock }
                onWait("invocations of the workspaces sharing the cache \(cacheDirectory.path)")
                try lock.lock(describing: command)
            } else {
                if try lock.lockShared(wait: false) { return lock }
                onWait((lock.holderDescription() ?? "lunette cache gc") + ", collecting the shared cache")
                _ = try lock.lockShared(wait: true)
            }
            return lock
        } catch let error as FileSystemError where error.errno == EROFS {
            return nil
        }
    }

    /// Records this workspace in the cache it uses, so `cache gc` in another workspace sharing the
    /// cache keeps what this one needs. Best effort: a read-only cache is left alone.
    func recordInCache() {
        let path = root.resolvingSymlinksInPath().path
        let file = cacheWorkspacesDirectory.appendingPathComponent(ContentHash.of(path).hex).path
        var id = workspaceID(creating: true)
        if let current = id, workspacesSharingCache().contains(where: { other in
            other.id == current && FileManager.default.fileExists(atPath: other.root.appendingPathComponent("workflows").path)
        }) {
            // A copy of a workspace that is still there: it takes an id of its own, or a `cache gc`
            // here could later take the original, once moved away, for this workspace at its old path.
            id = workspaceID(creating: true, renew: true)
        }
        let text = Data((path + "\n" + (id.map { "id \($0)\n" } ?? "")).utf8)
        if FileManager.default.contents(atPath: file) == text {
            try? FileManager.default.setAttributes([.modificationDate: now()], ofItemAtPath: file)
        } else {
            try? AtomicFile.write(text, to: file)
        }
    }

    /// This workspace's id (`cache/workspace-id`: a random UUID, made by its first run), which moves
    /// with the folder; `nil` when it has none and `creating` is false or it can't be written.
    /// - Parameter renew: replace the id with a new one (a copy that found its original).
    func workspaceID(creating: Bool = false, renew: Bool = false) -> String? {
        let file = stateDirectory.appendingPathComponent("workspace-id").path
        if !renew, let data = FileManager.default.contents(atPath: file) {
            let id = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if UUID(uuidString: id) != nil { return id }
        }
        guard creating else { return nil }
        let id = UUID().uuidString.lowercased()
        guard (try? AtomicFile.write(Data((id + "\n").utf8), to: file)) != nil else { return nil }
        return id
    }

    /// The other workspaces recorded in this workspace's cache, with when each last ran and the id
    /// it recorded (`nil` for records written by an older Lunette).
    public func workspacesSharingCache() -> [(root: URL, lastRun: Date, record: URL, id: String?)] {
        let ownPath = root.resolvingSymlinksInPath().path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cacheWorkspacesDirectory.path)) ?? []
        return names.sorted().compactMap { name in
            guard ContentHash(hex: name) != nil else { return nil }
            let record = cacheWorkspacesDirectory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: record.path) else { return nil }
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard let path = lines.first, !path.isEmpty, path != ownPath else { return nil }
            let id = lines.dropFirst().first { $0.hasPrefix("id ") }.map { String($0.dropFirst(3)) }
            let modified = (try? FileManager.default.attributesOfItem(atPath: record.path)[.modificationDate] as? Date) ?? nil
            return (URL(fileURLWithPath: path), modified ?? .distantPast, record, id)
        }
    }

    /// What the other workspaces sharing the cache need kept: action keys and objects.
    ///
    /// - Parameter forget: whether to remove the records of workspaces that are gone and have not
    ///   run for ``gcRecentWindow`` (false for a dry run).
    /// - Throws: ``WorkspaceError`` when a workspace that ran recently is gone, or its lock files or
    ///   store can't be read: collecting then could remove what it needs.
    func sharedCacheRoots(forget: Bool) throws -> (keys: Set<ContentHash>, objects: Set<ContentHash>, workspaces: [URL]) {
        var keys: Set<ContentHash> = []
        var objects: Set<ContentHash> = []
        var workspaces: [URL] = []
        let since = now().addingTimeInterval(-Workspace.gcRecentWindow)
        let ownID = workspaceID()
        let privateCache = cacheDirectory.standardizedFileURL.path == stateDirectory.standardizedFileURL.path
        for other in workspacesSharingCache() {
            var isDirectory: ObjCBool = false
            let workflows = other.root.appendingPathComponent("workflows")
            guard FileManager.default.fileExists(atPath: workflows.path, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                // This workspace at its old path (moved or copied): its roots are this workspace's own.
                let isSelf = other.id.map { $0 == ownID } ?? privateCache
                if other.lastRun < since || isSelf {
                    if forget { try? FileManager.default.removeItem(at: other.record) }
                    continue
                }
                throw WorkspaceError(
                    .failed,
                    "the workspace \(other.root.path) shares the cache \(cacheDirectory.path) and ran recently, but is not there: "
                        + "cache gc can't tell what it still needs",
                    remedy: "make it reachable at that path and re-run, or forget it: rm \(other.record.path)")
            }
            workspaces.append(other.root)
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: workflows.path)) ?? []).sorted()
            where name.hasSuffix(".lock") {
                let file = workflows.appendingPathComponent(name)
                let lock: Lockfile
                do {
                    lock = try Lockfile.parse(try String(contentsOf: file, encoding: .utf8), file: file.path)
                } catch {
                    throw WorkspaceError(
                        .failed, "cannot read \(file.path), a lock of a workspace sharing this cache: \(error)",
                        remedy: "fix or remove that lock file, then re-run cache gc")
                }
                for entry in lock.stages.values {
                    keys.insert(entry.key)
                    objects.formUnion(entry.outputs.values.map(\.digest))
                }
            }
            let storePath = other.root.appendingPathComponent("cache/lunette.sqlite")
            guard FileManager.default.fileExists(atPath: storePath.path) else { continue }
            let store = try RunStore(path: storePath)
            defer { try? store.close() }
            for text in try store.actionKeysUsed(since: since) {
                if let key = ContentHash(parsing: text) { keys.insert(key) }
            }
            for metric in try store.registeredMetrics() {
                for digest in [metric.modelDigest, metric.reportDigest].compactMap({ $0 }) {
                    if let hash = ContentHash(parsing: digest) { objects.insert(hash) }
                }
            }
        }
        return (keys, objects, workspaces)
    }
}
