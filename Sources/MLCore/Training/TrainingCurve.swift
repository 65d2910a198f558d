/// One epoch's score on the validation examples.
public struct EpochScore: Sendable, Codable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean (class-weighted) cross-entropy.
    public var loss: Float
    public var accuracy: Float
    /// The unweighted mean of per-label F1 over the labels present in the truth or the predictions.
    public var macroF1: Float

    public init(epoch: Int, loss: Float, accuracy: Float, macroF1: Float) {
        self.epoch = epoch
        self.loss = loss
        self.accuracy = accuracy
        self.macroF1 = macroF1
    }
}

/// How training went: the loss of every step and the validation score of every epoch.
public struct TrainingCurve: Sendable, Codable, Equatable {
    /// The training loss of each optimiser step, in order.
    public var stepLoss: [Float]
    /// The validation score after each completed epoch (empty without validation examples).
    public var epochValidation: [EpochScore]
    /// The 1-based epoch whose weights were kept: best macro-F1, ties to lower loss; the last epoch without validation.
    public var bestEpoch: Int

    public init(stepLoss: [Float] = [], epochValidation: [EpochScore] = [], bestEpoch: Int = 0) {
        self.stepLoss = stepLoss
        self.epochValidation = epochValidation
        self.bestEpoch = bestEpoch
    }
}

/// Where training is, reported after every optimiser step.
public struct TrainingProgress: Sendable, Equatable {
    /// 1-based epoch.
    public var epoch: Int
    public var epochs: Int
    /// 1-based step, counted over the whole run.
    public var step: Int
    /// Steps in the whole run (if it is not stopped early).
    public var steps: Int
    /// This step's training loss.
    public var loss: Float
    /// Training examples per second so far (forward, backward and update; validation excluded).
    public var examplesPerSecond: Double
    /// Estimated seconds left for the remaining steps, once a step has been timed.
    public var secondsRemaining: Double?

    public init(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Float, examplesPerSecond: Double,
                secondsRemaining: Double?) {
        self.epoch = epoch
        self.epochs = epochs
        self.step = step
        self.steps = steps
        self.loss = loss
        self.examplesPerSecond = examplesPerSecond
        self.secondsRemaining = secondsRemaining
    }
}

/// What fine-tuning produced: the encoder's weights and the head, from the best validation epoch.
public struct FineTuneResult: Sendable {
    /// The fine-tuned encoder weights (Hugging Face names via ``BertWeights/namedTensors``).
    public var weights: BertWeights
    /// The classifier: `classifier.weight` `[labels, hidden]` and `classifier.bias`.
    public var head: ClassifierHead
    public var curve: TrainingCurve
    /// The validation examples' probabilities after each scored epoch (`[epoch − 1][example][label]`);
    /// out-of-fold predictions when the validation examples are a cross-validation fold.
    public var validationProbabilities: [[[Float]]]

    public init(weights: BertWeights, head: ClassifierHead, curve: TrainingCurve, validationProbabilities: [[[Float]]] = []) {
        self.weights = weights
        self.head = head
        self.curve = curve
        self.validationProbabilities = validationProbabilities
    }
}
