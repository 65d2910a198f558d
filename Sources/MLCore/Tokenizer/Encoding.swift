/// One tokenised input: token ids with `[CLS]`/`[SEP]`, and their token type (segment) ids.
public struct Encoding: Sendable, Hashable {
    /// Vocabulary ids, `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]`.
    public var ids: [Int]
    /// 0 for `[CLS]`, the first text and its `[SEP]`; 1 for the second text and the final `[SEP]`.
    public var typeIDs: [Int]

    /// Creates an encoding; `typeIDs` defaults to all zeros.
    public init(ids: [Int], typeIDs: [Int]? = nil) {
        precondition(typeIDs == nil || typeIDs?.count == ids.count, "typeIDs must match ids in length")
        self.ids = ids
        self.typeIDs = typeIDs ?? [Int](repeating: 0, count: ids.count)
    }

    /// The number of tokens.
    public var count: Int { ids.count }
}

/// Encodings padded to one length: the tensors a batched forward pass takes.
public struct PaddedBatch: Sendable, Equatable {
    /// `[batch, length]` ids, padded with the padding id.
    public var ids: [[Int]]
    /// `[batch, length]` token type ids, padded with 0.
    public var typeIDs: [[Int]]
    /// `[batch, length]` 1 for real tokens, 0 for padding.
    public var attentionMask: [[Int]]

    /// Pads `encodings` on the right to the longest one.
    public init(_ encodings: [Encoding], paddingID: Int) {
        let length = encodings.map(\.count).max() ?? 0
        ids = encodings.map { $0.ids + [Int](repeating: paddingID, count: length - $0.count) }
        typeIDs = encodings.map { $0.typeIDs + [Int](repeating: 0, count: length - $0.count) }
        attentionMask = encodings.map {
            [Int](repeating: 1, count: $0.count) + [Int](repeating: 0, count: length - $0.count)
        }
    }
}
