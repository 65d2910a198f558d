import Foundation

extension BertEncoder {
    /// The vector a classifier head reads for each encoding: the encoder's pooled last hidden state.
    ///
    /// The same pooling ``classify(encoder:head:pooling:encodings:batchSize:)`` applies, so a head fitted
    /// on these features (``LinearHead``) scores the same through `classify`:
    /// - ``Pooling/mean``: the mean of the last hidden state over the encoding's tokens, **not**
    ///   L2-normalised, as `(last_hidden_state * mask).sum(1) / mask.sum(1)` in PyTorch.
    /// - ``Pooling/cls``: BERT's pooler, `tanh(pooler.dense(h[CLS]))`, as `BertModel`'s `pooler_output`.
    ///
    /// Inputs are run shortest first in batches of `batchSize` and returned in input order.
    ///
    /// - Throws: ``MLCoreError`` `.invalidConfiguration` for `cls` pooling without pooler weights, or what
    ///   ``forward(_:recordActivations:)`` throws.
    public func pooledFeatures(_ encodings: [Encoding], pooling: Pooling, batchSize: Int = 32) throws -> [[Float]] {
        let h = configuration.hiddenSize
        if pooling == .cls, weights.pooler == nil {
            throw MLCoreError(.invalidConfiguration,
                              "cls pooling needs the pooler weights (pooler.dense.*), which this model lacks; use mean pooling")
        }
        var result = [[Float]](repeating: [], count: encodings.count)
        for batch in Self.lengthBuckets(encodings.map(\.count), batchSize: batchSize) {
            let pooled = self.pooled(try forward(batch.map { encodings[$0] }), pooling: pooling)
            for (slot, index) in batch.enumerated() { result[index] = Array(pooled[(slot * h)..<((slot + 1) * h)]) }
        }
        return result
    }
}
