/// The backward pass through the transformer layers and the embeddings.
extension BackwardPass {
    /// One layer backward: reads the gradient of its output from `dA`, writes its weights' gradients into
    /// `g` and the gradient of its input back into `dA`.
    func layerBackward(_ layer: Int, offsets: [Int], lengths: [Int], attentionOffsets: [Int],
                       _ p: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ b: BackwardWorkspace.Buffers) {
        let c = configuration, slots = layout.layers[layer]
        let h = c.hiddenSize, inter = c.intermediateSize, tokens = b.tokens
        let x = b.state(layer)
        let attentionOutput = b.layerRows(b.attentionOutput, layer, width: h)

        // Output layer norm: dA → dB (gradient of attentionOutput + dropout(dense)).
        VectorMath.layerNormBackward(b.dA, normalized: b.layerRows(b.outputNormalized, layer, width: h),
                                     inverseDeviation: b.layerTokens(b.outputDeviation, layer),
                                     gamma: p + slots.outputNormWeight.offset, rows: tokens, columns: h, dx: b.dB,
                                     dGamma: g + slots.outputNormWeight.offset, dBeta: g + slots.outputNormBias.offset)
        let dDense2 = masked(b.dB, mask: b.layerRows(b.outputMask, layer, width: h), into: b.dC, count: tokens * h)
        // Output dense: dW = dᵀ·activation, db = Σ d, dActivation = d·W.
        BLAS.gemm(transposeA: true, m: h, n: inter, k: tokens, a: dDense2, lda: h,
                  b: b.layerRows(b.activation, layer, width: inter), ldb: inter, c: g + slots.outputWeight.offset, ldc: inter)
        VectorMath.columnSums(dDense2, rows: tokens, columns: h, output: g + slots.outputBias.offset)
        BLAS.gemm(m: tokens, n: inter, k: h, a: dDense2, lda: h, b: p + slots.outputWeight.offset, ldb: inter,
                  c: b.dIntermediate, ldc: inter)
        VectorMath.geluBackward(b.dIntermediate, preActivation: b.layerRows(b.preActivation, layer, width: inter),
                                count: tokens * inter)
        // Intermediate dense; its input gradient adds onto the residual's (dB becomes d attentionOutput).
        BLAS.gemm(transposeA: true, m: inter, n: h, k: tokens, a: b.dIntermediate, lda: inter, b: attentionOutput, ldb: h,
                  c: g + slots.intermediateWeight.offset, ldc: h)
        VectorMath.columnSums(b.dIntermediate, rows: tokens, columns: inter, output: g + slots.intermediateBias.offset)
        BLAS.gemm(m: tokens, n: h, k: inter, a: b.dIntermediate, lda: inter, b: p + slots.intermediateWeight.offset, ldb: h,
                  beta: 1, c: b.dB, ldc: h)

        // Attention layer norm: dB → dA (gradient of x + dropout(dense)).
        VectorMath.layerNormBackward(b.dB, normalized: b.layerRows(b.attentionNormalized, layer, width: h),
                                     inverseDeviation: b.layerTokens(b.attentionDeviation, layer),
                                     gamma: p + slots.attentionNormWeight.offset, rows: tokens, columns: h, dx: b.dA,
                                     dGamma: g + slots.attentionNormWeight.offset, dBeta: g + slots.attentionNormBias.offset)
        let dDense1 = masked(b.dA, mask: b.layerRows(b.attentionMask, layer, width: h), into: b.dC, count: tokens * h)
        BLAS.gemm(transposeA: true, m: h, n: h, k: tokens, a: dDense1, lda: h, b: b.layerRows(b.context, layer, width: h),
                  ldb: h, c: g + slots.attentionOutputWeight.offset, ldc: h)
        VectorMath.columnSums(dDense1, rows: tokens, columns: h, output: g + slots.attentionOutputBias.offset)
        BLAS.gemm(m: tokens, n: h, k: h, a: dDense1, lda: h, b: p + slots.attentionOutputWeight.offset, ldb: h,
                  c: b.dContext, ldc: h)

        attentionBackward(layer, offsets: offsets, lengths: lengths, attentionOffsets: attentionOffsets, b)

        // QKV dense; its input gradient adds onto the residual's in dA.
        BLAS.gemm(transposeA: true, m: 3 * h, n: h, k: tokens, a: b.dQKV, lda: 3 * h, b: x, ldb: h,
                  c: g + slots.qkvWeight.offset, ldc: h)
        VectorMath.columnSums(b.dQKV, rows: tokens, columns: 3 * h, output: g + slots.qkvBias.offset)
        BLAS.gemm(m: tokens, n: h, k: 3 * h, a: b.dQKV, lda: 3 * h, b: p + slots.qkvWeight.offset, ldb: h,
                  beta: 1, c: b.dA, ldc: h)
    }

