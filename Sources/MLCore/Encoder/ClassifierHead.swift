import Foundation

/// A linear classifier over a pooled text vector: `logits = weight · pooled + bias`.
///
/// Saved as `classifier.weight` `[labels, hidden]` and `classifier.bias` `[labels]`, the names
/// `BertForSequenceClassification` uses.
public struct ClassifierHead: Sendable, Equatable {
    /// `[labels, hidden]`.
    public var weight: Tensor
    /// `[labels]`.
    public var bias: Tensor

    public init(weight: Tensor, bias: Tensor) {
        precondition(weight.shape.count == 2 && bias.shape == [weight.shape[0]], "head shapes \(weight.shape), \(bias.shape)")
        self.weight = weight
        self.bias = bias
    }

    /// The number of labels.
    public var labels: Int { weight.shape[0] }
    /// The width of the pooled vector it reads.
    public var hidden: Int { weight.shape[1] }

    /// A fresh head as `transformers` initialises one: weights normal(0, 0.02) from `seed`, biases 0.
    public static func initialized(labels: Int, hidden: Int, seed: UInt64) -> ClassifierHead {
        var generator = SplitMix64(seed: seed ^ 0x6865_6164)  // "head": independent of other uses of the seed
        let scalars = (0..<(labels * hidden)).map { _ in generator.nextNormal() * 0.02 }
        return ClassifierHead(weight: Tensor(shape: [labels, hidden], scalars: scalars), bias: Tensor(zeros: [labels]))
    }

    /// Softmax over the logits of each pooled row (`rows × hidden`), into `rows × labels` probabilities.
    func probabilities(pooled: [Float], rows: Int) -> [[Float]] {
        let h = hidden, count = labels
        return (0..<rows).map { row in
            var logits = [Float](repeating: 0, count: count)
            for label in 0..<count {
                var sum: Float = 0
                for j in 0..<h { sum += weight.scalars[label * h + j] * pooled[row * h + j] }
                logits[label] = sum + bias.scalars[label]
            }
            return softmax(logits)
        }
    }
}

/// A numerically stable softmax (max subtracted, sums in Double).
func softmax(_ logits: [Float]) -> [Float] {
    let maximum = logits.max() ?? 0
    let exps = logits.map { Foundation.exp(Double($0 - maximum)) }
    let total = exps.reduce(0, +)
    return exps.map { Float($0 / total) }
}

extension SplitMix64 {
    /// A standard normal value (Box–Muller over two uniform draws).
    mutating func nextNormal() -> Float {
        let u1 = (Double(next() >> 11) + 1) / Double(1 << 53)  // (0, 1]
        let u2 = Double(next() >> 11) / Double(1 << 53)
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }
}

/// Class probabilities for `encodings` from an encoder, a head and a pooling (dropout off), in input order.
///
/// Encodings are run in length-sorted batches of `batchSize` (see ``BertEncoder/embed(encodings:batchSize:)``);
/// `mean` averages each text's last hidden state (not normalised), `cls` applies the pooler to `[CLS]`.
///
/// - Throws: ``MLCoreError`` `.invalidConfiguration` when the head's width is not the encoder's hidden size,
///   or `cls` pooling is asked of weights without `pooler.dense`; `.invalidInput` for bad encodings.
public func classify(encoder: BertEncoder, head: ClassifierHead, pooling: Pooling, encodings: [Encoding],
                     batchSize: Int) throws -> [[Float]] {
    let h = encoder.configuration.hiddenSize
    guard head.hidden == h else {
        throw MLCoreError(.invalidConfiguration, "the head reads \(head.hidden)-wide vectors but the encoder's hidden size is \(h)")
    }
    if pooling == .cls, encoder.weights.pooler == nil {
        throw MLCoreError(.invalidConfiguration, "cls pooling needs the pooler weights (pooler.dense.*), which this model lacks; use mean pooling")
    }
    var result = [[Float]](repeating: [], count: encodings.count)
    for batch in BertEncoder.lengthBuckets(encodings.map(\.count), batchSize: batchSize) {
        let pass = try encoder.forward(batch.map { encodings[$0] })
        let pooled = encoder.pooled(pass, pooling: pooling)
        for (slot, row) in head.probabilities(pooled: pooled, rows: batch.count).enumerated() { result[batch[slot]] = row }
    }
    return result
}

extension BertEncoder {
    /// Each text's pooled vector, rows back to back (`texts × hidden`).
    func pooled(_ pass: ForwardPass, pooling: Pooling) -> [Float] {
        let h = configuration.hiddenSize
        switch pooling {
        case .mean:
            return Self.meanPooled(pass, hiddenSize: h).flatMap { $0 }
        case .cls:
            guard let pooler = weights.pooler else { return [] }
            var result = [Float](repeating: 0, count: pass.offsets.count * h)
            for (index, offset) in pass.offsets.enumerated() {
                for out in 0..<h {
                    var sum: Float = 0
                    for j in 0..<h { sum += pooler.weight.scalars[out * h + j] * pass.hidden[offset * h + j] }
                    result[index * h + out] = Foundation.tanh(sum + pooler.bias.scalars[out])
                }
            }
            return result
        }
    }
}
