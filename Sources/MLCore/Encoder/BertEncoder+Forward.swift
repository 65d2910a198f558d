import Foundation

/// A raw pointer handed to worker threads that write disjoint rows behind it.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

/// The forward pass: embeddings, then per layer fused QKV GEMM → attention → output GEMM + residual +
/// layer norm → feed-forward GEMM + bias + GELU → GEMM + residual + layer norm.
///
/// A batch is *packed*: the tokens of all its encodings lie back to back in one `[tokens, hidden]`
/// matrix with no padding rows, so the GEMMs do no wasted work. Attention runs per (encoding, head)
/// over that encoding's own tokens only; this is exactly an additive padding mask on the keys
/// (masked keys get weight 0, as with `finfo.min` in the reference), without computing padded rows.
extension BertEncoder {
    /// What one layer computed, kept when a backward pass will need it.
    public struct LayerActivations: Sendable {
        /// The layer's input, `[tokens, hidden]`.
        public var input: [Float]
        /// Query, key and value, `[tokens, 3·hidden]` (bias added).
        public var queryKeyValue: [Float]
        /// Attention probabilities per encoding, each `[heads, n, n]`.
        public var probabilities: [[Float]]
        /// The heads' concatenated context, `[tokens, hidden]`.
        public var context: [Float]
        /// After attention output + residual + layer norm, `[tokens, hidden]`.
        public var attentionOutput: [Float]
        /// Feed-forward pre-activation (before GELU), `[tokens, intermediate]`.
        public var intermediate: [Float]
    }

    /// The result of a forward pass over one packed batch.
    public struct ForwardPass: Sendable {
        /// The last hidden state, `[tokens, hidden]`, encodings back to back.
        public var hidden: [Float]
        /// Where each encoding's first token is in ``hidden`` (a row index).
        public var offsets: [Int]
        /// Each encoding's token count.
        public var lengths: [Int]
        /// The embedding layer's output (after its layer norm), when recorded.
        public var embeddingOutput: [Float]?
        /// Per-layer activations, when recorded.
        public var activations: [LayerActivations]?

        /// Creates a result (the encoder makes these; tests build small ones by hand).
        public init(hidden: [Float], offsets: [Int], lengths: [Int], embeddingOutput: [Float]? = nil,
                    activations: [LayerActivations]? = nil) {
            self.hidden = hidden
            self.offsets = offsets
            self.lengths = lengths
            self.embeddingOutput = embeddingOutput
            self.activations = activations
        }
    }

    /// Runs the encoder over `encodings` as one batch.
    ///
    /// - Parameters:
    ///   - encodings: Token ids and type ids; each at most `maximumPositions` long.
    ///   - recordActivations: Keep each layer's intermediate values (for a backward pass). The batch then
    ///     runs as one group on one thread, so its output may differ from a plain pass in the last bits.
    /// - Throws: ``MLCoreError`` `.invalidInput` for an id outside the vocabulary or a sequence that is too long.
    /// - Complexity: O(tokens · layers · hidden · intermediate + Σ n² · hidden).
    public func forward(_ encodings: [Encoding], recordActivations: Bool = false) throws -> ForwardPass {
        let c = configuration
        let h = c.hiddenSize
        var offsets: [Int] = [], lengths: [Int] = []
        var total = 0
        for (index, encoding) in encodings.enumerated() {
            guard encoding.count <= c.maximumPositions else {
                throw MLCoreError(.invalidInput, "input \(index) has \(encoding.count) tokens; the model takes at most \(c.maximumPositions)")
            }
            if let bad = encoding.ids.first(where: { $0 < 0 || $0 >= c.vocabularySize }) {
                throw MLCoreError(.invalidInput, "input \(index) has token id \(bad) outside the vocabulary (0..<\(c.vocabularySize))")
            }
            if let bad = encoding.typeIDs.first(where: { $0 < 0 || $0 >= c.typeVocabularySize }) {
                throw MLCoreError(.invalidInput, "input \(index) has token type \(bad) outside 0..<\(c.typeVocabularySize)")
            }
            offsets.append(total)
            lengths.append(encoding.count)
            total += encoding.count
        }
        var hidden = [Float](repeating: 0, count: total * h)
        var embeddingOutput: [Float]?
        var activations: [LayerActivations]? = recordActivations ? [] : nil
        let groups = recordActivations ? [0..<encodings.count] : Self.partition(lengths, parts: Self.slices)
        let workers = min(threads, Self.slices)
        hidden.withUnsafeMutableBufferPointer { hiddenBuffer in
            guard let base = hiddenBuffer.baseAddress, total > 0 else { return }
            if groups.count == 1 {
                // One group (a lone text): each step is cut into `slices` shares, run by the workers.
                runGroup(encodings, offsets: offsets, lengths: lengths, hidden: base, slices: Self.slices,
                         workers: workers, embeddingOutput: &embeddingOutput, activations: &activations)
            } else {
                // Several groups: each runs whole, on its own thread when there are workers for it.
                let shared = SendablePointer(base)
                let (offsets, lengths) = (offsets, lengths)
                let runOne: @Sendable (Int) -> Void = { index in
                    let range = groups[index]
                    let first = offsets[range.lowerBound]
                    var unusedEmbedding: [Float]?
                    var unusedActivations: [LayerActivations]?
                    runGroup(Array(encodings[range]), offsets: offsets[range].map { $0 - first },
                             lengths: Array(lengths[range]), hidden: shared.pointer + first * h, slices: 1, workers: 1,
                             embeddingOutput: &unusedEmbedding, activations: &unusedActivations)
                }
                if workers > 1 {
                    DispatchQueue.concurrentPerform(iterations: groups.count, execute: runOne)
                } else {
                    for index in groups.indices { runOne(index) }
                }
            }
        }
        return ForwardPass(hidden: hidden, offsets: offsets, lengths: lengths, embeddingOutput: embeddingOutput,
                           activations: activations)
    }