    /// `gradient ⊙ mask` into `scratch` when dropout is on; else `gradient` itself.
    private func masked(_ gradient: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>,
                        into scratch: UnsafeMutablePointer<Float>, count: Int) -> UnsafeMutablePointer<Float> {
        guard dropout.isActive else { return gradient }
        VectorMath.product(gradient, mask, count: count, output: scratch)
        return scratch
    }

    /// Attention backward per (text, head), from `dContext` into `dQKV`.
    ///
    /// With `A = dropout(P)` and `C = A·V`: `dV = Aᵀ·dC`, `dA = dC·Vᵀ`, `dP = dA ⊙ mask`,
    /// `dS = P ⊙ (dP − rowsum(P ⊙ dP))`, `dQ = dS·K/√d`, `dK = dSᵀ·Q/√d`.
    private func attentionBackward(_ layer: Int, offsets: [Int], lengths: [Int], attentionOffsets: [Int],
                                   _ b: BackwardWorkspace.Buffers) {
        let c = configuration
        let h = c.hiddenSize, d = c.headSize, stride = 3 * h
        let scale = 1 / Float(d).squareRoot()
        let qkv = b.layerRows(b.qkv, layer, width: 3 * h)
        let probabilities = b.layerAttention(b.probabilities, layer)
        let probabilityMask = b.layerAttention(b.probabilityMask, layer)
        for (index, (offset, n)) in zip(offsets, lengths).enumerated() {
            for head in 0..<c.headCount {
                let block = attentionOffsets[index] + head * n * n
                let probability = probabilities + block
                let q = qkv + offset * stride + head * d, k = q + h, v = q + 2 * h
                let dQ = b.dQKV + offset * stride + head * d, dK = dQ + h, dV = dQ + 2 * h
                let dContext = b.dContext + offset * h + head * d
                var weights = UnsafePointer(probability)
                if dropout.isActive {
                    VectorMath.product(probability, probabilityMask + block, count: n * n, output: b.scoresA)
                    weights = UnsafePointer(b.scoresA)
                }
                BLAS.gemm(transposeA: true, m: n, n: d, k: n, a: weights, lda: n, b: dContext, ldb: h, c: dV, ldc: stride)
                BLAS.gemm(transposeB: true, m: n, n: n, k: d, a: dContext, lda: h, b: v, ldb: stride, c: b.scoresB, ldc: n)
                if dropout.isActive { VectorMath.multiply(b.scoresB, by: probabilityMask + block, count: n * n) }
                VectorMath.softmaxBackwardRows(b.scoresB, probabilities: probability, rows: n, columns: n)
                BLAS.gemm(m: n, n: d, k: n, alpha: scale, a: b.scoresB, lda: n, b: k, ldb: stride, c: dQ, ldc: stride)
                BLAS.gemm(transposeA: true, m: n, n: d, k: n, alpha: scale, a: b.scoresB, lda: n, b: q, ldb: stride,
                          c: dK, ldc: stride)
            }
        }
    }

    /// Embeddings backward: dropout, layer norm, then the position and token-type rows (accumulated here)
    /// and the per-token word-embedding gradient (left in `embeddingGradient`).
    func embeddingsBackward(_ encodings: [Encoding], _ p: UnsafePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                            _ b: BackwardWorkspace.Buffers) {
        let h = configuration.hiddenSize, tokens = b.tokens
        let dOutput = masked(b.dA, mask: b.embeddingMask, into: b.dC, count: tokens * h)
        VectorMath.layerNormBackward(dOutput, normalized: b.embeddingNormalized, inverseDeviation: b.embeddingDeviation,
                                     gamma: p + layout.embeddingNormWeight.offset, rows: tokens, columns: h,
                                     dx: b.embeddingGradient, dGamma: g + layout.embeddingNormWeight.offset,
                                     dBeta: g + layout.embeddingNormBias.offset)
        let position = g + layout.position.offset, type = g + layout.tokenType.offset
        position.update(repeating: 0, count: layout.position.count)
        type.update(repeating: 0, count: layout.tokenType.count)
        var row = 0
        for encoding in encodings {
            for index in 0..<encoding.count {
                let source = b.embeddingGradient + row * h
                VectorMath.add(source, to: position + index * h, count: h)
                VectorMath.add(source, to: type + encoding.typeIDs[index] * h, count: h)
                row += 1
            }
        }
    }
}
