import Foundation
import MLCore
import Testing

/// Parity with the reference (sentence-transformers over the same weights), on the 40 golden cases.
@Suite("Golden parity with sentence-transformers", .serialized, .enabled(if: TestModel.isInstalled,
       "minilm-l6 is not installed; run scripts/install-model to enable the real-weight tests"))
struct GoldenParityTests {
    let cases = TestModel.goldenCases

    @Test("the golden file has 40 cases")
    func goldenFileIsComplete() {
        #expect(cases.count == 40)
    }

    @Test("token ids match the reference tokenizer exactly")
    func tokenIDs() throws {
        let tokenizer = try #require(try TestModel.encoder().tokenizer)
        for golden in cases {
            let encoding = tokenizer.encode(golden.text, maxTokens: 128)
            #expect(encoding.ids == golden.input_ids, "case \(golden.id): \(tokenizer.tokenize(golden.text))")
        }
    }

    @Test("the [CLS] hidden state matches within 1e-4")
    func clsHiddenState() throws {
        let encoder = try TestModel.encoder()
        let tokenizer = try #require(encoder.tokenizer)
        for golden in cases {
            let hidden = try encoder.lastHiddenState([tokenizer.encode(golden.text, maxTokens: 128)])[0]
            let difference = zip(hidden.scalars.prefix(8), golden.cls_hidden_first8).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference <= 1e-4, "case \(golden.id): max abs difference \(difference)")
        }
    }

    @Test("embeddings match within 1e-4, with cosine above 0.99999, one text at a time")
    func embeddingsOneAtATime() throws {
        let encoder = try TestModel.encoder()
        for golden in cases {
            let embedding = try encoder.embed([TextInput(golden.text)], maxTokens: 128, batchSize: 1)[0]
            #expect(embedding.count == 384)
            let difference = zip(embedding, golden.embedding).map { abs($0 - $1) }.max() ?? .infinity
            let cosine = zip(embedding, golden.embedding).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let norm = embedding.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            #expect(difference <= 1e-4, "case \(golden.id): max abs difference \(difference)")
            #expect(cosine > 0.99999, "case \(golden.id): cosine \(cosine)")
            #expect(abs(norm - 1) <= 1e-5, "case \(golden.id): norm \(norm)")
        }
    }

    @Test("all 40 in one batch equal one at a time within 1e-5")
    func batchedEqualsSingle() throws {
        let encoder = try TestModel.encoder()
        let inputs = cases.map { TextInput($0.text) }
        let batched = try encoder.embed(inputs, maxTokens: 128, batchSize: 64)
        for (index, input) in inputs.enumerated() {
            let single = try encoder.embed([input], maxTokens: 128, batchSize: 1)[0]
            let difference = zip(single, batched[index]).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference <= 1e-5, "case \(cases[index].id): max abs difference \(difference)")
        }
    }

    @Test("paraphrases are closer than unrelated texts")
    func semanticSanity() throws {
        let encoder = try TestModel.encoder()
        let vectors = try encoder.embed(["A man is playing a guitar on stage.",
                                         "Someone performs music with a guitar in front of an audience.",
                                         "Quarterly revenue fell short of analyst expectations."])
        func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(abs(cosine(vectors[0], vectors[1]) - 0.638) < 1e-3)
        #expect(abs(cosine(vectors[0], vectors[2]) - -0.023) < 1e-3)
    }
}
