import Basics
import ContentCache
import Foundation
import TaskInterface

/// A stage's view of the memo that notes every entry the stage read (a hit) or wrote, so that its
/// action record can name them (``ActionRecord/memo``) and `lunette push` can move them with it.
final class RecordingMemo: MemoCache, @unchecked Sendable {
    let base: any MemoCache
    private let lock = NSLock()
    private var used: [ContentHash: MemoManifest.Entry] = [:]  // guarded by lock

    init(_ base: any MemoCache) {
        self.base = base
    }

    func value(for key: ContentHash) -> Data? {
        guard let data = base.value(for: key) else { return nil }
        note(key, data)
        return data
    }

    func store(_ data: Data, for key: ContentHash) throws {
        try base.store(data, for: key)
        note(key, data)
    }

    // Local values (a digest memoised by a file's path and mtime) are passed through unnoted.
    func localValue(for key: ContentHash) -> Data? { base.value(for: key) }
    func storeLocal(_ data: Data, for key: ContentHash) throws { try base.store(data, for: key) }

    private func note(_ key: ContentHash, _ data: Data) {
        let entry = MemoManifest.Entry(key: key, digest: ContentHash.of(data), size: data.count)
        lock.withLock { used[key] = entry }
    }

    /// Stores the manifest of the entries used (after them) and returns its digest; `nil` when the
    /// stage used none or the manifest could not be stored (the record then names no memo).
    func storeManifest() -> ContentHash? {
        let entries = lock.withLock { Array(used.values) }
        guard !entries.isEmpty else { return nil }
        let manifest = MemoManifest(entries: entries)
        let digest = manifest.digest
        do {
            try base.store(manifest.data, for: digest)
        } catch {
            return nil
        }
        return digest
    }
}
