/// The training forward pass: the inference pass's arithmetic plus dropout, recording what the backward pass reads.
extension BackwardPass {
    /// Word + position + token type embeddings, layer norm (recorded), dropout, into state 0.
    func embeddingsForward(_ encodings: [Encoding], _ generators: inout [SplitMix64], _ p: UnsafePointer<Float>,
                           _ b: BackwardWorkspace.Buffers) {
        let c = configuration, h = c.hiddenSize
        let sum = b.dA
        var row = 0
        for encoding in encodings {
            for position in 0..<encoding.count {
                let out = sum + row * h
                let word = p + layout.word.offset + encoding.ids[position] * h
                let place = p + layout.position.offset + position * h
                let type = p + layout.tokenType.offset + encoding.typeIDs[position] * h
                for j in 0..<h { out[j] = word[j] + place[j] + type[j] }
                row += 1
            }
        }
        let output = b.state(0)
        VectorMath.layerNormRecording(sum, rows: row, columns: h, gamma: p + layout.embeddingNormWeight.offset,
                                      beta: p + layout.embeddingNormBias.offset, epsilon: c.layerNormEpsilon,
                                      normalized: b.embeddingNormalized, inverseDeviation: b.embeddingDeviation, output: output)
        if dropout.isActive {
            var offset = 0
            for (index, encoding) in encodings.enumerated() {
                dropout.fill(b.embeddingMask + offset * h, count: encoding.count * h, generator: &generators[index])
                offset += encoding.count
            }
            VectorMath.multiply(output, by: b.embeddingMask, count: row * h)
        }
    }

    /// One transformer layer from state `layer` to state `layer + 1`, recording its activations.
    func layerForward(_ layer: Int, offsets: [Int], lengths: [Int], attentionOffsets: [Int],
                      generators: inout [SplitMix64], _ p: UnsafePointer<Float>, _ b: BackwardWorkspace.Buffers) {
        let c = configuration, slots = layout.layers[layer]
        let h = c.hiddenSize, inter = c.intermediateSize, d = c.headSize, tokens = b.tokens, eps = c.layerNormEpsilon
        let x = b.state(layer), output = b.state(layer + 1)
        let qkv = b.layerRows(b.qkv, layer, width: 3 * h)
        let probabilities = b.layerAttention(b.probabilities, layer)
        let probabilityMask = b.layerAttention(b.probabilityMask, layer)
        let context = b.layerRows(b.context, layer, width: h)

        VectorMath.fillRows(qkv, rows: tokens, columns: 3 * h, bias: p + slots.qkvBias.offset)
        BLAS.gemm(transposeB: true, m: tokens, n: 3 * h, k: h, a: x, lda: h, b: p + slots.qkvWeight.offset, ldb: h,
                  beta: 1, c: qkv, ldc: 3 * h)
        let scale = 1 / Float(d).squareRoot()
        for (index, (offset, n)) in zip(offsets, lengths).enumerated() {
            for head in 0..<c.headCount {
                let q = qkv + offset * 3 * h + head * d
                let block = attentionOffsets[index] + head * n * n
                let probability = probabilities + block
                BLAS.gemm(transposeB: true, m: n, n: n, k: d, alpha: scale, a: q, lda: 3 * h, b: q + h, ldb: 3 * h,
                          c: probability, ldc: n)
                VectorMath.softmaxRows(probability, rows: n, columns: n, stride: n)
                var weights = UnsafePointer(probability)
                if dropout.isActive {
                    dropout.fill(probabilityMask + block, count: n * n, generator: &generators[index])
                    VectorMath.product(probability, probabilityMask + block, count: n * n, output: b.scoresA)
                    weights = UnsafePointer(b.scoresA)
                }
                BLAS.gemm(m: n, n: d, k: n, a: weights, lda: n, b: q + 2 * h, ldb: 3 * h,
                          c: context + offset * h + head * d, ldc: h)
            }
        }

        let attentionOutput = b.layerRows(b.attentionOutput, layer, width: h)
        dense(input: context, inputWidth: h, weight: p + slots.attentionOutputWeight.offset,
              bias: p + slots.attentionOutputBias.offset, residual: x, mask: b.layerRows(b.attentionMask, layer, width: h),
              offsets: offsets, lengths: lengths, generators: &generators, into: b.dC, tokens: tokens)
        VectorMath.layerNormRecording(b.dC, rows: tokens, columns: h, gamma: p + slots.attentionNormWeight.offset,
                                      beta: p + slots.attentionNormBias.offset, epsilon: eps,
                                      normalized: b.layerRows(b.attentionNormalized, layer, width: h),
                                      inverseDeviation: b.layerTokens(b.attentionDeviation, layer), output: attentionOutput)

        let preActivation = b.layerRows(b.preActivation, layer, width: inter)
        let activation = b.layerRows(b.activation, layer, width: inter)
        VectorMath.fillRows(preActivation, rows: tokens, columns: inter, bias: p + slots.intermediateBias.offset)
        BLAS.gemm(transposeB: true, m: tokens, n: inter, k: h, a: attentionOutput, lda: h,
                  b: p + slots.intermediateWeight.offset, ldb: h, beta: 1, c: preActivation, ldc: inter)
        activation.update(from: preActivation, count: tokens * inter)
        VectorMath.gelu(activation, count: tokens * inter)

        dense(input: activation, inputWidth: inter, weight: p + slots.outputWeight.offset, bias: p + slots.outputBias.offset,
              residual: attentionOutput, mask: b.layerRows(b.outputMask, layer, width: h), offsets: offsets,
              lengths: lengths, generators: &generators, into: b.dC, tokens: tokens)
        VectorMath.layerNormRecording(b.dC, rows: tokens, columns: h, gamma: p + slots.outputNormWeight.offset,
                                      beta: p + slots.outputNormBias.offset, epsilon: eps,
                                      normalized: b.layerRows(b.outputNormalized, layer, width: h),
                                      inverseDeviation: b.layerTokens(b.outputDeviation, layer), output: output)
    }

    /// `residual + dropout(input·Wᵀ + bias)` into `output` (`tokens × hidden`). Without dropout the bias and
    /// residual are filled first and the GEMM accumulates onto them, exactly as the inference pass does.
    private func dense(
        input: UnsafePointer<Float>, inputWidth: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        residual: UnsafePointer<Float>, mask: UnsafeMutablePointer<Float>, offsets: [Int], lengths: [Int],
        generators: inout [SplitMix64], into output: UnsafeMutablePointer<Float>, tokens: Int
    ) {
        let h = configuration.hiddenSize
        if dropout.isActive {
            VectorMath.fillRows(output, rows: tokens, columns: h, bias: bias)
            BLAS.gemm(transposeB: true, m: tokens, n: h, k: inputWidth, a: input, lda: inputWidth, b: weight,
                      ldb: inputWidth, beta: 1, c: output, ldc: h)
            for (index, (offset, n)) in zip(offsets, lengths).enumerated() {
                dropout.fill(mask + offset * h, count: n * h, generator: &generators[index])
            }
            VectorMath.multiply(output, by: mask, count: tokens * h)
            VectorMath.add(residual, to: output, count: tokens * h)
        } else {
            VectorMath.fillRows(output, rows: tokens, columns: h, bias: bias, residual: residual)
            BLAS.gemm(transposeB: true, m: tokens, n: h, k: inputWidth, a: input, lda: inputWidth, b: weight,
                      ldb: inputWidth, beta: 1, c: output, ldc: h)
        }
    }
}
