import Basics
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ContentCache {
    /// Moves an object to `quarantine/<hex>.<n>`, where `n` is the first free counter.
    ///
    /// Quarantined objects are kept for inspection until the next garbage collection.
    /// - Throws: ``CacheError`` (`.missing` when there is no such object, `.io`).
    public func quarantine(_ digest: ContentHash) throws {
        let source = objectPath(digest)
        guard FileIO.linkStatus(source) != nil else {
            throw CacheError(.missing, "no object \(digest.short) to quarantine", path: source, remedy: "nothing to do")
        }
        var counter = 0
        while true {
            let target = "\(quarantinePath)/\(digest.hex).\(counter)"
            // link + unlink never replaces an earlier quarantined copy (rename would).
            if link(source, target) == 0 {
                unlink(source)
                break
            }
            if errno == EEXIST {
                counter += 1
                continue
            }
            if errno == ENOENT { return }  // another process quarantined it first
            if FileIO.linkStatus(target) == nil, rename(source, target) == 0 { break }  // no hard links here
            throw FileIO.ioError("cannot move to quarantine", path: source)
        }
        AtomicFile.syncDirectory(quarantinePath)
        AtomicFile.syncDirectory((source as NSString).deletingLastPathComponent)
    }

    /// Removes index entries not named in `keys`, every object they don't reach, stale temporary files
    /// and quarantined objects.
    ///
    /// A kept record reaches its output objects and, for directories, the tree object's entries.
    /// Temporary files (in `tmp/` and the `index/` shards) modified after `staleBefore` are kept: a
    /// publish may be in progress. Run it while holding the workspace lock; a workspace sharing the
    /// cache loses the records it did not name.
    ///
    /// - Parameters:
    ///   - keys: The action keys to keep, e.g. from the store's recent invocations.
    ///   - dryRun: When `true`, nothing is removed; the report says what would be.
    ///   - staleBefore: Temporary files older than this are removed; by default one hour ago.
    /// - Returns: Every file looked at, kept or removed, with a reason and its size.
    public func collectGarbage(
        keepingRecords keys: Set<ContentHash>, keepingObjects roots: Set<ContentHash> = [], dryRun: Bool,
        staleBefore: Date = Date(timeIntervalSinceNow: -3600)
    ) throws -> GarbageReport {
        var kept: [GarbageReport.Item] = []
        var removed: [GarbageReport.Item] = []
        var reachable = Set<ContentHash>()
        // Objects kept for their own sake (registered models and reports), with a tree's entries.
        for root in roots {
            reachable.insert(root)
            if let tree = try? readTreeUnverified(root) { reachable.formUnion(tree.entries.map(\.digest)) }
        }
        func temporary(_ file: CacheFile) {
            let item = GarbageReport.Item(kind: .temporary, path: relative(file.path), bytes: file.size, reason: "")
            if file.modified < staleBefore {
                removed.append(with(item) { $0.reason = "stale temporary file" })
            } else {
                kept.append(with(item) { $0.reason = "recent temporary file (a publish may be in progress)" })
            }
        }
        for file in try files(under: indexPath) {
            if file.name.hasPrefix(".tmp-") {
                temporary(file)
                continue
            }
            guard let key = Self.indexKey(file.name) else { continue }  // not ours: leave it alone
            var item = GarbageReport.Item(kind: .record, path: relative(file.path), bytes: file.size, reason: "")
            guard keys.contains(key) else {
                item.reason = "record not in the keep set"
                removed.append(item)
                continue
            }
            guard let data = try? FileIO.readAll(file.path),
                let record = try? JSONDecoder().decode(ActionRecord.self, from: data)
            else {
                item.reason = "unreadable record"
                removed.append(item)
                continue
            }
            item.reason = "record in the keep set"
            kept.append(item)
            for output in record.outputs.values {
                reachable.insert(output.digest)
                if output.kind == .directory, let tree = try? readTreeUnverified(output.digest) {
                    reachable.formUnion(tree.entries.map(\.digest))
                }
            }
        }
        for file in try files(under: objectsPath) {
            guard let digest = ContentHash(hex: file.name) else { continue }
            var item = GarbageReport.Item(kind: .object, path: relative(file.path), bytes: file.size, reason: "")
            if reachable.contains(digest) {
                item.reason = "reachable from a kept record"
                kept.append(item)
            } else {
                item.reason = "unreachable"
                removed.append(item)
            }
        }
        for file in try files(in: tmpPath) { temporary(file) }
        for file in try files(in: quarantinePath) {
            removed.append(.init(kind: .quarantined, path: relative(file.path), bytes: file.size, reason: "quarantined"))
        }
        if !dryRun {
            for item in removed {
                let path = rootPath + "/" + item.path
                guard unlink(path) == 0 || errno == ENOENT else { throw FileIO.ioError("cannot remove", path: path) }
            }
        }
        return GarbageReport(isDryRun: dryRun, kept: kept, removed: removed)
    }

    /// Rehashes every object, quarantines the corrupt ones, and drops index entries that can no
    /// longer be satisfied (an output or tree entry missing or corrupt, or the entry unreadable).
    /// - Throws: ``CacheError`` (`.io`) when an object or folder can't be read.
    /// - Complexity: O(*n*) in the total size of the objects.
    public func verifyAll() throws -> VerifyReport {
        var corrupt: [ContentHash] = []
        var dropped: [ContentHash] = []
        var stray: [String] = []
        var checked = 0
        var bytes: Int64 = 0
        for file in try files(under: objectsPath) {
            guard let digest = ContentHash(hex: file.name) else {
                stray.append(relative(file.path))
                continue
            }
            let actual: (digest: ContentHash, size: Int64)
            do {
                actual = try FileIO.hash(file.path)
            } catch CacheError.Code.missing {
                continue  // removed while we looked
            }
            checked += 1
            bytes += actual.size
            if actual.digest != digest {
                try quarantine(digest)
                corrupt.append(digest)
            }
        }
        for file in try files(under: indexPath) where !file.name.hasPrefix(".tmp-") {
            guard let key = Self.indexKey(file.name) else {
                stray.append(relative(file.path))
                continue
            }
            guard let data = try? FileIO.readAll(file.path),
                let record = try? JSONDecoder().decode(ActionRecord.self, from: data), record.key == key,
                record.outputs.values.allSatisfy(isSatisfiable)
            else {
                try removeRecord(for: key)
                dropped.append(key)
                continue
            }
        }
        return VerifyReport(
            objectsChecked: checked, bytesChecked: bytes, corrupt: corrupt, droppedRecords: dropped, strayFiles: stray)
    }

    /// Whether an output's object, and for a directory every entry's object, exists with its size.
    private func isSatisfiable(_ ref: ArtifactRef) -> Bool {
        guard hasObject(ref) else { return false }
        guard ref.kind == .directory else { return true }
        guard let tree = try? readTreeUnverified(ref.digest) else { return false }
        return tree.entries.allSatisfy { hasObject(ArtifactRef(digest: $0.digest, size: $0.size, kind: .file)) }
    }

    private func readTreeUnverified(_ digest: ContentHash) throws -> TreeManifest {
        try TreeManifest.parse(FileIO.readAll(objectPath(digest)), objectPath: objectPath(digest))
    }

    /// The key named by an index file name `<64 hex>.json`.
    static func indexKey(_ name: String) -> ContentHash? {
        guard name.hasSuffix(".json") else { return nil }
        return ContentHash(hex: String(name.dropLast(5)))
    }

    struct CacheFile {
        var name: String
        var path: String
        var size: Int64
        var modified: Date
    }

    /// Regular files directly in `folder`, sorted by name.
    func files(in folder: String) throws -> [CacheFile] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            throw CacheError(.io, "cannot list folder", path: folder, remedy: "check its permissions", cause: error)
        }
        return names.compactMap { name in
            let path = folder + "/" + name
            guard let status = FileIO.linkStatus(path), FileIO.isRegular(status) else { return nil }
            let modified = Date(
                timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec) + TimeInterval(status.st_mtim.tv_nsec) / 1e9)
            return CacheFile(name: name, path: path, size: Int64(status.st_size), modified: modified)
        }
    }

    /// Regular files in the two-hex-digit shard folders of `folder`, sorted by path.
    func files(under folder: String) throws -> [CacheFile] {
        let shards = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        var result: [CacheFile] = []
        for shard in shards where shard.utf8.count == 2 {
            let path = folder + "/" + shard
            guard let status = FileIO.linkStatus(path), FileIO.isDirectory(status) else { continue }
            result += try files(in: path)
        }
        return result
    }
}

/// Returns a modified copy of `value`.
private func with<T>(_ value: T, _ change: (inout T) -> Void) -> T {
    var copy = value
    change(&copy)
    return copy
}
