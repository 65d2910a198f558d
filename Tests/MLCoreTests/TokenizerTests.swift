import Foundation
@testable import MLCore
import Testing

@Suite("WordPiece tokenizer")
struct TokenizerTests {
    let tokenizer = try! Tokenizer(vocabulary: Vocabulary(tokens: BertEncoder.tinyVocabulary))
    func id(_ token: String) -> Int { tokenizer.vocabulary.id(of: token)! }

    @Test("a single text is [CLS] pieces [SEP], lower-cased, accents stripped, punctuation split")
    func singleText() {
        #expect(tokenizer.tokenize("The CAT sat, on the mat!") == ["the", "cat", "sat", ",", "on", "the", "mat", "!"])
        #expect(tokenizer.tokenize("Café") == ["cafe"])
        #expect(tokenizer.tokenize("Cafe\u{301}") == ["cafe"])
        let encoding = tokenizer.encode("the cat", maxTokens: 16)
        #expect(encoding.ids == [id("[CLS]"), id("the"), id("cat"), id("[SEP]")])
        #expect(encoding.typeIDs == [0, 0, 0, 0])
    }

    @Test("continuations use ## and greedy longest match")
    func continuations() {
        #expect(tokenizer.tokenize("playing cats unable") == ["play", "##ing", "cat", "##s", "un", "##able"])
    }

