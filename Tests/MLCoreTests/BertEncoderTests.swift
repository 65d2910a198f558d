import Foundation
@testable import MLCore
import Testing

@Suite("BERT encoder on tiny random weights")
struct BertEncoderTests {
    let encoder = try! BertEncoder.makeTiny(seed: 7)
    let texts: [TextInput] = ["the cat sat on the mat.", "hello", "", TextInput("a dog is playing", pair: "the cat is bad!"),
                              "cafe world, the good dog sat", "unable"]

    @Test("embeddings are unit length, one per input, and deterministic for a seed")
    func embeddings() throws {
        let vectors = try encoder.embed(texts, maxTokens: 32, batchSize: 4)
        #expect(vectors.count == texts.count)
        for vector in vectors {
            #expect(vector.count == 32)
            #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        }
        let again = try BertEncoder.makeTiny(seed: 7).embed(texts, maxTokens: 32, batchSize: 4)
        #expect(zip(again, vectors).allSatisfy { zip($0, $1).allSatisfy { abs($0 - $1) < 1e-6 } })
        #expect(try BertEncoder.makeTiny(seed: 8).embed(texts, maxTokens: 32) != vectors)
    }

    @Test("a padded batch equals one text at a time, in input order, on one and two threads", arguments: [1, 2])
    func batchEqualsSingle(threads: Int) throws {
        var encoder = encoder
        encoder.threads = threads
        let batched = try encoder.embed(texts, maxTokens: 32, batchSize: 16)
        for (index, text) in texts.enumerated() {
            let single = try encoder.embed([text], maxTokens: 32, batchSize: 1)[0]
            let difference = zip(single, batched[index]).map { abs($0 - $1) }.max() ?? 1
            #expect(difference < 1e-5, "input \(index)")
        }
    }

    @Test("the last hidden state has one row per token and keeps input order")
    func lastHiddenState() throws {
        let tokenizer = try #require(encoder.tokenizer)
        let encodings = tokenizer.encode(texts, maxTokens: 32)
        let states = try encoder.lastHiddenState(encodings, batchSize: 2)
        #expect(states.map(\.shape) == encodings.map { [$0.count, 32] })
        let alone = try encoder.lastHiddenState([encodings[3]])[0]
        #expect(zip(alone.scalars, states[3].scalars).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("recorded activations have the documented shapes and the same output, up to summation order")
    func activations() throws {
        let encodings = try #require(encoder.tokenizer).encode(Array(texts.prefix(2)), maxTokens: 32)
        let tokens = encodings.map(\.count).reduce(0, +)
        let plain = try encoder.forward(encodings)
        let recorded = try encoder.forward(encodings, recordActivations: true)
        // Recording runs the batch as one group and unsliced; plain runs it in `slices` groups.
        let worst = zip(plain.hidden, recorded.hidden).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5, "max difference \(worst)")
        let layers = try #require(recorded.activations)
        #expect(layers.count == 2)
        #expect(recorded.embeddingOutput?.count == tokens * 32)
        #expect(layers[0].queryKeyValue.count == tokens * 96)
        #expect(layers[0].probabilities.map(\.count) == encodings.map { 4 * $0.count * $0.count })
        #expect(layers[1].intermediate.count == tokens * 64)
        // Each attention row is a probability distribution.
        let first = layers[0].probabilities[0]
        let n = encodings[0].count
        #expect(abs(first[0..<n].reduce(0, +) - 1) < 1e-5)
    }

    @Test("out-of-range ids, token types and over-long inputs are errors naming the input")
    func invalidInputs() throws {
        #expect(throws: MLCoreError.self) { try encoder.forward([Encoding(ids: [2, 999, 3])]) }
        #expect(throws: MLCoreError.self) { try encoder.forward([Encoding(ids: [2, 3], typeIDs: [0, 5])]) }
        #expect(throws: MLCoreError.self) { try encoder.forward([Encoding(ids: [Int](repeating: 5, count: 65))]) }
        #expect(try encoder.embed([String](repeating: "cat", count: 0).map { TextInput($0) }) == [])
    }

    @Test("length buckets sort by length, keep ties stable, and cover every input once")
    func buckets() {
        #expect(BertEncoder.lengthBuckets([5, 2, 9, 2, 7], batchSize: 2) == [[1, 3], [0, 4], [2]])
        #expect(BertEncoder.lengthBuckets([], batchSize: 4) == [])
    }

    @Test("thread groups split the batch into contiguous ranges of similar work")
    func partition() {
        #expect(BertEncoder.partition([4, 4, 4, 4], parts: 2) == [0..<2, 2..<4])
        #expect(BertEncoder.partition([10], parts: 2) == [0..<1])
        #expect(BertEncoder.partition([1, 1, 1, 100], parts: 2) == [0..<3, 3..<4])
        #expect(BertEncoder.partition([3, 3, 3], parts: 1) == [0..<3])
        #expect(BertEncoder.partition([3, 3], parts: 4) == [0..<1, 1..<2])
        #expect(BertEncoder.partition([1, 1, 1, 1, 1, 1], parts: 3) == [0..<2, 2..<4, 4..<6])
    }

    @Test("weights save with the writer under their Hugging Face names and load back identically")
    func saveAndLoadWeights() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        let named = encoder.weights.namedTensors
        #expect(named.count == 5 + 2 * 16)
        #expect(named["encoder.layer.1.attention.self.query.weight"]?.shape == [32, 32])
        try SafeTensorsWriter.write(named, to: url)
        let loaded = try BertWeights(namedTensors: try SafeTensorsFile(path: url.path).floatTensors(),
                                     configuration: encoder.configuration)
        #expect(loaded == encoder.weights)

        var missing = named
        missing["encoder.layer.0.output.dense.bias"] = nil
        #expect(throws: MLCoreError.self) { try BertWeights(namedTensors: missing, configuration: encoder.configuration) }
        var wrong = named
        wrong["embeddings.LayerNorm.weight"] = Tensor(zeros: [31])
        #expect(throws: MLCoreError.self) { try BertWeights(namedTensors: wrong, configuration: encoder.configuration) }
    }

    @Test("setWeights changes the output")
    func replaceWeights() throws {
        var copy = encoder
        try copy.setWeights(try BertEncoder.makeTiny(seed: 99).weights)
        let expected = try BertEncoder.makeTiny(seed: 99).embed(["the cat"])[0]
        #expect(zip(try copy.embed(["the cat"])[0], expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(try encoder.embed(["the cat"])[0] != expected)
    }
}
