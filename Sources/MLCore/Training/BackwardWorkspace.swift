import Foundation

/// The buffers one thread uses for a training forward and backward pass over one group of examples:
/// every activation the backward pass reads, the dropout masks, and the gradient scratch.
///
/// Sized for the largest group seen so far and reused across steps (no per-step allocation). At batch
/// 16 × 128 tokens on MiniLM-L6 the records take about 0.5 GB, split across the threads' groups.
final class BackwardWorkspace {
    /// Pointers into the storage for one group's sizes (valid until the next ``prepare``).
    struct Buffers {
        let tokens, hidden, intermediate, attention, layers: Int
        /// Hidden states: index 0 is the embedding output (after dropout), `l + 1` layer `l`'s output.
        let states: UnsafeMutablePointer<Float>
        let embeddingNormalized, embeddingDeviation, embeddingMask: UnsafeMutablePointer<Float>
        let qkv, probabilities, probabilityMask, context, attentionMask: UnsafeMutablePointer<Float>
        let attentionNormalized, attentionDeviation, attentionOutput: UnsafeMutablePointer<Float>
        let preActivation, activation, outputMask, outputNormalized, outputDeviation: UnsafeMutablePointer<Float>
        /// Classifier side, `examples × hidden` or `examples × labels`.
        let clsRows, pooled, poolMask, dropped, logits, dLogits, dPooled, dClsRows: UnsafeMutablePointer<Float>
        /// Gradient scratch.
        let dA, dB, dC, dContext, dIntermediate, dQKV, scoresA, scoresB: UnsafeMutablePointer<Float>
        /// The gradient of the summed embeddings (`tokens × hidden`): the word-embedding rows' gradients.
        let embeddingGradient: UnsafeMutablePointer<Float>

        func state(_ index: Int) -> UnsafeMutablePointer<Float> { states + index * tokens * hidden }
        func layerRows(_ base: UnsafeMutablePointer<Float>, _ layer: Int, width: Int) -> UnsafeMutablePointer<Float> {
            base + layer * tokens * width
        }
        func layerTokens(_ base: UnsafeMutablePointer<Float>, _ layer: Int) -> UnsafeMutablePointer<Float> {
            base + layer * tokens
        }
        func layerAttention(_ base: UnsafeMutablePointer<Float>, _ layer: Int) -> UnsafeMutablePointer<Float> {
            base + layer * attention
        }
    }

    private var storage = FloatBuffer(zeros: 0)
    /// The word-embedding gradient of the last prepared group (see ``Buffers/embeddingGradient``).
    private(set) var embeddingGradientPointer: UnsafeMutablePointer<Float>

    /// How long the last run's forward and backward halves took (for benchmarks).
    var lastTimes: (forward: Duration, backward: Duration) = (.zero, .zero)
    /// The same in this thread's CPU seconds (meaningful on a loaded machine).
    var lastCPUSeconds: (forward: Double, backward: Double) = (0, 0)

    /// The calling thread's CPU time in seconds.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    init() { embeddingGradientPointer = storage.pointer }

    /// Lays out buffers for `tokens` tokens in `examples` texts whose attention matrices hold `attention`
    /// values per layer, growing the storage when needed.
    func prepare(configuration c: BertConfiguration, labels: Int, tokens: Int, examples: Int, attention: Int,
                 longest: Int, dropout: Bool) -> Buffers {
        let h = c.hiddenSize, inter = c.intermediateSize, layers = c.layerCount
        let masks = dropout ? 1 : 0
        let sizes: [Int] = [
            (layers + 1) * tokens * h, tokens * h, tokens, masks * tokens * h,
            layers * tokens * 3 * h, layers * attention, masks * layers * attention, layers * tokens * h,
            masks * layers * tokens * h,
            layers * tokens * h, layers * tokens, layers * tokens * h,
            layers * tokens * inter, layers * tokens * inter, masks * layers * tokens * h, layers * tokens * h, layers * tokens,
            examples * h, examples * h, examples * h, examples * h, examples * labels, examples * labels, examples * h,
            examples * h,
            tokens * h, tokens * h, tokens * h, tokens * h, tokens * inter, tokens * 3 * h, longest * longest,
            longest * longest,
            tokens * h,
        ]
        let padded = sizes.map { ($0 + 15) / 16 * 16 }
        let total = padded.reduce(0, +)
        if storage.count < total { storage = FloatBuffer(zeros: total + total / 8) }
        var next = storage.pointer
        var pointers: [UnsafeMutablePointer<Float>] = []
        for size in padded {
            pointers.append(next)
            next += size
        }
        var index = 0
        func take() -> UnsafeMutablePointer<Float> { defer { index += 1 }; return pointers[index] }
        let buffers = Buffers(
            tokens: tokens, hidden: h, intermediate: inter, attention: attention, layers: layers,
            states: take(), embeddingNormalized: take(), embeddingDeviation: take(), embeddingMask: take(),
            qkv: take(), probabilities: take(), probabilityMask: take(), context: take(), attentionMask: take(),
            attentionNormalized: take(), attentionDeviation: take(), attentionOutput: take(),
            preActivation: take(), activation: take(), outputMask: take(), outputNormalized: take(), outputDeviation: take(),
            clsRows: take(), pooled: take(), poolMask: take(), dropped: take(), logits: take(), dLogits: take(),
            dPooled: take(), dClsRows: take(),
            dA: take(), dB: take(), dC: take(), dContext: take(), dIntermediate: take(), dQKV: take(), scoresA: take(),
            scoresB: take(), embeddingGradient: take())
        embeddingGradientPointer = buffers.embeddingGradient
        return buffers
    }

    /// The floats held (for memory accounting).
    var capacity: Int { storage.count }
}
