import Foundation

/// Where each trainable tensor lives in one flat Float32 buffer: the encoder's parameters (query, key
/// and value fused into `[3·hidden, hidden]` as in ``PackedWeights``), the pooler and the classifier head.
///
/// The word embeddings come first so that the rest (the *dense* part, every row of which gets a
/// gradient on every step) is one contiguous range; the word embeddings' gradient is sparse (only the
/// rows of the batch's tokens) and is handled row by row. The same layout indexes the parameters, their
/// gradients and AdamW's two moments. Each tensor starts on a 16-float (64-byte) boundary.
struct ParameterLayout: Sendable {
    /// One tensor's place: `offset ..< offset + count`, and whether weight decay applies to it.
    struct Slot: Sendable {
        let offset: Int
        let count: Int
        /// True for matrices (linear weights, embeddings); false for biases and layer norms.
        let decays: Bool
    }

    /// One transformer layer's slots.
    struct Layer: Sendable {
        let qkvWeight, qkvBias, attentionOutputWeight, attentionOutputBias, attentionNormWeight, attentionNormBias: Slot
        let intermediateWeight, intermediateBias, outputWeight, outputBias, outputNormWeight, outputNormBias: Slot
    }

    let configuration: BertConfiguration
    let labels: Int
    let word, position, tokenType, embeddingNormWeight, embeddingNormBias: Slot
    let layers: [Layer]
    let poolerWeight, poolerBias: Slot
    let headWeight, headBias: Slot
    /// The total number of floats (with alignment padding).
    let count: Int

    /// Where the dense part starts (just after the word embeddings).
    var denseStart: Int { position.offset }

    init(configuration c: BertConfiguration, labels: Int) {
        let h = c.hiddenSize, inter = c.intermediateSize
        var next = 0
        func slot(_ count: Int, decays: Bool) -> Slot {
            defer { next += (count + 15) / 16 * 16 }
            return Slot(offset: next, count: count, decays: decays)
        }
        configuration = c
        self.labels = labels
        word = slot(c.vocabularySize * h, decays: true)
        position = slot(c.maximumPositions * h, decays: true)
        tokenType = slot(c.typeVocabularySize * h, decays: true)
        embeddingNormWeight = slot(h, decays: false)
        embeddingNormBias = slot(h, decays: false)
        layers = (0..<c.layerCount).map { _ in
            Layer(qkvWeight: slot(3 * h * h, decays: true), qkvBias: slot(3 * h, decays: false),
                  attentionOutputWeight: slot(h * h, decays: true), attentionOutputBias: slot(h, decays: false),
                  attentionNormWeight: slot(h, decays: false), attentionNormBias: slot(h, decays: false),
                  intermediateWeight: slot(inter * h, decays: true), intermediateBias: slot(inter, decays: false),
                  outputWeight: slot(h * inter, decays: true), outputBias: slot(h, decays: false),
                  outputNormWeight: slot(h, decays: false), outputNormBias: slot(h, decays: false))
        }
        poolerWeight = slot(h * h, decays: true)
        poolerBias = slot(h, decays: false)
        headWeight = slot(labels * h, decays: true)
        headBias = slot(labels, decays: false)
        count = next
    }

    /// The dense slots that are trained: everything after the word embeddings, the pooler only for `cls`.
    func trainedDenseSlots(pooling: Pooling) -> [Slot] {
        var slots = [position, tokenType, embeddingNormWeight, embeddingNormBias]
        for layer in layers {
            slots += [layer.qkvWeight, layer.qkvBias, layer.attentionOutputWeight, layer.attentionOutputBias,
                      layer.attentionNormWeight, layer.attentionNormBias, layer.intermediateWeight, layer.intermediateBias,
                      layer.outputWeight, layer.outputBias, layer.outputNormWeight, layer.outputNormBias]
        }
        if pooling == .cls { slots += [poolerWeight, poolerBias] }
        return slots + [headWeight, headBias]
    }

