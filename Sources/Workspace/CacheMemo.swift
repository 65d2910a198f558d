import Basics
import Foundation
import TaskInterface

/// The ``MemoCache`` stages use for their own memoised values (provider answers, embeddings):
/// files under `<cache>/memo/ab/<sha256>`, written atomically, keyed by what the task hashes.
///
/// Kept apart from `objects/` because these are not stage outputs: `lunette cache gc` leaves them
/// alone; delete `cache/memo/` to drop them all. A stage's action record names the entries it used
/// through a ``ContentCache/MemoManifest`` (stored here under its own SHA-256), which is how
/// `lunette push` and `pull` move them with the stage.
struct CacheMemo: MemoCache {
    let root: URL

    func value(for key: ContentHash) -> Data? {
        FileManager.default.contents(atPath: path(key))
    }

    func store(_ data: Data, for key: ContentHash) throws {
        try AtomicFile.write(data, to: path(key))
    }

    /// The file of `key`'s entry (it may not exist).
    func url(for key: ContentHash) -> URL {
        root.appendingPathComponent("\(key.hex.prefix(2))/\(key.hex)")
    }

    private func path(_ key: ContentHash) -> String { url(for: key).path }
}
