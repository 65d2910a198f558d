import Foundation

/// A BERT encoder's shape, as in a model folder's `config.json`.
public struct BertConfiguration: Sendable, Equatable, Codable {
    /// Vocabulary size (`vocab_size`).
    public var vocabularySize: Int
    /// Width of every hidden state (`hidden_size`).
    public var hiddenSize: Int
    /// Number of transformer layers (`num_hidden_layers`).
    public var layerCount: Int
    /// Attention heads per layer (`num_attention_heads`); must divide ``hiddenSize``.
    public var headCount: Int
    /// Width of the feed-forward layer (`intermediate_size`).
    public var intermediateSize: Int
    /// Longest sequence the position embeddings cover (`max_position_embeddings`).
    public var maximumPositions: Int
    /// Number of token types (`type_vocab_size`).
    public var typeVocabularySize: Int
    /// Layer norm epsilon (`layer_norm_eps`).
    public var layerNormEpsilon: Float

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads", intermediateSize = "intermediate_size"
        case maximumPositions = "max_position_embeddings", typeVocabularySize = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps"
    }

    /// Creates a configuration; the defaults are all-MiniLM-L6-v2's.
    public init(vocabularySize: Int = 30522, hiddenSize: Int = 384, layerCount: Int = 6, headCount: Int = 12,
                intermediateSize: Int = 1536, maximumPositions: Int = 512, typeVocabularySize: Int = 2,
                layerNormEpsilon: Float = 1e-12) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.maximumPositions = maximumPositions
        self.typeVocabularySize = typeVocabularySize
        self.layerNormEpsilon = layerNormEpsilon
    }

    /// The width of one attention head.
    public var headSize: Int { hiddenSize / headCount }

    /// Reads `config.json`, checking that it describes a BERT encoder this code can run.
    ///
    /// - Throws: ``MLCoreError`` `.fileNotFound` or `.invalidConfiguration` naming the file and the problem.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MLCoreError(.fileNotFound, "\(url.path): model configuration not found (install the model: scripts/install-model)")
        }
        do {
            self = try JSONDecoder().decode(BertConfiguration.self, from: data)
        } catch {
            throw MLCoreError(.invalidConfiguration, "\(url.path): not a BERT config.json (\(error))")
        }
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let activation = object["hidden_act"] as? String, activation != "gelu" {
                throw MLCoreError(.invalidConfiguration,
                                  "\(url.path): hidden_act '\(activation)' is not supported (only 'gelu', the erf form)")
            }
            if let embedding = object["position_embedding_type"] as? String, embedding != "absolute" {
                throw MLCoreError(.invalidConfiguration,
                                  "\(url.path): position_embedding_type '\(embedding)' is not supported (only 'absolute')")
            }
        }
        try validate(source: url.path)
    }

    /// Checks that every size is positive and the heads divide the hidden size.
    public func validate(source: String = "configuration") throws {
        let sizes = [vocabularySize, hiddenSize, layerCount, headCount, intermediateSize, maximumPositions, typeVocabularySize]
        guard sizes.allSatisfy({ $0 > 0 }) else {
            throw MLCoreError(.invalidConfiguration, "\(source): every size must be positive")
        }
        guard hiddenSize % headCount == 0 else {
            throw MLCoreError(.invalidConfiguration,
                              "\(source): hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        }
    }
}
