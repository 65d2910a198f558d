import Basics
import Foundation
import TaskInterface

/// The ``MemoCache`` stages use for their own memoised values (provider answers, embeddings):
/// files under `<cache>/memo/ab/<sha256>`, written atomically, keyed by what the task hashes.
///
/// Kept apart from `objects/` because these are not stage outputs: nothing in the index points at
/// them, so `lunette cache gc` leaves them alone; delete `cache/memo/` to drop them all.
struct CacheMemo: MemoCache {
    let root: URL

    func value(for key: ContentHash) -> Data? {
        FileManager.default.contents(atPath: path(key))
    }

    func store(_ data: Data, for key: ContentHash) throws {
        try AtomicFile.write(data, to: path(key))
    }

    private func path(_ key: ContentHash) -> String {
        root.appendingPathComponent("\(key.hex.prefix(2))/\(key.hex)").path
    }
}
