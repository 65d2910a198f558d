import Foundation
import MLCore

/// The ``FuzzTarget/tokenizer`` target: the input is text to encode.
///
/// Layout: byte 0 picks the settings (bit 0 lower-case, bit 1 strip accents, bit 2 split CJK
/// ideographs), byte 1 is `maxTokens`, the rest is the text (decoded as UTF-8, invalid bytes
/// replaced, as `lunette score` does with its JSON input); a `0xFF` byte, which UTF-8 never has,
/// splits it into a text and its pair.
///
/// Invariants: an encoding is `[CLS] … [SEP]` (or `[CLS] a [SEP] b [SEP]`), fits `maxTokens` (at
/// least the special tokens), has a type id per id (0s then 1s) and only ids of the vocabulary; the
/// pieces of the whole text equal the pieces it encodes before truncation.
enum TokenizerFuzzing {
    /// One tokenizer per settings byte (low 3 bits), over the tiny test vocabulary.
    static let tokenizers: [Tokenizer] = (0..<8).map { bits in
        var configuration = TokenizerConfiguration()
        configuration.lowercase = bits & 1 != 0
        configuration.stripAccents = bits & 2 != 0
        configuration.tokenizeChineseCharacters = bits & 4 != 0
        do {
            return try Tokenizer(vocabulary: Vocabulary(tokens: BertEncoder.tinyVocabulary), configuration: configuration)
        } catch {
            preconditionFailure("the tiny vocabulary lacks a special token: \(error)")
        }
    }

    static func run(_ data: Data) throws -> FuzzOutcome {
        let target = FuzzTarget.tokenizer
        let bytes = [UInt8](data)
        guard bytes.count >= 2 else { return .rejected("too short: needs a settings byte and maxTokens") }
        let tokenizer = tokenizers[Int(bytes[0] & 7)]
        let maxTokens = Int(bytes[1])
        let body = bytes[2...]
        let split = body.firstIndex(of: 0xFF)
        let text = String(decoding: body[..<(split ?? body.endIndex)], as: UTF8.self)
        let pair = split.map { String(decoding: body[($0 + 1)...], as: UTF8.self) }

        let pieces = tokenizer.pieceIDs(text)
        let vocabularySize = tokenizer.vocabulary.count
        try target.require(pieces.allSatisfy { (0..<vocabularySize).contains($0) }, "a piece id outside the vocabulary")
        let encoding = tokenizer.encode(text, pair: pair, maxTokens: maxTokens)
        let ids = encoding.ids
        try target.require(ids.count == encoding.typeIDs.count, "\(ids.count) ids but \(encoding.typeIDs.count) type ids")
        try target.require(ids.allSatisfy { (0..<vocabularySize).contains($0) }, "an id outside the vocabulary")
        try target.require(ids.first == tokenizer.classifierID && ids.last == tokenizer.separatorID, "not [CLS] … [SEP]: \(ids)")
        if let pair {
            let secondPieces = tokenizer.pieceIDs(pair)
            try target.require(ids.count <= max(3, maxTokens), "\(ids.count) ids for maxTokens \(maxTokens)")
            let firstLength = encoding.typeIDs.firstIndex(of: 1).map { $0 - 2 } ?? -1
            try target.require(firstLength >= 0, "a pair with no type-1 ids: \(encoding.typeIDs)")
            try target.require(encoding.typeIDs[(firstLength + 2)...].allSatisfy { $0 == 1 }, "type ids not 0s then 1s")
            try target.require(Array(ids[1..<(firstLength + 1)]) == Array(pieces.prefix(firstLength)), "the first text's pieces changed")
            try target.require(
                Array(ids[(firstLength + 2)..<(ids.count - 1)]) == Array(secondPieces.prefix(ids.count - firstLength - 3)),
                "the pair's pieces changed")
        } else {
            try target.require(ids.count <= max(2, maxTokens), "\(ids.count) ids for maxTokens \(maxTokens)")
            try target.require(encoding.typeIDs.allSatisfy { $0 == 0 }, "a single text with type ids \(encoding.typeIDs)")
            try target.require(Array(ids.dropFirst().dropLast()) == Array(pieces.prefix(ids.count - 2)), "pieces changed")
        }
        return .accepted("\(ids.count) ids")
    }
}