    /// Copies the encoder's weights and the head into `buffer` (the pooler too, when the weights have one).
    func store(_ weights: BertWeights, head: ClassifierHead, into buffer: UnsafeMutablePointer<Float>) {
        func put(_ scalars: [Float], _ slot: Slot) {
            precondition(scalars.count == slot.count, "tensor size \(scalars.count) does not fill its slot (\(slot.count))")
            scalars.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { (buffer + slot.offset).update(from: base, count: slot.count) }
            }
        }
        put(weights.wordEmbeddings.scalars, word)
        put(weights.positionEmbeddings.scalars, position)
        put(weights.tokenTypeEmbeddings.scalars, tokenType)
        put(weights.embeddingNorm.weight.scalars, embeddingNormWeight)
        put(weights.embeddingNorm.bias.scalars, embeddingNormBias)
        for (layer, slots) in zip(weights.layers, layers) {
            put(layer.query.weight.scalars + layer.key.weight.scalars + layer.value.weight.scalars, slots.qkvWeight)
            put(layer.query.bias.scalars + layer.key.bias.scalars + layer.value.bias.scalars, slots.qkvBias)
            put(layer.attentionOutput.weight.scalars, slots.attentionOutputWeight)
            put(layer.attentionOutput.bias.scalars, slots.attentionOutputBias)
            put(layer.attentionNorm.weight.scalars, slots.attentionNormWeight)
            put(layer.attentionNorm.bias.scalars, slots.attentionNormBias)
            put(layer.intermediate.weight.scalars, slots.intermediateWeight)
            put(layer.intermediate.bias.scalars, slots.intermediateBias)
            put(layer.output.weight.scalars, slots.outputWeight)
            put(layer.output.bias.scalars, slots.outputBias)
            put(layer.outputNorm.weight.scalars, slots.outputNormWeight)
            put(layer.outputNorm.bias.scalars, slots.outputNormBias)
        }
        if let pooler = weights.pooler {
            put(pooler.weight.scalars, poolerWeight)
            put(pooler.bias.scalars, poolerBias)
        }
        put(head.weight.scalars, headWeight)
        put(head.bias.scalars, headBias)
    }

    /// Reads the weights back: `template` supplies the shapes and is returned with every scalar replaced
    /// (its pooler only when `includesPooler`, so mean-pooled training leaves the pooler as it was).
    func load(from buffer: UnsafePointer<Float>, template: BertWeights, includesPooler: Bool) -> (BertWeights, ClassifierHead) {
        func take(_ slot: Slot, _ range: Range<Int>? = nil) -> [Float] {
            let range = range ?? 0..<slot.count
            return Array(UnsafeBufferPointer(start: buffer + slot.offset + range.lowerBound, count: range.count))
        }
        let h = configuration.hiddenSize
        var weights = template
        weights.wordEmbeddings.scalars = take(word)
        weights.positionEmbeddings.scalars = take(position)
        weights.tokenTypeEmbeddings.scalars = take(tokenType)
        weights.embeddingNorm.weight.scalars = take(embeddingNormWeight)
        weights.embeddingNorm.bias.scalars = take(embeddingNormBias)
        for (index, slots) in layers.enumerated() {
            var layer = weights.layers[index]
            layer.query.weight.scalars = take(slots.qkvWeight, 0..<(h * h))
            layer.key.weight.scalars = take(slots.qkvWeight, (h * h)..<(2 * h * h))
            layer.value.weight.scalars = take(slots.qkvWeight, (2 * h * h)..<(3 * h * h))
            layer.query.bias.scalars = take(slots.qkvBias, 0..<h)
            layer.key.bias.scalars = take(slots.qkvBias, h..<(2 * h))
            layer.value.bias.scalars = take(slots.qkvBias, (2 * h)..<(3 * h))
            layer.attentionOutput.weight.scalars = take(slots.attentionOutputWeight)
            layer.attentionOutput.bias.scalars = take(slots.attentionOutputBias)
            layer.attentionNorm.weight.scalars = take(slots.attentionNormWeight)
            layer.attentionNorm.bias.scalars = take(slots.attentionNormBias)
            layer.intermediate.weight.scalars = take(slots.intermediateWeight)
            layer.intermediate.bias.scalars = take(slots.intermediateBias)
            layer.output.weight.scalars = take(slots.outputWeight)
            layer.output.bias.scalars = take(slots.outputBias)
            layer.outputNorm.weight.scalars = take(slots.outputNormWeight)
            layer.outputNorm.bias.scalars = take(slots.outputNormBias)
            weights.layers[index] = layer
        }
        if includesPooler, weights.pooler != nil {
            weights.pooler?.weight.scalars = take(poolerWeight)
            weights.pooler?.bias.scalars = take(poolerBias)
        }
        let head = ClassifierHead(weight: Tensor(shape: [labels, h], scalars: take(headWeight)),
                                  bias: Tensor(shape: [labels], scalars: take(headBias)))
        return (weights, head)
    }
}

/// A heap buffer of Float32, zero-filled lazily by the kernel (`calloc`), freed on deinit.
///
/// Pages never written stay unresident, so a gradient buffer whose word-embedding rows are never
/// touched costs no memory for them.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(zeros count: Int) {
        guard let raw = calloc(max(count, 1), MemoryLayout<Float>.stride) else {
            fatalError("out of memory allocating \(count) floats")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
    }

    /// A copy of another buffer's contents.
    convenience init(copying other: FloatBuffer) {
        self.init(zeros: other.count)
        pointer.update(from: other.pointer, count: other.count)
    }

    deinit { free(pointer) }
}
