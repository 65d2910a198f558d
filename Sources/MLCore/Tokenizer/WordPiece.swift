/// Greedy longest-match-first WordPiece over a ``Vocabulary``.
///
/// A word is split into the longest prefix in the vocabulary, then the longest `##`-prefixed
/// continuation, and so on. A word longer than the configured limit (100 characters), or one with a
/// part no entry matches, becomes a single unknown token.
struct WordPiece: Sendable {
    var vocabulary: Vocabulary
    var unknownID: Int
    var maximumCharacters: Int

    private static let continuation: [UInt8] = Array("##".utf8)

    /// Appends the ids of `word`'s pieces to `ids`.
    func appendIDs(of word: [Unicode.Scalar], to ids: inout [Int]) {
        if word.count > maximumCharacters { ids.append(unknownID); return }
        // UTF-8 bytes of the word and the byte offset where each scalar starts.
        var bytes: [UInt8] = []
        var boundaries: [Int] = [0]
        bytes.reserveCapacity(word.count * 2)
        boundaries.reserveCapacity(word.count + 1)
        for scalar in word {
            if let encoded = UTF8.encode(scalar) { bytes.append(contentsOf: encoded) }
            boundaries.append(bytes.count)
        }
        let firstNew = ids.count
        var start = 0  // index into boundaries
        var candidate: [UInt8] = []
        candidate.reserveCapacity(bytes.count + 2)
        while start < word.count {
            var end = word.count
            var found: Int?
            while end > start {
                let length = boundaries[end] - boundaries[start] + (start > 0 ? 2 : 0)
                if length <= vocabulary.longestEntry {
                    candidate.removeAll(keepingCapacity: true)
                    if start > 0 { candidate.append(contentsOf: Self.continuation) }
                    candidate.append(contentsOf: bytes[boundaries[start]..<boundaries[end]])
                    if let id = vocabulary.id(ofBytes: candidate) { found = id; break }
                }
                end -= 1
            }
            guard let id = found else {
                ids.removeSubrange(firstNew...)
                ids.append(unknownID)
                return
            }
            ids.append(id)
            start = end
        }
    }
}