    /// Splits consecutive encodings into at most `parts` groups of about equal work (tokens plus
    /// attention's n² share), so each thread gets a similar load.
    static func partition(_ lengths: [Int], parts: Int) -> [Range<Int>] {
        let count = lengths.count
        let groupCount = min(parts, count)
        guard groupCount > 1 else { return [0..<count] }
        var prefix: [Double] = [0]
        for length in lengths { prefix.append(prefix[prefix.count - 1] + Double(length) * (1 + Double(length) / 200)) }
        let total = prefix[count]
        var cuts = [0]
        for group in 1..<groupCount {
            let target = total * Double(group) / Double(groupCount)
            let candidates = (cuts[cuts.count - 1] + 1)...(count - (groupCount - group))
            let best = candidates.min { abs(prefix[$0] - target) < abs(prefix[$1] - target) } ?? candidates.lowerBound
            cuts.append(best)
        }
        cuts.append(count)
        return zip(cuts, cuts.dropFirst()).map { $0..<$1 }
    }

    /// Runs every layer over one group of encodings packed at `hidden`, each step cut into `slices`
    /// shares (see ``Share``) run by `workers` threads of ``WorkerTeam`` (or one after the other).
    private func runGroup(
        _ encodings: [Encoding], offsets: [Int], lengths: [Int], hidden x: UnsafeMutablePointer<Float>, slices: Int,
        workers: Int, embeddingOutput: inout [Float]?, activations: inout [LayerActivations]?
    ) {
        let c = configuration
        let total = lengths.reduce(0, +)
        let w = packed
        embed(encodings, into: x, weights: w)
        if activations != nil { embeddingOutput = Array(UnsafeBufferPointer(start: x, count: total * c.hiddenSize)) }
        let slices = activations == nil ? max(1, slices) : 1
        let workers = min(max(1, workers), slices)
        let scratch = Scratch(tokens: total, hidden: c.hiddenSize, intermediate: c.intermediateSize,
                              longest: lengths.max() ?? 0, parts: slices)
        defer { scratch.deallocate() }
        guard workers > 1 else {
            let share = Share(slices: slices, mine: Array(0..<slices), barrier: nil)
            for layer in w.layers {
                let record = runLayer(layer, hidden: x, tokens: total, offsets: offsets, lengths: lengths,
                                      scratch: scratch, share: share, recordActivations: activations != nil)
                if let record { activations?.append(record) }
            }
            return
        }
        let shared = SendablePointer(x)
        WorkerTeam.shared.run(parts: workers) { worker, barrier in
            let share = Share(slices: slices, mine: Array(stride(from: worker, to: slices, by: workers)), barrier: barrier)
            for layer in w.layers {
                _ = runLayer(layer, hidden: shared.pointer, tokens: total, offsets: offsets, lengths: lengths,
                             scratch: scratch, share: share, recordActivations: false)
            }
        }
    }

    /// How many shares a lone text's steps are cut into, and how many groups a batch is cut into.
    ///
    /// Fixed, so that results never depend on the thread count: OpenBLAS's products differ in their
    /// last bits with their shapes, so `threads` only decides how many of these shares run at once
    /// (at most this many threads help one forward pass).
    public static let slices = 2

    /// Which shares of each step of a layer one thread takes: whole 16-column blocks of each GEMM's
    /// output, a run of attention heads, a run of rows for layer norm, for each slice in `mine`.
    /// Threads meet at the barrier between steps. A slice's arithmetic is the same whichever thread
    /// runs it.
    struct Share {
        var slices: Int
        var mine: [Int]
        var barrier: StepBarrier?

