/// A BERT encoder's parameters, each a ``Tensor`` under its Hugging Face name.
///
/// Names follow `BertModel` without a `bert.` prefix (`embeddings.word_embeddings.weight`,
/// `encoder.layer.3.attention.self.query.bias`, …). Linear weights are `[out, in]`, as PyTorch stores
/// them (y = x·Wᵀ + b). ``namedTensors`` gives them back under the same names, so fine-tuned weights can
/// be written with ``SafeTensorsWriter`` and read by `transformers`.
public struct BertWeights: Sendable, Equatable {
    /// A linear layer: `weight` `[out, in]` and `bias` `[out]`.
    public struct Linear: Sendable, Equatable {
        public var weight: Tensor
        public var bias: Tensor
        public init(weight: Tensor, bias: Tensor) { self.weight = weight; self.bias = bias }
    }

    /// A layer norm's scale (`weight`) and shift (`bias`).
    public struct LayerNorm: Sendable, Equatable {
        public var weight: Tensor
        public var bias: Tensor
        public init(weight: Tensor, bias: Tensor) { self.weight = weight; self.bias = bias }
    }

    /// One transformer layer.
    public struct Layer: Sendable, Equatable {
        public var query: Linear, key: Linear, value: Linear
        /// `attention.output.dense` and `attention.output.LayerNorm`.
        public var attentionOutput: Linear, attentionNorm: LayerNorm
        /// `intermediate.dense` (`[intermediate, hidden]`).
        public var intermediate: Linear
        /// `output.dense` (`[hidden, intermediate]`) and `output.LayerNorm`.
        public var output: Linear, outputNorm: LayerNorm
    }

    /// `embeddings.word_embeddings.weight` `[vocab, hidden]`.
    public var wordEmbeddings: Tensor
    /// `embeddings.position_embeddings.weight` `[positions, hidden]`.
    public var positionEmbeddings: Tensor
    /// `embeddings.token_type_embeddings.weight` `[types, hidden]`.
    public var tokenTypeEmbeddings: Tensor
    /// `embeddings.LayerNorm`.
    public var embeddingNorm: LayerNorm
    /// `encoder.layer.N`.
    public var layers: [Layer]
    /// `pooler.dense`, unused by mean pooling but kept so that saved weights stay a complete `BertModel`.
    public var pooler: Linear?

    /// The tensors by Hugging Face name.
    public var namedTensors: [String: Tensor] {
        var result: [String: Tensor] = [
            "embeddings.word_embeddings.weight": wordEmbeddings,
            "embeddings.position_embeddings.weight": positionEmbeddings,
            "embeddings.token_type_embeddings.weight": tokenTypeEmbeddings,
            "embeddings.LayerNorm.weight": embeddingNorm.weight,
            "embeddings.LayerNorm.bias": embeddingNorm.bias,
        ]
        for (index, layer) in layers.enumerated() {
            let prefix = "encoder.layer.\(index)."
            let linears: [(String, Linear)] = [
                ("attention.self.query", layer.query), ("attention.self.key", layer.key),
                ("attention.self.value", layer.value), ("attention.output.dense", layer.attentionOutput),
                ("intermediate.dense", layer.intermediate), ("output.dense", layer.output),
            ]
            for (name, linear) in linears {
                result[prefix + name + ".weight"] = linear.weight
                result[prefix + name + ".bias"] = linear.bias
            }
            for (name, norm) in [("attention.output.LayerNorm", layer.attentionNorm), ("output.LayerNorm", layer.outputNorm)] {
                result[prefix + name + ".weight"] = norm.weight
                result[prefix + name + ".bias"] = norm.bias
            }
        }
        if let pooler {
            result["pooler.dense.weight"] = pooler.weight
            result["pooler.dense.bias"] = pooler.bias
        }
        return result
    }

