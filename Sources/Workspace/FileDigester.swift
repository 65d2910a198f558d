import Basics
import Foundation
import RunStore

#if canImport(Glibc)
import Glibc
#endif

/// Digests workspace files by content, skipping files whose `stat` fields are unchanged.
///
/// The stat cache (in the store) maps a path to its size, mtime, ctime and inode and the digest
/// they vouch for. A file whose fields all match — and whose entry is not *racy* (recorded within
/// 2 s of the file's mtime, git's rule) — reuses its digest without being read. Anything else is
/// re-hashed, so a fresh `git clone` (new mtimes, same bytes) re-reads files once and finds every
/// digest unchanged: content, not timestamps, decides what is stale.
///
/// A folder's digest is the SHA-256 of the canonical JSON list of its regular files' relative
/// paths and digests (sorted), so renaming or changing any file inside changes it.
final class FileDigester: @unchecked Sendable {
    private let root: URL
    private let store: RunStore
    private let now: @Sendable () -> Date
    private let lock = NSLock()
    private var entries: [String: StatEntry]
    private var updated: [String: StatEntry] = [:]

    init(root: URL, store: RunStore, now: @escaping @Sendable () -> Date) {
        self.root = root
        self.store = store
        self.now = now
        self.entries = (try? store.statEntries()) ?? [:]
    }

    /// The digest of a workspace-relative (or absolute) path, or `nil` when it does not exist.
    func digest(of path: String) -> ContentHash? {
        let absolute = path.hasPrefix("/") ? path : root.path + "/" + path
        var info = stat()
        guard stat(absolute, &info) == 0 else { return nil }
        if (info.st_mode & S_IFMT) == S_IFDIR { return directoryDigest(absolute, key: path) }
        return fileDigest(absolute, key: path, info: info)
    }

    /// Saves the stat entries learnt since the last save, in one transaction.
    func save() {
        let pending: [StatEntry] = lock.withLock {
            let values = Array(updated.values)
            updated.removeAll()
            return values
        }
        if !pending.isEmpty { try? store.saveStatEntries(pending.sorted { $0.path < $1.path }) }
    }

    private func fileDigest(_ absolute: String, key: String, info: stat) -> ContentHash? {
        let size = Int64(info.st_size)
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let ctime = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        let inode = UInt64(info.st_ino)
        if let entry = lock.withLock({ entries[key] }), entry.matches(size: size, mtimeNs: mtime, ctimeNs: ctime, inode: inode) {
            return entry.digest
        }
        guard let (digest, _) = try? ContentHash.ofFile(at: absolute) else { return nil }
        let recorded = Int64(now().timeIntervalSince1970 * 1e9)
        let entry = StatEntry(
            path: key, size: size, mtimeNs: mtime, ctimeNs: ctime, inode: inode, digest: digest, recordedAtNs: recorded)
        lock.withLock {
            entries[key] = entry
            updated[key] = entry
        }
        return digest
    }

    private func directoryDigest(_ absolute: String, key: String) -> ContentHash? {
        guard let enumerator = FileManager.default.enumerator(atPath: absolute) else { return nil }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var info = stat()
            if lstat(absolute + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
                files.append(relative)
            }
        }
        var listing: [String: JSONValue] = [:]
        for relative in files.sorted() {
            var info = stat()
            guard stat(absolute + "/" + relative, &info) == 0,
                let digest = fileDigest(absolute + "/" + relative, key: key + "/" + relative, info: info)
            else { return nil }
            listing[relative] = .string(digest.description)
        }
        return ContentHash.of(JSONValue.object(listing).canonicalText)
    }
}
