import Basics
import Foundation

/// The memo entries one stage read or wrote (provider answers, embeddings), as its
/// ``ActionRecord/memo`` names them, so that `lunette push` and `pull` can move them with the stage.
///
/// A memo entry's key is what the task hashed (a request, a row), not its bytes, so the manifest
/// also holds each value's SHA-256: a downloaded value is used only when it hashes to it. The
/// manifest itself is stored in the memo under its own SHA-256 (``digest``), and is written after
/// every entry it lists, locally and on a remote: where the manifest is, its entries are.
///
/// Sorted-key JSON, entries sorted by key:
/// ```json
/// {"entries":[{"digest":"sha256:…","key":"sha256:…","size":1536}],"v":1}
/// ```
public struct MemoManifest: Codable, Hashable, Sendable {
    /// One memo entry: its key, and the SHA-256 and size of its value.
    public struct Entry: Codable, Hashable, Sendable {
        public var key: ContentHash
        public var digest: ContentHash
        public var size: Int

        public init(key: ContentHash, digest: ContentHash, size: Int) {
            self.key = key
            self.digest = digest
            self.size = size
        }
    }

    public var v = 1
    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries.sorted { $0.key < $1.key }
    }

    /// The canonical bytes (what ``digest`` hashes).
    public var data: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The SHA-256 of ``data``: the manifest's key in the memo.
    public var digest: ContentHash { ContentHash.of(data) }

    /// Parses manifest bytes when they hash to `expected` (a truncated or substituted manifest is `nil`).
    public static func parse(_ data: Data, expected: ContentHash) -> MemoManifest? {
        guard ContentHash.of(data) == expected else { return nil }
        return try? JSONDecoder().decode(MemoManifest.self, from: data)
    }
}
