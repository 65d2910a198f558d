/// The encoder's weights copied into one aligned buffer, with the query, key and value projections
/// fused into a single `[3·hidden, hidden]` matrix so each layer's QKV is one GEMM.
///
/// The forward pass reads raw pointers from here; the buffer is immutable after init and freed in
/// `deinit`, so sharing one instance across threads is safe.
final class PackedWeights: @unchecked Sendable {
    struct Layer {
        let qkvWeight, qkvBias: UnsafePointer<Float>
        let attentionOutputWeight, attentionOutputBias: UnsafePointer<Float>
        let attentionNormWeight, attentionNormBias: UnsafePointer<Float>
        let intermediateWeight, intermediateBias: UnsafePointer<Float>
        let outputWeight, outputBias: UnsafePointer<Float>
        let outputNormWeight, outputNormBias: UnsafePointer<Float>
    }

    private let storage: UnsafeMutableRawPointer
    let wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings: UnsafePointer<Float>
    let embeddingNormWeight, embeddingNormBias: UnsafePointer<Float>
    let layers: [Layer]

    init(_ weights: BertWeights) {
        var pieces: [[Float]] = []
        func add(_ scalars: [Float]) -> Int { pieces.append(scalars); return pieces.count - 1 }
        let embeddingIndices = [
            add(weights.wordEmbeddings.scalars), add(weights.positionEmbeddings.scalars),
            add(weights.tokenTypeEmbeddings.scalars), add(weights.embeddingNorm.weight.scalars),
            add(weights.embeddingNorm.bias.scalars),
        ]
        let layerIndices: [[Int]] = weights.layers.map { layer in
            [
                add(layer.query.weight.scalars + layer.key.weight.scalars + layer.value.weight.scalars),
                add(layer.query.bias.scalars + layer.key.bias.scalars + layer.value.bias.scalars),
                add(layer.attentionOutput.weight.scalars), add(layer.attentionOutput.bias.scalars),
                add(layer.attentionNorm.weight.scalars), add(layer.attentionNorm.bias.scalars),
                add(layer.intermediate.weight.scalars), add(layer.intermediate.bias.scalars),
                add(layer.output.weight.scalars), add(layer.output.bias.scalars),
                add(layer.outputNorm.weight.scalars), add(layer.outputNorm.bias.scalars),
            ]
        }
        // Each piece starts on a 64-byte boundary.
        var offsets: [Int] = []
        var total = 0
        for piece in pieces {
            offsets.append(total)
            total += (piece.count + 15) / 16 * 16
        }
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1) * 4, alignment: 64)
        let floats = storage.bindMemory(to: Float.self, capacity: max(total, 1))
        for (index, piece) in pieces.enumerated() {
            piece.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { (floats + offsets[index]).update(from: base, count: source.count) }
            }
        }
        func pointer(_ index: Int) -> UnsafePointer<Float> { UnsafePointer(floats + offsets[index]) }
        wordEmbeddings = pointer(embeddingIndices[0])
        positionEmbeddings = pointer(embeddingIndices[1])
        tokenTypeEmbeddings = pointer(embeddingIndices[2])
        embeddingNormWeight = pointer(embeddingIndices[3])
        embeddingNormBias = pointer(embeddingIndices[4])
        layers = layerIndices.map { i in
            Layer(qkvWeight: pointer(i[0]), qkvBias: pointer(i[1]),
                  attentionOutputWeight: pointer(i[2]), attentionOutputBias: pointer(i[3]),
                  attentionNormWeight: pointer(i[4]), attentionNormBias: pointer(i[5]),
                  intermediateWeight: pointer(i[6]), intermediateBias: pointer(i[7]),
                  outputWeight: pointer(i[8]), outputBias: pointer(i[9]),
                  outputNormWeight: pointer(i[10]), outputNormBias: pointer(i[11]))
        }
    }

    deinit { storage.deallocate() }
}
