import Foundation
import MLCore
import Testing

/// Two encoders at once in one process (train beside evaluate under `-j 2`, two models in `lunette
/// serve`) must not change each other's results: OpenBLAS's thread count is process-wide and, with the
/// Haswell kernels, changes a product's last bits, so the encoder never lets OpenBLAS thread.
@Suite("Encoders running side by side", .serialized, .enabled(if: TestModel.isInstalled,
       "minilm-l6 is not installed; run scripts/install-model to enable the real-weight tests"))
struct ConcurrentEncoderTests {
    /// 32 texts of 8–40 words: batches big enough for OpenBLAS to thread its GEMMs if it were allowed to.
    static let texts: [TextInput] = (0..<32).map { index in
        let words = ["the", "model", "scores", "every", "trace", "quickly", "and", "nothing", "else", "changes"]
        return TextInput((0..<(8 + index)).map { words[($0 * 7 + index) % words.count] }.joined(separator: " "))
    }

    @Test("a batch gives the same bits alone and beside another encoder scoring single texts")
    func batchesBesideSingleTexts() async throws {
        let directory = try #require(TestModel.directory)
        let batchEncoder = try BertEncoder(modelDirectory: directory, threads: 2)
        let singleEncoder = try BertEncoder(modelDirectory: directory, threads: 2)
        let texts = Self.texts
        let alone = try batchEncoder.embed(texts)
        #expect(BLAS.threadCount == 1)

        for _ in 0..<4 {
            async let besides: [[[Float]]] = Task.detached {
                try texts.prefix(12).map { try singleEncoder.embed([$0]) }
            }.value
            let together = try await Task.detached { try batchEncoder.embed(texts) }.value
            _ = try await besides
            let changed = zip(together, alone).filter { $0 != $1 }.count
            #expect(changed == 0, "\(changed) of \(alone.count) embeddings changed while another encoder ran")
        }
        #expect(BLAS.threadCount == 1)
    }

    @Test("the thread count changes no bit: a lone text and a batch give the same embeddings with 1, 2 and 3 threads")
    func threadCountChangesNothing() throws {
        let directory = try #require(TestModel.directory)
        let encoders = try [1, 2, 3].map { try BertEncoder(modelDirectory: directory, threads: $0) }
        let lone = [Self.texts[20]]
        let reference = (lone: try encoders[1].embed(lone), batch: try encoders[1].embed(Self.texts))
        #expect(try encoders[1].embed(lone) == reference.lone, "a second call gave other bits")
        for encoder in encoders {
            #expect(try encoder.embed(lone) == reference.lone, "a lone text with \(encoder.threads) threads")
            let batch = try encoder.embed(Self.texts)
            let changed = zip(batch, reference.batch).filter { $0 != $1 }.count
            #expect(changed == 0, "\(changed) embeddings of the batch differ with \(encoder.threads) threads")
        }
    }
}
