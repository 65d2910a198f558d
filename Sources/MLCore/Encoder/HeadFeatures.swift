/// What vector a classifier head reads for one row.
///
/// - ``pooled``: the pooled embedding of the rendered row (for a pair, of `[CLS] a [SEP] b [SEP]`),
///   `hidden` wide. Every fine-tuned model, and every head over one text.
/// - ``pair``: for a pair (`input_output`, `rag`, `tools`), the joint embedding `j` above, then each
///   side encoded alone, `u` (the input or context) and `v` (the response), then `|u − v|` and
///   `u ⊙ v`: `[j, u, v, |u − v|, u ⊙ v]`, `5 × hidden` wide. The classification features of
///   Sentence-BERT (Reimers and Gurevych, 2019) beside the joint embedding: the head can read the
///   response's own form (its length, its register) and how close it is to the context, which a mean
///   over ~100 joint tokens dilutes. Every vector is pooled the same way (``Pooling``, not normalised).
///
/// Recorded in `metric.json` as `head_features: "pair"`; absent, the head reads `pooled` features (every folder
/// written before pair features existed reads so, byte for byte as before).
public enum HeadFeatures: String, Sendable, Hashable, CaseIterable {
    case pooled
    case pair

    /// How many hidden-size blocks wide the head's input is.
    public var widthFactor: Int {
        switch self {
        case .pooled: 1
        case .pair: 5
        }
    }

    /// `[joint, first, second, |first − second|, first ⊙ second]` (each `hidden` wide).
    public static func pairVector(joint: [Float], first: [Float], second: [Float]) -> [Float] {
        precondition(joint.count == first.count && first.count == second.count, "pair feature widths differ")
        var vector = joint
        vector.reserveCapacity(joint.count * 5)
        vector += first
        vector += second
        for (a, b) in zip(first, second) { vector.append(abs(a - b)) }
        for (a, b) in zip(first, second) { vector.append(a * b) }
        return vector
    }
}

extension BertEncoder {
    /// ``HeadFeatures/pair`` vectors: for each row, its joint encoding's pooled vector and its two sides'
    /// (each side encoded alone), combined by ``HeadFeatures/pairVector(joint:first:second:)``.
    ///
    /// - Parameters:
    ///   - joint: Each row's pair encoding (`[CLS] a [SEP] b [SEP]`).
    ///   - first: Each row's first side, encoded alone (same order).
    ///   - second: Each row's second side, encoded alone (same order).
    /// - Throws: What ``pooledFeatures(_:pooling:batchSize:)`` throws.
    public func pairFeatures(joint: [Encoding], first: [Encoding], second: [Encoding], pooling: Pooling,
                             batchSize: Int = 32) throws -> [[Float]] {
        precondition(joint.count == first.count && first.count == second.count, "one first and second side per row")
        let pooledJoint = try pooledFeatures(joint, pooling: pooling, batchSize: batchSize)
        let sides = try pooledFeatures(first + second, pooling: pooling, batchSize: batchSize)
        return joint.indices.map {
            HeadFeatures.pairVector(joint: pooledJoint[$0], first: sides[$0], second: sides[joint.count + $0])
        }
    }
}