        /// Slice `slice`'s columns of an `n`-column output, in whole 16-column blocks.
        func columns(_ n: Int, slice: Int) -> Range<Int> {
            let blocks = (n + 15) / 16
            return min(n, blocks * slice / slices * 16)..<min(n, blocks * (slice + 1) / slices * 16)
        }

        /// Slice `slice`'s share of `count` rows (or heads).
        func items(_ count: Int, slice: Int) -> Range<Int> { count * slice / slices..<count * (slice + 1) / slices }

        /// Runs `body` for each of this thread's slices, then waits for the other threads to finish
        /// the step.
        func step(_ body: (Int) -> Void) {
            for slice in mine { body(slice) }
            barrier?.wait()
        }
    }

    /// Working buffers for one forward pass (`scores` holds one `longest²` matrix per part).
    struct Scratch: @unchecked Sendable {
        let qkv, context, projected, attentionOutput, intermediate, scores: UnsafeMutablePointer<Float>
        let scoresPerPart: Int
        init(tokens: Int, hidden: Int, intermediate inter: Int, longest: Int, parts: Int) {
            scoresPerPart = max(1, longest * longest)
            qkv = .allocate(capacity: tokens * 3 * hidden)
            context = .allocate(capacity: tokens * hidden)
            projected = .allocate(capacity: tokens * hidden)
            attentionOutput = .allocate(capacity: tokens * hidden)
            intermediate = .allocate(capacity: tokens * inter)
            scores = .allocate(capacity: scoresPerPart * max(1, parts))
        }
        func deallocate() {
            for buffer in [qkv, context, projected, attentionOutput, intermediate, scores] { buffer.deallocate() }
        }
    }

    /// Word + position + token type embeddings, then layer norm, into `x` (`[tokens, hidden]`).
    private func embed(_ encodings: [Encoding], into x: UnsafeMutablePointer<Float>, weights w: PackedWeights) {
        let h = configuration.hiddenSize
        var row = 0
        for encoding in encodings {
            for position in 0..<encoding.count {
                let out = x + row * h
                let word = w.wordEmbeddings + encoding.ids[position] * h
                let place = w.positionEmbeddings + position * h
                let type = w.tokenTypeEmbeddings + encoding.typeIDs[position] * h
                for j in 0..<h { out[j] = word[j] + place[j] + type[j] }
                row += 1
            }
        }
        VectorMath.layerNorm(x, residual: nil, bias: nil, rows: row, columns: h, gamma: w.embeddingNormWeight,
                             beta: w.embeddingNormBias, epsilon: configuration.layerNormEpsilon, output: x)
    }

    /// One transformer layer in place on `x`, or this thread's shares of it.
    ///
    /// Each GEMM accumulates (beta = 1) onto rows pre-filled with its bias, and the residual where one
    /// follows; a slice fills and multiplies its own columns. The slices are fixed (``slices``), so a
    /// value's arithmetic never depends on which thread, or how many, ran them.
    private func runLayer(
        _ layer: PackedWeights.Layer, hidden x: UnsafeMutablePointer<Float>, tokens: Int, offsets: [Int], lengths: [Int],
        scratch s: Scratch, share: Share, recordActivations: Bool
    ) -> LayerActivations? {
        let c = configuration
        let h = c.hiddenSize, inter = c.intermediateSize, eps = c.layerNormEpsilon
        let input = recordActivations ? Array(UnsafeBufferPointer(start: x, count: tokens * h)) : []

        // Every step runs this thread's slices, then waits for the other threads' (see `Share.step`).
        share.step { slice in
            Self.linear(share.columns(3 * h, slice: slice), rows: tokens, input: x, inputWidth: h, weight: layer.qkvWeight,
                        bias: layer.qkvBias, residual: nil, output: s.qkv, outputWidth: 3 * h)
        }
        // Recording runs one slice (all heads), so the probabilities come back whole.
        var probabilities: [[Float]] = []
        share.step { slice in
            probabilities = attention(qkv: s.qkv, context: s.context, offsets: offsets, lengths: lengths,
                                      heads: share.items(c.headCount, slice: slice),
                                      scores: s.scores + slice * s.scoresPerPart, record: recordActivations)
        }
        share.step { slice in
            Self.linear(share.columns(h, slice: slice), rows: tokens, input: s.context, inputWidth: h,
                        weight: layer.attentionOutputWeight, bias: layer.attentionOutputBias, residual: x,
                        output: s.projected, outputWidth: h)
        }
        // Layer norm of a slice's rows of `s.projected` into `output`.
        func normalise(slice: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
            let rows = share.items(tokens, slice: slice)
            VectorMath.layerNorm(s.projected + rows.lowerBound * h, residual: nil, bias: nil, rows: rows.count, columns: h,
                                 gamma: gamma, beta: beta, epsilon: eps, output: output + rows.lowerBound * h)
        }
        share.step { normalise(slice: $0, gamma: layer.attentionNormWeight, beta: layer.attentionNormBias, output: s.attentionOutput) }
        var preActivation: [Float] = []
        share.step { slice in
            let wide = share.columns(inter, slice: slice)
            Self.linear(wide, rows: tokens, input: s.attentionOutput, inputWidth: h, weight: layer.intermediateWeight,
                        bias: layer.intermediateBias, residual: nil, output: s.intermediate, outputWidth: inter)
            if recordActivations { preActivation = Array(UnsafeBufferPointer(start: s.intermediate, count: tokens * inter)) }
            if wide.count == inter {
                VectorMath.gelu(s.intermediate, count: tokens * inter)
            } else {
                for row in 0..<tokens { VectorMath.gelu(s.intermediate + row * inter + wide.lowerBound, count: wide.count) }
            }
        }
        share.step { slice in
            Self.linear(share.columns(h, slice: slice), rows: tokens, input: s.intermediate, inputWidth: inter,
                        weight: layer.outputWeight, bias: layer.outputBias, residual: s.attentionOutput,
                        output: s.projected, outputWidth: h)
        }
        share.step { normalise(slice: $0, gamma: layer.outputNormWeight, beta: layer.outputNormBias, output: x) }

        guard recordActivations else { return nil }
        return LayerActivations(
            input: input, queryKeyValue: Array(UnsafeBufferPointer(start: s.qkv, count: tokens * 3 * h)),
            probabilities: probabilities, context: Array(UnsafeBufferPointer(start: s.context, count: tokens * h)),
            attentionOutput: Array(UnsafeBufferPointer(start: s.attentionOutput, count: tokens * h)),
            intermediate: preActivation)
    }