    @Test("a word with an unmatchable piece is one [UNK]; so is a word over 100 characters")
    func unknownWords() {
        #expect(tokenizer.tokenize("the zebra cat") == ["the", "[UNK]", "cat"])
        #expect(tokenizer.tokenize("catzz") == ["[UNK]"])
        let letters = try! Tokenizer(vocabulary: Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "x", "##x"]))
        #expect(letters.tokenize(String(repeating: "x", count: 100)) == ["x"] + Array(repeating: "##x", count: 99))
        #expect(letters.tokenize(String(repeating: "x", count: 101)) == ["[UNK]"])
        #expect(letters.tokenize("x" + String(repeating: "\u{301}", count: 200)) == ["x"])  // marks go before counting
    }

    @Test("empty and whitespace-only texts give [CLS] [SEP]")
    func emptyText() {
        #expect(tokenizer.encode("", maxTokens: 8).ids == [id("[CLS]"), id("[SEP]")])
        #expect(tokenizer.encode(" \t\n\u{200B}", maxTokens: 8).ids == [id("[CLS]"), id("[SEP]")])
    }

    @Test("control and format characters are removed and join their neighbours")
    func controlCharacters() {
        #expect(tokenizer.tokenize("ca\u{200B}t s\u{AD}at\u{7}") == ["cat", "sat"])
    }

    @Test("special tokens written in the text are kept as themselves")
    func literalSpecialTokens() {
        #expect(tokenizer.encode("cat [SEP] dog", maxTokens: 16).ids
                == [id("[CLS]"), id("cat"), id("[SEP]"), id("dog"), id("[SEP]")])
        #expect(tokenizer.tokenize("[sep]") == ["[UNK]", "[UNK]", "[UNK]"])  // case matters; '[' and ']' split
    }

    @Test("a pair is [CLS] a [SEP] b [SEP] with type ids 0 then 1")
    func pair() {
        let encoding = tokenizer.encode("the cat", pair: "a dog", maxTokens: 16)
        #expect(encoding.ids == [id("[CLS]"), id("the"), id("cat"), id("[SEP]"), id("a"), id("dog"), id("[SEP]")])
        #expect(encoding.typeIDs == [0, 0, 0, 0, 1, 1, 1])
    }

    @Test("single texts truncate to the first maxTokens − 2 pieces")
    func truncateSingle() {
        let encoding = tokenizer.encode("the cat sat on the mat", maxTokens: 5)
        #expect(encoding.ids == [id("[CLS]"), id("the"), id("cat"), id("sat"), id("[SEP]")])
    }

    @Test("pairs truncate longest first, as the reference fast tokenizer", arguments: [
        // (first pieces, second pieces, budget) → kept
        ((10, 2, 8), (6, 2)), ((2, 10, 8), (2, 6)), ((10, 10, 8), (4, 4)), ((10, 10, 7), (3, 4)),
        ((11, 10, 7), (4, 3)), ((3, 3, 8), (3, 3)), ((9, 1, 4), (3, 1)), ((5, 5, 0), (0, 0)),
    ])
    func longestFirst(input: (Int, Int, Int), expected: (Int, Int)) {
        let kept = Tokenizer.longestFirstLengths(input.0, input.1, budget: input.2)
        #expect(kept == expected)
    }

    @Test("pair truncation end to end keeps the shorter text whole")
    func truncatePair() {
        let encoding = tokenizer.encode("the cat sat on the mat", pair: "dog", maxTokens: 7)
        #expect(encoding.ids == [id("[CLS]"), id("the"), id("cat"), id("sat"), id("[SEP]"), id("dog"), id("[SEP]")])
        #expect(encoding.typeIDs == [0, 0, 0, 0, 0, 1, 1])
    }

    @Test("batch padding pads ids with [PAD], types with 0, and masks the padding")
    func padding() {
        let batch = PaddedBatch(tokenizer.encode(["the cat", TextInput("a", pair: "dog")], maxTokens: 8),
                                paddingID: tokenizer.paddingID)
        #expect(batch.ids == [[id("[CLS]"), id("the"), id("cat"), id("[SEP]"), 0],
                              [id("[CLS]"), id("a"), id("[SEP]"), id("dog"), id("[SEP]")]])
        #expect(batch.typeIDs == [[0, 0, 0, 0, 0], [0, 0, 0, 1, 1]])
        #expect(batch.attentionMask == [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]])
    }

    @Test("CJK ideographs are spaced, kana are not, and accents strip from Japanese marks")
    func normalisation() {
        let normalizer = BertNormalizer(configuration: TokenizerConfiguration())
        let words = normalizer.words(in: "北京です ÀÉ Straße").map { String(String.UnicodeScalarView($0)) }
        #expect(words == ["北", "京", "てす", "ae", "straße"])
    }

    @Test("with lower-casing off, case and accents are kept")
    func casedConfiguration() throws {
        var configuration = TokenizerConfiguration()
        configuration.lowercase = false
        let normalizer = BertNormalizer(configuration: configuration)
        #expect(normalizer.words(in: "Café").map { String(String.UnicodeScalarView($0)) } == ["Café"])
    }

    @Test("the vocabulary keeps canonically equivalent entries apart")
    func byteExactVocabulary() {
        let vocabulary = Vocabulary(tokens: ["[PAD]", "\u{E9}", "e\u{301}"])
        #expect(vocabulary.id(of: "\u{E9}") == 1)
        #expect(vocabulary.id(of: "e\u{301}") == 2)
    }

    @Test("tokenizer_config.json settings are read, with null strip_accents following lower-casing")
    func configurationFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("tokenizer_config.json")
        try Data(#"{"do_lower_case": false, "strip_accents": null, "unk_token": {"content": "[UNK]"}}"#.utf8).write(to: url)
        let configuration = try TokenizerConfiguration(contentsOf: url)
        #expect(configuration.lowercase == false && configuration.isStrippingAccents == false)
        try Data(#"{"do_lower_case": "yes"}"#.utf8).write(to: url)
        #expect(throws: MLCoreError.self) { try TokenizerConfiguration(contentsOf: url) }
    }

    @Test("the real vocabulary: 100-character word, accents, pairs", .enabled(if: TestModel.isInstalled))
    func realVocabulary() throws {
        let real = try #require(try TestModel.encoder().tokenizer)
        #expect(real.encode("hello world", maxTokens: 128).ids == [101, 7592, 2088, 102])
        #expect(real.encode(String(repeating: "a", count: 101), maxTokens: 128).ids == [101, 100, 102])
        #expect(real.encode("München", maxTokens: 128) == real.encode("munchen", maxTokens: 128))
        let pair = real.encode("hello", pair: "world", maxTokens: 128)
        #expect(pair.ids == [101, 7592, 102, 2088, 102] && pair.typeIDs == [0, 0, 0, 1, 1])
    }
}
