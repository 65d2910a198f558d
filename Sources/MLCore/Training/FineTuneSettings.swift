/// How a text's token states become one vector for the classifier.
public enum Pooling: String, Sendable, Codable, CaseIterable {
    /// The mean of the last hidden state over the text's tokens (the pooling all-MiniLM-L6-v2 was trained with).
    case mean
    /// BERT's pooler over `[CLS]`: `tanh(W·h_cls + b)` with `pooler.dense`, as `BertForSequenceClassification`.
    case cls
}

/// One training example: a tokenised input and its label index.
public struct LabelledEncoding: Sendable, Hashable {
    public var encoding: Encoding
    /// The label's index, `0 ..< labels`.
    public var label: Int

    public init(encoding: Encoding, label: Int) {
        self.encoding = encoding
        self.label = label
    }
}

/// The settings of full fine-tuning (``FineTuner``); the defaults suit a few thousand rows.
///
/// Optimisation follows `transformers`' `Trainer`: AdamW (β = 0.9, 0.999, ε = 1e-8, decoupled weight
/// decay on matrices only), a linear warm-up over `warmupRatio` of the steps then linear decay to 0,
/// and gradient clipping by global norm.
public struct FineTuneSettings: Sendable, Equatable {
    /// Passes over the training examples (at most; early stopping may end sooner).
    public var epochs: Int = 3
    /// The peak learning rate, reached at the end of warm-up.
    public var learningRate: Float = 5e-5
    /// Examples per optimiser step.
    public var batchSize: Int = 16
    /// Longest input in tokens (special tokens included); longer encodings are cut, keeping their last token.
    public var maxTokens: Int = 128
    /// The fraction of all steps spent warming the learning rate up from 0.
    public var warmupRatio: Float = 0.1
    /// Decoupled weight decay (AdamW), not applied to biases and layer norms.
    public var weightDecay: Float = 0.01
    /// Gradients are scaled down when their global L2 norm exceeds this; 0 turns clipping off.
    public var maxGradientNorm: Float = 1.0
    /// Dropout probability on attention probabilities, hidden outputs and before the classifier (as BERT).
    public var dropout: Float = 0.1
    /// How token states become the classifier's input.
    public var pooling: Pooling = .mean
    /// A weight per label in the cross-entropy (for skewed labels), or nil for equal weights.
    public var classWeights: [Float]? = nil
    /// Seeds shuffling, dropout and the head's initial weights.
    public var seed: UInt64 = 42
    /// Worker threads (at most ``BertEncoder/slices`` help); results do not depend on it.
    public var threads: Int = 2
    /// Epochs without a better validation score before training stops.
    public var patience: Int = 2
    /// Stop after this epoch (1-based) although the learning-rate schedule spans ``epochs``: the refit of
    /// a cross-validated run reproduces the state its folds were scored in. `nil` trains every epoch.
    public var stopAfterEpoch: Int? = nil

    public init(epochs: Int = 3, learningRate: Float = 5e-5, batchSize: Int = 16, maxTokens: Int = 128,
                warmupRatio: Float = 0.1, weightDecay: Float = 0.01, maxGradientNorm: Float = 1.0, dropout: Float = 0.1,
                pooling: Pooling = .mean, classWeights: [Float]? = nil, seed: UInt64 = 42, threads: Int = 2,
                patience: Int = 2, stopAfterEpoch: Int? = nil) {
        self.epochs = epochs
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.maxTokens = maxTokens
        self.warmupRatio = warmupRatio
        self.weightDecay = weightDecay
        self.maxGradientNorm = maxGradientNorm
        self.dropout = dropout
        self.pooling = pooling
        self.classWeights = classWeights
        self.seed = seed
        self.threads = threads
        self.patience = patience
        self.stopAfterEpoch = stopAfterEpoch
    }

    /// Checks every setting for `labels` classes.
    ///
    /// - Throws: ``MLCoreError`` `.invalidConfiguration` naming the setting, its value and the allowed range.
    public func validate(labels: Int) throws {
        func fail(_ message: String) -> MLCoreError { MLCoreError(.invalidConfiguration, message) }
        guard labels >= 2 else { throw fail("a classifier needs at least 2 labels, got \(labels)") }
        guard epochs >= 1 else { throw fail("epochs must be at least 1, got \(epochs)") }
        guard learningRate > 0, learningRate.isFinite else { throw fail("learning rate must be positive, got \(learningRate)") }
        guard batchSize >= 1 else { throw fail("batch size must be at least 1, got \(batchSize)") }
        guard maxTokens >= 2 else { throw fail("max tokens must be at least 2, got \(maxTokens)") }
        guard (0...1).contains(warmupRatio) else { throw fail("warm-up ratio must be in 0...1, got \(warmupRatio)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw fail("weight decay must be 0 or more, got \(weightDecay)") }
        guard maxGradientNorm >= 0, maxGradientNorm.isFinite else {
            throw fail("max gradient norm must be 0 (off) or more, got \(maxGradientNorm)")
        }
        guard dropout >= 0, dropout < 1 else { throw fail("dropout must be in 0..<1, got \(dropout)") }
        guard threads >= 1 else { throw fail("threads must be at least 1, got \(threads)") }
        guard patience >= 1 else { throw fail("patience must be at least 1, got \(patience)") }
        if let stop = stopAfterEpoch, !(1...epochs).contains(stop) {
            throw fail("stop after epoch must be in 1...\(epochs), got \(stop)")
        }
        if let classWeights {
            guard classWeights.count == labels else {
                throw fail("class weights has \(classWeights.count) values for \(labels) labels; give one per label in label order")
            }
            if let bad = classWeights.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
                throw fail("class weight \(bad) is \(classWeights[bad]); every class weight must be positive")
            }
        }
    }
}