    /// `output[:, columns] = bias[columns] (+ residual[:, columns]) + input · weight[columns]ᵀ` for
    /// `rows` rows: the bias (and residual) first, then one GEMM accumulating onto them.
    private static func linear(
        _ columns: Range<Int>, rows: Int, input: UnsafePointer<Float>, inputWidth k: Int, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, outputWidth n: Int
    ) {
        guard !columns.isEmpty else { return }
        if columns.count == n {
            VectorMath.fillRows(output, rows: rows, columns: n, bias: bias, residual: residual)
        } else {
            VectorMath.fillColumns(output, rows: rows, width: n, columns: columns, bias: bias, residual: residual)
        }
        BLAS.gemm(transposeB: true, m: rows, n: columns.count, k: k, a: input, lda: k,
                  b: weight + columns.lowerBound * k, ldb: k, beta: 1, c: output + columns.lowerBound, ldc: n)
    }

    /// Scaled dot-product attention per encoding for `heads`: softmax(Q·Kᵀ/√d)·V over the encoding's
    /// own tokens, using `scores` (`longest²`) as working space.
    private func attention(
        qkv: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>, offsets: [Int], lengths: [Int],
        heads: Range<Int>, scores: UnsafeMutablePointer<Float>, record: Bool
    ) -> [[Float]] {
        let c = configuration
        let h = c.hiddenSize, d = c.headSize, stride = 3 * h
        var probabilities: [[Float]] = []
        for (offset, n) in zip(offsets, lengths) {
            var kept: [Float] = []
            if record { kept.reserveCapacity(heads.count * n * n) }
            for head in heads {
                let q = qkv + offset * stride + head * d
                Self.attendHead(query: q, key: q + h, value: q + 2 * h, stride: stride, length: n, headSize: d,
                                scores: scores, output: context + offset * h + head * d, outputStride: h)
                if record { kept.append(contentsOf: UnsafeBufferPointer(start: scores, count: n * n)) }
            }
            if record { probabilities.append(kept) }
        }
        return probabilities
    }

    /// One attention head over `length` tokens: `output = softmax(Q·Kᵀ/√d) · V`, leaving the
    /// probabilities in `scores` (`length × length`). Rows of Q, K, V are `stride` apart.
    static func attendHead(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, stride: Int,
        length n: Int, headSize d: Int, scores: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        BLAS.gemm(transposeB: true, m: n, n: n, k: d, alpha: 1 / Float(d).squareRoot(), a: query, lda: stride,
                  b: key, ldb: stride, c: scores, ldc: n)
        VectorMath.softmaxRows(scores, rows: n, columns: n, stride: n)
        BLAS.gemm(m: n, n: d, k: n, a: scores, lda: n, b: value, ldb: stride, c: output, ldc: outputStride)
    }
}