    /// Collects the weights from tensors by name, checking each shape against `configuration`.
    ///
    /// Names may carry a `bert.` prefix (as in `BertForSequenceClassification` files); other tensors are ignored.
    ///
    /// - Throws: ``MLCoreError`` `.missingTensor` or `.shapeMismatch` naming the tensor and `source`.
    public init(namedTensors input: [String: Tensor], configuration c: BertConfiguration, source: String = "weights") throws {
        var tensors = input
        for (name, tensor) in input where name.hasPrefix("bert.") { tensors[String(name.dropFirst(5))] = tensor }
        func take(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard let tensor = tensors[name] else {
                throw MLCoreError(.missingTensor, "\(source): no tensor '\(name)' (expected shape \(shape))")
            }
            guard tensor.shape == shape else {
                throw MLCoreError(.shapeMismatch,
                                  "\(source): tensor '\(name)' has shape \(tensor.shape), the configuration implies \(shape)")
            }
            return tensor
        }
        func linear(_ name: String, out: Int, in inputs: Int) throws -> Linear {
            Linear(weight: try take(name + ".weight", [out, inputs]), bias: try take(name + ".bias", [out]))
        }
        func norm(_ name: String) throws -> LayerNorm {
            LayerNorm(weight: try take(name + ".weight", [c.hiddenSize]), bias: try take(name + ".bias", [c.hiddenSize]))
        }
        let h = c.hiddenSize
        wordEmbeddings = try take("embeddings.word_embeddings.weight", [c.vocabularySize, h])
        positionEmbeddings = try take("embeddings.position_embeddings.weight", [c.maximumPositions, h])
        tokenTypeEmbeddings = try take("embeddings.token_type_embeddings.weight", [c.typeVocabularySize, h])
        embeddingNorm = try norm("embeddings.LayerNorm")
        layers = try (0..<c.layerCount).map { index in
            let p = "encoder.layer.\(index)."
            return Layer(
                query: try linear(p + "attention.self.query", out: h, in: h),
                key: try linear(p + "attention.self.key", out: h, in: h),
                value: try linear(p + "attention.self.value", out: h, in: h),
                attentionOutput: try linear(p + "attention.output.dense", out: h, in: h),
                attentionNorm: try norm(p + "attention.output.LayerNorm"),
                intermediate: try linear(p + "intermediate.dense", out: c.intermediateSize, in: h),
                output: try linear(p + "output.dense", out: h, in: c.intermediateSize),
                outputNorm: try norm(p + "output.LayerNorm"))
        }
        pooler = tensors["pooler.dense.weight"] != nil ? try linear("pooler.dense", out: h, in: h) : nil
    }

    /// Random weights for tests: normal(0, 0.02)-like values from a seeded generator, unit norms, zero biases.
    public static func random(configuration c: BertConfiguration, seed: UInt64) -> BertWeights {
        var generator = SplitMix64(seed: seed)
        func tensor(_ shape: [Int]) -> Tensor {
            let count = Tensor.elementCount(of: shape)
            return Tensor(shape: shape, scalars: (0..<count).map { _ in generator.nextSymmetric() * 0.05 })
        }
        func linear(out: Int, in inputs: Int) -> Linear {
            Linear(weight: tensor([out, inputs]), bias: tensor([out]))
        }
        func norm() -> LayerNorm {
            LayerNorm(weight: Tensor(shape: [c.hiddenSize], scalars: (0..<c.hiddenSize).map { _ in 1 + generator.nextSymmetric() * 0.1 }),
                      bias: tensor([c.hiddenSize]))
        }
        let h = c.hiddenSize
        let embeddings = (tensor([c.vocabularySize, h]), tensor([c.maximumPositions, h]), tensor([c.typeVocabularySize, h]))
        let embeddingNorm = norm()
        let layers = (0..<c.layerCount).map { _ in
            Layer(query: linear(out: h, in: h), key: linear(out: h, in: h), value: linear(out: h, in: h),
                  attentionOutput: linear(out: h, in: h), attentionNorm: norm(),
                  intermediate: linear(out: c.intermediateSize, in: h), output: linear(out: h, in: c.intermediateSize),
                  outputNorm: norm())
        }
        return BertWeights(wordEmbeddings: embeddings.0, positionEmbeddings: embeddings.1, tokenTypeEmbeddings: embeddings.2,
                           embeddingNorm: embeddingNorm, layers: layers, pooler: nil)
    }

    private init(wordEmbeddings: Tensor, positionEmbeddings: Tensor, tokenTypeEmbeddings: Tensor,
                 embeddingNorm: LayerNorm, layers: [Layer], pooler: Linear?) {
        self.wordEmbeddings = wordEmbeddings
        self.positionEmbeddings = positionEmbeddings
        self.tokenTypeEmbeddings = tokenTypeEmbeddings
        self.embeddingNorm = embeddingNorm
        self.layers = layers
        self.pooler = pooler
    }
}

/// A small seeded generator (SplitMix64) so random test weights are the same on every platform.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A uniform value in [-1, 1).
    mutating func nextSymmetric() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}
