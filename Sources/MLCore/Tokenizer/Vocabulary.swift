import Foundation

/// A WordPiece vocabulary: token text ↔ id, read from `vocab.txt` (one token per line, id = line index).
///
/// Lookups compare UTF-8 bytes, not Swift `String` equality: `String` equates canonically equivalent
/// texts (precomposed and decomposed `é`), but vocabulary entries are distinct byte strings.
public struct Vocabulary: Sendable {
    private var ids: [[UInt8]: Int]
    /// Token text by id.
    public let tokens: [String]
    /// The longest entry in UTF-8 bytes, bounding WordPiece's search.
    let longestEntry: Int

    /// Creates a vocabulary from tokens in id order. When a token repeats, its last id wins (as in BERT's loader).
    public init(tokens: [String]) {
        self.tokens = tokens
        var ids: [[UInt8]: Int] = [:]
        ids.reserveCapacity(tokens.count)
        var longest = 0
        for (index, token) in tokens.enumerated() {
            let bytes = Array(token.utf8)
            ids[bytes] = index
            longest = max(longest, bytes.count)
        }
        self.ids = ids
        self.longestEntry = longest
    }

    /// Reads `vocab.txt`: one token per line, `\n` or `\r\n` line ends.
    ///
    /// - Throws: ``MLCoreError`` `.fileNotFound` or `.invalidVocabulary` naming the file.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MLCoreError(.fileNotFound, "\(url.path): vocabulary not found (install the model: scripts/install-model)")
        }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var tokens: [String] = []
        tokens.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            var bytes = Array(line)
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            guard let token = String(validating: bytes, as: UTF8.self) else {
                throw MLCoreError(.invalidVocabulary, "\(url.path):\(index + 1): line is not valid UTF-8")
            }
            tokens.append(token)
        }
        guard !tokens.isEmpty else { throw MLCoreError(.invalidVocabulary, "\(url.path): vocabulary is empty") }
        self.init(tokens: tokens)
    }

    /// The number of ids.
    public var count: Int { tokens.count }

    /// The id of `token`, or `nil` when absent.
    public func id(of token: String) -> Int? { ids[Array(token.utf8)] }

    /// The id of a token given as UTF-8 bytes.
    func id(ofBytes bytes: [UInt8]) -> Int? { ids[bytes] }
}
