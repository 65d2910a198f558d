extension BertEncoder {
    /// Sentence embeddings: the last hidden state mean-pooled over each text's tokens, L2-normalised.
    ///
    /// Texts are tokenised, sorted by length and run in batches of `batchSize` (length bucketing: short
    /// texts never wait on long ones), then returned in input order.
    ///
    /// - Parameters:
    ///   - texts: The inputs; pairs are encoded `[CLS] a [SEP] b [SEP]`.
    ///   - maxTokens: Truncation length, special tokens included (128 matches the reference setting).
    ///   - batchSize: Texts per forward pass.
    /// - Returns: One `hiddenSize`-long unit vector per input, in input order.
    /// - Throws: ``MLCoreError`` `.invalidConfiguration` when the encoder has no tokenizer.
    public func embed(_ texts: [TextInput], maxTokens: Int = 128, batchSize: Int = 32) throws -> [[Float]] {
        guard let tokenizer else {
            throw MLCoreError(.invalidConfiguration, "this encoder has no tokenizer; load it from a model folder")
        }
        let limit = min(maxTokens, configuration.maximumPositions)
        return try embed(encodings: tokenizer.encode(texts, maxTokens: limit), batchSize: batchSize)
    }

    /// Sentence embeddings of already tokenised inputs (see ``embed(_:maxTokens:batchSize:)``).
    public func embed(encodings: [Encoding], batchSize: Int = 32) throws -> [[Float]] {
        var result = [[Float]](repeating: [], count: encodings.count)
        for batch in Self.lengthBuckets(encodings.map(\.count), batchSize: batchSize) {
            let pass = try forward(batch.map { encodings[$0] })
            let pooled = Self.meanPooled(pass, hiddenSize: configuration.hiddenSize)
            for (slot, index) in batch.enumerated() { result[index] = Self.l2Normalized(pooled[slot]) }
        }
        return result
    }

    /// The last hidden state of each input, `[n, hidden]`, in input order.
    public func lastHiddenState(_ encodings: [Encoding], batchSize: Int = 32) throws -> [Tensor] {
        let h = configuration.hiddenSize
        var result = [Tensor](repeating: Tensor(zeros: [0, h]), count: encodings.count)
        for batch in Self.lengthBuckets(encodings.map(\.count), batchSize: batchSize) {
            let pass = try forward(batch.map { encodings[$0] })
            for (slot, index) in batch.enumerated() {
                let start = pass.offsets[slot] * h, n = pass.lengths[slot]
                result[index] = Tensor(shape: [n, h], scalars: Array(pass.hidden[start..<(start + n * h)]))
            }
        }
        return result
    }

    /// Groups input indices into batches of at most `batchSize`, shortest inputs first (stable for ties).
    static func lengthBuckets(_ lengths: [Int], batchSize: Int) -> [[Int]] {
        let order = lengths.indices.sorted { (lengths[$0], $0) < (lengths[$1], $1) }
        let size = max(1, batchSize)
        return stride(from: 0, to: order.count, by: size).map { Array(order[$0..<min($0 + size, order.count)]) }
    }

    /// The mean of each encoding's token rows (only real tokens: padding never enters a packed batch).
    static func meanPooled(_ pass: ForwardPass, hiddenSize h: Int) -> [[Float]] {
        zip(pass.offsets, pass.lengths).map { offset, n in
            var sum = [Float](repeating: 0, count: h)
            guard n > 0 else { return sum }
            pass.hidden.withUnsafeBufferPointer { hidden in
                for row in offset..<(offset + n) {
                    for j in 0..<h { sum[j] += hidden[row * h + j] }
                }
            }
            let inverse = 1 / Float(n)
            return sum.map { $0 * inverse }
        }
    }

    /// `v / max(‖v‖₂, 1e-12)`, as `torch.nn.functional.normalize`.
    public static func l2Normalized(_ vector: [Float]) -> [Float] {
        var squares: Double = 0
        for value in vector { squares += Double(value) * Double(value) }
        let norm = max(Float(squares.squareRoot()), 1e-12)
        return vector.map { $0 / norm }
    }
}
