import Foundation

/// BERT's WordPiece tokenizer, built from a model folder's `vocab.txt` and `tokenizer_config.json`.
///
/// It reproduces the reference fast tokenizer (`tokenizer.json`: `BertNormalizer`, `BertPreTokenizer`,
/// `WordPiece`, the `[CLS] … [SEP]` template and longest-first truncation) id for id. Special tokens
/// written literally in a text (`[SEP]`, `[MASK]`, …) are matched before normalisation, as the
/// reference does with its added tokens.
///
/// ```swift
/// let tokenizer = try Tokenizer(modelDirectory: URL(filePath: "cache/models/minilm-l6"))
/// let single = tokenizer.encode("Hello world", maxTokens: 128)             // [101, 7592, 2088, 102]
/// let pair = tokenizer.encode("a question", pair: "an answer", maxTokens: 128)
/// ```
public struct Tokenizer: Sendable {
    /// The vocabulary.
    public let vocabulary: Vocabulary
    /// The settings.
    public let configuration: TokenizerConfiguration
    /// Ids of the special tokens.
    public let classifierID: Int, separatorID: Int, paddingID: Int, unknownID: Int
    private let normalizer: BertNormalizer
    private let wordPiece: WordPiece
    private let specialTokens: [(scalars: [Unicode.Scalar], id: Int)]

    /// Creates a tokenizer from a vocabulary and settings.
    ///
    /// - Throws: ``MLCoreError`` `.invalidVocabulary` when a special token is missing from the vocabulary.
    public init(vocabulary: Vocabulary, configuration: TokenizerConfiguration = TokenizerConfiguration()) throws {
        func id(_ token: String) throws -> Int {
            guard let id = vocabulary.id(of: token) else {
                throw MLCoreError(.invalidVocabulary, "the vocabulary has no special token '\(token)'")
            }
            return id
        }
        self.vocabulary = vocabulary
        self.configuration = configuration
        classifierID = try id(configuration.classifierToken)
        separatorID = try id(configuration.separatorToken)
        paddingID = try id(configuration.paddingToken)
        unknownID = try id(configuration.unknownToken)
        normalizer = BertNormalizer(configuration: configuration)
        wordPiece = WordPiece(vocabulary: vocabulary, unknownID: unknownID,
                              maximumCharacters: configuration.maximumCharactersPerWord)
        let specials = [configuration.paddingToken, configuration.unknownToken, configuration.classifierToken,
                        configuration.separatorToken, configuration.maskToken]
        // Longest first, so a longer special token wins where two start at the same place.
        specialTokens = specials.compactMap { token in
            vocabulary.id(of: token).map { (Array(token.unicodeScalars), $0) }
        }.sorted { $0.scalars.count > $1.scalars.count }
    }

    /// Reads `vocab.txt` and (when present) `tokenizer_config.json` from a model folder.
    public init(modelDirectory: URL) throws {
        let configURL = modelDirectory.appendingPathComponent("tokenizer_config.json")
        let configuration = FileManager.default.fileExists(atPath: configURL.path)
            ? try TokenizerConfiguration(contentsOf: configURL) : TokenizerConfiguration()
        try self.init(vocabulary: Vocabulary(contentsOf: modelDirectory.appendingPathComponent("vocab.txt")),
                      configuration: configuration)
    }

    /// The word-piece ids of `text`, without special tokens or truncation.
    public func pieceIDs(_ text: String) -> [Int] {
        var ids: [Int] = []
        var segmentStart = text.unicodeScalars.startIndex
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        while index < scalars.endIndex {
            if let (length, id) = specialToken(at: index, in: scalars) {
                appendPieces(of: Substring(scalars[segmentStart..<index]), to: &ids)
                ids.append(id)
                index = scalars.index(index, offsetBy: length)
                segmentStart = index
            } else {
                index = scalars.index(after: index)
            }
        }
        appendPieces(of: Substring(scalars[segmentStart..<scalars.endIndex]), to: &ids)
        return ids
    }

    /// The tokens of `text` as strings (`["hello", "world", "##s"]`), for debugging and tests.
    public func tokenize(_ text: String) -> [String] { pieceIDs(text).map { vocabulary.tokens[$0] } }

    /// Encodes one text, or a pair as `[CLS] a [SEP] b [SEP]`, truncated to `maxTokens` in all.
    ///
    /// A single text keeps its first `maxTokens - 2` pieces. A pair is truncated longest-first, as the
    /// reference does: the shorter text is kept whole when it fits in half, else both get half
    /// (the extra one, for an odd budget, to the second text unless the first is the longer).
    ///
    /// - Parameters:
    ///   - text: The first (or only) text.
    ///   - pair: An optional second text.
    ///   - maxTokens: The largest total length, special tokens included (at least 3 for a pair, 2 otherwise).
    public func encode(_ text: String, pair: String? = nil, maxTokens: Int) -> Encoding {
        var first = pieceIDs(text)
        guard let pair else {
            let budget = max(0, maxTokens - 2)
            if first.count > budget { first.removeSubrange(budget...) }
            return Encoding(ids: [classifierID] + first + [separatorID])
        }
        var second = pieceIDs(pair)
        let (keepFirst, keepSecond) = Self.longestFirstLengths(first.count, second.count, budget: max(0, maxTokens - 3))
        if first.count > keepFirst { first.removeSubrange(keepFirst...) }
        if second.count > keepSecond { second.removeSubrange(keepSecond...) }
        let ids = [classifierID] + first + [separatorID] + second + [separatorID]
        let typeIDs = [Int](repeating: 0, count: first.count + 2) + [Int](repeating: 1, count: second.count + 1)
        return Encoding(ids: ids, typeIDs: typeIDs)
    }

    /// Encodes many inputs (see ``encode(_:pair:maxTokens:)``).
    public func encode(_ inputs: [TextInput], maxTokens: Int) -> [Encoding] {
        inputs.map { encode($0.text, pair: $0.pair, maxTokens: maxTokens) }
    }

    /// The lengths `tokenizers`' `LongestFirst` strategy keeps for a pair of `a` and `b` pieces.
    static func longestFirstLengths(_ a: Int, _ b: Int, budget: Int) -> (Int, Int) {
        guard a + b > budget else { return (a, b) }
        var n1 = a, n2 = b
        let swapped = n1 > n2
        if swapped { swap(&n1, &n2) }
        n2 = n1 > budget ? n1 : max(n1, budget - n1)
        if n1 + n2 > budget {
            n1 = budget / 2
            n2 = n1 + budget % 2
        }
        if swapped { swap(&n1, &n2) }
        return (min(a, n1), min(b, n2))
    }

    private func specialToken(at index: String.UnicodeScalarView.Index,
                              in scalars: String.UnicodeScalarView) -> (Int, Int)? {
        guard scalars[index] == "[" else { return nil }
        for special in specialTokens {
            var cursor = index
            var matched = true
            for expected in special.scalars {
                guard cursor < scalars.endIndex, scalars[cursor] == expected else { matched = false; break }
                cursor = scalars.index(after: cursor)
            }
            if matched { return (special.scalars.count, special.id) }
        }
        return nil
    }

    private func appendPieces(of text: Substring, to ids: inout [Int]) {
        guard !text.isEmpty else { return }
        for word in normalizer.words(in: text) { wordPiece.appendIDs(of: word, to: &ids) }
    }
}
