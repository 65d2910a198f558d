import Foundation

/// One training forward pass with dropout and recorded activations, the class-weighted cross-entropy,
/// and the backward pass to every parameter, over one group of examples on one thread.
///
/// It reads the parameters from a flat buffer laid out by ``ParameterLayout`` and writes the gradients of
/// every dense slot it trains into a buffer with the same layout (overwriting them: no zeroing needed).
/// The word embeddings' gradient is left per token in the workspace's `embeddingGradient`, for the
/// caller to add into the rows of the batch's token ids in a fixed order.
///
/// The forward pass is the inference pass of ``BertEncoder/forward(_:recordActivations:)`` plus dropout:
/// with dropout off its hidden states are bit-identical to it. Weight gradients are GEMMs
/// (`dW = dYᵀ·X`, `dX = dY·W`); attention's backward runs per (text, head) like its forward.
struct BackwardPass {
    /// One group of examples for one thread.
    struct Group {
        var encodings: [Encoding]
        var labels: [Int]
        /// Each example's class weight divided by the whole batch's total class weight.
        var lossWeights: [Float]
        /// Each example's dropout generator (see ``Dropout``).
        var generators: [SplitMix64]

        var offsets: [Int] {
            var result: [Int] = [], total = 0
            for encoding in encodings { result.append(total); total += encoding.count }
            return result
        }
    }

    let layout: ParameterLayout
    let pooling: Pooling
    let dropout: Dropout

    var configuration: BertConfiguration { layout.configuration }

    /// Runs forward and backward over `group`.
    ///
    /// - Returns: The group's share of the batch loss, `Σ lossWeight · cross-entropy`.
    func run(_ group: inout Group, parameters p: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>,
             workspace: BackwardWorkspace) -> Double {
        let c = configuration
        let lengths = group.encodings.map(\.count)
        let attentionOffsets = lengths.reduce(into: [0]) { $0.append($0[$0.count - 1] + c.headCount * $1 * $1) }
        let b = workspace.prepare(configuration: c, labels: layout.labels, tokens: lengths.reduce(0, +),
                                  examples: lengths.count, attention: attentionOffsets[attentionOffsets.count - 1],
                                  longest: lengths.max() ?? 0, dropout: dropout.isActive)
        let offsets = group.offsets
        let clock = ContinuousClock(), began = clock.now, cpuBegan = BackwardWorkspace.threadCPUSeconds()
        embeddingsForward(group.encodings, &group.generators, p, b)
        for layer in 0..<c.layerCount {
            layerForward(layer, offsets: offsets, lengths: lengths, attentionOffsets: attentionOffsets,
                         generators: &group.generators, p, b)
        }
        let forwardEnded = clock.now, cpuForwardEnded = BackwardWorkspace.threadCPUSeconds()
        let loss = headForwardBackward(&group, offsets: offsets, lengths: lengths, p, g, b)
        for layer in (0..<c.layerCount).reversed() {
            layerBackward(layer, offsets: offsets, lengths: lengths, attentionOffsets: attentionOffsets, p, g, b)
        }
        embeddingsBackward(group.encodings, p, g, b)
        workspace.lastTimes = (forwardEnded - began, clock.now - forwardEnded)
        workspace.lastCPUSeconds = (cpuForwardEnded - cpuBegan, BackwardWorkspace.threadCPUSeconds() - cpuForwardEnded)
        return loss
    }

