import Foundation

/// A pretrained BERT encoder (such as all-MiniLM-L6-v2) run on OpenBLAS: tokens in, hidden states or
/// sentence embeddings out.
///
/// Load it from a model folder holding `config.json`, `model.safetensors`, `vocab.txt` and
/// `tokenizer_config.json` (what `scripts/install-model` installs), then embed texts in batches.
///
/// ```swift
/// let encoder = try BertEncoder(modelDirectory: URL(filePath: "cache/models/minilm-l6"), threads: 2)
/// let vectors = try encoder.embed(["A man is playing a guitar.", "Quarterly revenue fell."],
///                                 maxTokens: 128, batchSize: 32)   // 384 floats each, unit length
/// ```
///
/// ## Topics
/// - ``embed(_:maxTokens:batchSize:)``, ``embed(encodings:batchSize:)``: mean-pooled, L2-normalised embeddings.
/// - ``lastHiddenState(_:)``: the last layer's output per token.
/// - ``forward(_:recordActivations:)``: one packed batch, optionally keeping activations for a backward pass.
public struct BertEncoder: Sendable {
    /// The model's shape.
    public let configuration: BertConfiguration
    /// The parameters, under their Hugging Face names (see ``BertWeights/namedTensors``).
    public private(set) var weights: BertWeights
    /// The tokenizer, when the encoder was loaded from a model folder or given one.
    public let tokenizer: Tokenizer?
    /// Threads a forward pass may use, up to ``slices``: a batch's groups, or a lone text's shares,
    /// run this many at once. Results do not depend on it (OpenBLAS itself always runs single-threaded).
    public var threads: Int
    var packed: PackedWeights

    /// Creates an encoder from a configuration and weights.
    public init(configuration: BertConfiguration, weights: BertWeights, tokenizer: Tokenizer? = nil,
                threads: Int = ThreadCount.fromEnvironment()) throws {
        try configuration.validate()
        if let tokenizer, tokenizer.vocabulary.count > configuration.vocabularySize {
            throw MLCoreError(.invalidConfiguration,
                              "the vocabulary has \(tokenizer.vocabulary.count) tokens but vocab_size is \(configuration.vocabularySize)")
        }
        self.configuration = configuration
        self.weights = weights
        self.tokenizer = tokenizer
        self.threads = max(1, threads)
        self.packed = PackedWeights(weights)
    }

    /// Loads `config.json`, `model.safetensors` (memory-mapped) and the tokenizer from a model folder.
    ///
    /// - Throws: ``MLCoreError`` naming the file when one is missing, malformed or has a wrong shape.
    public init(modelDirectory: URL, threads: Int = ThreadCount.fromEnvironment()) throws {
        guard FileManager.default.fileExists(atPath: modelDirectory.path) else {
            throw MLCoreError(.fileNotFound,
                              "\(modelDirectory.path): model folder not found (install it: scripts/install-model minilm-l6)")
        }
        let configuration = try BertConfiguration(contentsOf: modelDirectory.appendingPathComponent("config.json"))
        let weightsPath = modelDirectory.appendingPathComponent("model.safetensors").path
        let file = try SafeTensorsFile(path: weightsPath)
        let weights = try BertWeights(namedTensors: try file.floatTensors(), configuration: configuration, source: weightsPath)
        try self.init(configuration: configuration, weights: weights, tokenizer: try Tokenizer(modelDirectory: modelDirectory),
                      threads: threads)
    }

    /// Replaces the weights (after a training step, say); shapes must match the configuration.
    public mutating func setWeights(_ newWeights: BertWeights) throws {
        _ = try BertWeights(namedTensors: newWeights.namedTensors, configuration: configuration)
        weights = newWeights
        packed = PackedWeights(newWeights)
    }

    /// A tiny random-weight encoder for fast tests: 2 layers, hidden 32, 4 heads, feed-forward 64,
    /// 64 positions, with a tokenizer over `vocabulary` (default: ``tinyVocabulary``).
    public static func makeTiny(seed: UInt64 = 42, vocabulary: [String] = BertEncoder.tinyVocabulary,
                                threads: Int = 1) throws -> BertEncoder {
        let configuration = BertConfiguration(vocabularySize: vocabulary.count, hiddenSize: 32, layerCount: 2, headCount: 4,
                                              intermediateSize: 64, maximumPositions: 64, typeVocabularySize: 2)
        return try BertEncoder(configuration: configuration, weights: .random(configuration: configuration, seed: seed),
                               tokenizer: try Tokenizer(vocabulary: Vocabulary(tokens: vocabulary)), threads: threads)
    }

    /// The default vocabulary of ``makeTiny(seed:vocabulary:threads:)``: the special tokens and a few words.
    public static let tinyVocabulary: [String] = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "cat", "dog", "sat", "on", "mat", "is", "good",
        "bad", "play", "##ing", "##s", "un", "##able", ".", ",", "!", "?", "'", "hello", "world", "cafe", "x",
    ]
}