    /// Pooling, classifier dropout, logits, the loss and its gradient back to the last hidden state (into `dA`).
    private func headForwardBackward(
        _ group: inout Group, offsets: [Int], lengths: [Int], _ p: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>,
        _ b: BackwardWorkspace.Buffers
    ) -> Double {
        let h = configuration.hiddenSize, labels = layout.labels, count = lengths.count, tokens = b.tokens
        let last = b.state(configuration.layerCount)
        switch pooling {
        case .mean:
            for (index, (offset, n)) in zip(offsets, lengths).enumerated() {
                let out = b.pooled + index * h
                out.update(repeating: 0, count: h)
                for row in offset..<(offset + n) { VectorMath.add(last + row * h, to: out, count: h) }
                let inverse = 1 / Float(n)
                for j in 0..<h { out[j] *= inverse }
            }
        case .cls:
            for (index, offset) in offsets.enumerated() { (b.clsRows + index * h).update(from: last + offset * h, count: h) }
            VectorMath.fillRows(b.pooled, rows: count, columns: h, bias: p + layout.poolerBias.offset)
            BLAS.gemm(transposeB: true, m: count, n: h, k: h, a: b.clsRows, lda: h, b: p + layout.poolerWeight.offset, ldb: h,
                      beta: 1, c: b.pooled, ldc: h)
            for i in 0..<(count * h) { b.pooled[i] = tanhf(b.pooled[i]) }
        }
        let classifierInput: UnsafeMutablePointer<Float>
        if dropout.isActive {
            for index in 0..<count { dropout.fill(b.poolMask + index * h, count: h, generator: &group.generators[index]) }
            VectorMath.product(b.pooled, b.poolMask, count: count * h, output: b.dropped)
            classifierInput = b.dropped
        } else {
            classifierInput = b.pooled
        }
        VectorMath.fillRows(b.logits, rows: count, columns: labels, bias: p + layout.headBias.offset)
        BLAS.gemm(transposeB: true, m: count, n: labels, k: h, a: classifierInput, lda: h, b: p + layout.headWeight.offset,
                  ldb: h, beta: 1, c: b.logits, ldc: labels)

        // Cross-entropy and dLogits = w·(softmax − onehot).
        var loss: Double = 0
        for index in 0..<count {
            let logits = b.logits + index * labels, d = b.dLogits + index * labels
            var maximum = -Double.infinity
            for k in 0..<labels { maximum = max(maximum, Double(logits[k])) }
            var total: Double = 0
            for k in 0..<labels { total += Foundation.exp(Double(logits[k]) - maximum) }
            let logTotal = Foundation.log(total) + maximum
            let weight = group.lossWeights[index], label = group.labels[index]
            loss += Double(weight) * (logTotal - Double(logits[label]))
            for k in 0..<labels {
                let probability = Foundation.exp(Double(logits[k]) - logTotal)
                d[k] = Float(Double(weight) * (probability - (k == label ? 1 : 0)))
            }
        }

        // Classifier: dW = dLogitsᵀ·input, db = Σ dLogits, dInput = dLogits·W.
        BLAS.gemm(transposeA: true, m: labels, n: h, k: count, a: b.dLogits, lda: labels, b: classifierInput, ldb: h,
                  c: g + layout.headWeight.offset, ldc: h)
        VectorMath.columnSums(b.dLogits, rows: count, columns: labels, output: g + layout.headBias.offset)
        BLAS.gemm(m: count, n: h, k: labels, a: b.dLogits, lda: labels, b: p + layout.headWeight.offset, ldb: h,
                  c: b.dPooled, ldc: h)
        if dropout.isActive { VectorMath.multiply(b.dPooled, by: b.poolMask, count: count * h) }

        let dLast = b.dA
        switch pooling {
        case .mean:
            for (index, (offset, n)) in zip(offsets, lengths).enumerated() {
                let inverse = 1 / Float(n), source = b.dPooled + index * h
                for row in offset..<(offset + n) {
                    let out = dLast + row * h
                    for j in 0..<h { out[j] = source[j] * inverse }
                }
            }
        case .cls:
            // tanh' = 1 − tanh²; then the pooler's dense layer.
            for i in 0..<(count * h) { b.dPooled[i] *= 1 - b.pooled[i] * b.pooled[i] }
            BLAS.gemm(transposeA: true, m: h, n: h, k: count, a: b.dPooled, lda: h, b: b.clsRows, ldb: h,
                      c: g + layout.poolerWeight.offset, ldc: h)
            VectorMath.columnSums(b.dPooled, rows: count, columns: h, output: g + layout.poolerBias.offset)
            BLAS.gemm(m: count, n: h, k: h, a: b.dPooled, lda: h, b: p + layout.poolerWeight.offset, ldb: h,
                      c: b.dClsRows, ldc: h)
            dLast.update(repeating: 0, count: tokens * h)
            for (index, offset) in offsets.enumerated() { (dLast + offset * h).update(from: b.dClsRows + index * h, count: h) }
        }
        return loss
    }
}
