import Foundation

/// Full fine-tuning of a BERT encoder and a linear classifier head by backpropagation.
///
/// Every encoder layer, the embeddings, the head (and for `cls` pooling the pooler) are trained with
/// AdamW, a linear warm-up and decay of the learning rate, gradient clipping by global norm, dropout
/// as in BERT, class-weighted cross-entropy and seeded shuffling. After each epoch the model is scored
/// on the validation examples; the best epoch's weights are kept (macro-F1, ties to lower loss) and
/// training stops after `patience` epochs without improvement.
///
/// Batches are packed (no padding rows) and cut into ``BertEncoder/slices`` groups in a fixed way, run
/// by up to `threads` threads: the same examples, settings and seed give bit-identical weights, whatever
/// the thread count.
///
/// ```swift
/// let tuner = FineTuner(encoder: encoder, labels: 2, settings: FineTuneSettings(epochs: 3))
/// let result = try tuner.train(training, validation: held, progress: { print($0.step, $0.loss) },
///                              isCancelled: { false })
/// var tuned = encoder
/// try tuned.setWeights(result.weights)
/// let probabilities = try classify(encoder: tuned, head: result.head, pooling: .mean, encodings: texts, batchSize: 32)
/// ```
public final class FineTuner: Sendable {
    /// The encoder whose weights training starts from.
    public let encoder: BertEncoder
    public let labels: Int
    public let settings: FineTuneSettings

    public init(encoder: BertEncoder, labels: Int, settings: FineTuneSettings) {
        self.encoder = encoder
        self.labels = labels
        self.settings = settings
    }

    /// Trains every encoder layer and the head; keeps the weights of the best validation epoch.
    ///
    /// - Parameters:
    ///   - examples: Training examples; each encoding is cut to `settings.maxTokens`, keeping its last token.
    ///   - validation: Examples scored after each epoch (may be empty: then the last epoch's weights are kept).
    ///   - progress: Called after every optimiser step.
    ///   - isCancelled: Polled before every step; when it returns true training stops with `CancellationError`.
    /// - Returns: The best epoch's encoder weights and head, the training curve, and the validation
    ///   examples' probabilities after each scored epoch.
    /// - Throws: ``MLCoreError`` `.invalidConfiguration` for bad settings, `.invalidInput` for bad examples,
    ///   `.trainingDiverged` when the loss or the gradient becomes NaN or infinite; `CancellationError`.
    public func train(_ examples: [LabelledEncoding], validation: [LabelledEncoding], progress: (TrainingProgress) -> Void,
                      isCancelled: () -> Bool) throws -> FineTuneResult {
        let s = settings, c = encoder.configuration
        try s.validate(labels: labels)
        if s.pooling == .cls, encoder.weights.pooler == nil {
            throw MLCoreError(.invalidConfiguration,
                              "cls pooling needs the pooler weights (pooler.dense.*), which this model lacks; use mean pooling")
        }
        let training = try prepared(examples, role: "training")
        let held = try prepared(validation, role: "validation")
        guard !training.isEmpty else { throw MLCoreError(.invalidInput, "no training examples") }
        let counts = training.reduce(into: [Int](repeating: 0, count: labels)) { $0[$1.label] += 1 }
        if let empty = counts.firstIndex(of: 0) {
            throw MLCoreError(.invalidInput, "label \(empty) has no training examples; every label needs at least one")
        }

        let head = ClassifierHead.initialized(labels: labels, hidden: c.hiddenSize, seed: s.seed)
        let model = TrainableModel(weights: encoder.weights, head: head, configuration: c, pooling: s.pooling,
                                   dropout: s.dropout, threads: s.threads)
        let optimizer = AdamW(layout: model.layout, weightDecay: s.weightDecay)
        let denseSlots = model.layout.trainedDenseSlots(pooling: s.pooling)
        let classWeights = s.classWeights ?? [Float](repeating: 1, count: labels)
        let stepsPerEpoch = (training.count + s.batchSize - 1) / s.batchSize
        let schedule = LearningRateSchedule(peak: s.learningRate, totalSteps: stepsPerEpoch * s.epochs, warmupRatio: s.warmupRatio)

        var curve = TrainingCurve()
        var best: (score: EpochScore, parameters: FloatBuffer)?
        var step = 0, examplesSeen = 0
        var trainingSeconds: Double = 0
        let clock = ContinuousClock()
        var validationProbabilities: [[[Float]]] = []
        let lastEpoch = s.stopAfterEpoch ?? s.epochs, plannedSteps = stepsPerEpoch * lastEpoch
        for epoch in 1...lastEpoch {
            let order = Self.shuffled(training.count, seed: s.seed, epoch: epoch)
            for start in stride(from: 0, to: order.count, by: s.batchSize) {
                if isCancelled() { throw CancellationError() }
                let began = clock.now
                let batch = order[start..<min(start + s.batchSize, order.count)].map { training[$0] }
                let loss = model.computeGradients(batch, classWeights: classWeights, seed: s.seed, step: step)
                let norm = model.gradientNormSquared(denseSlots: denseSlots).squareRoot()
                guard loss.isFinite, norm.isFinite else {
                    let what = loss.isFinite ? "the gradient" : "loss"
                    throw MLCoreError(.trainingDiverged,
                                      "\(what) became NaN at step \(step + 1) (epoch \(epoch)); lower learning_rate (now \(s.learningRate))")
                }
                let scale = s.maxGradientNorm > 0 && norm > Double(s.maxGradientNorm)
                    ? Float(Double(s.maxGradientNorm) / (norm + 1e-6)) : 1
                optimizer.update(model, denseSlots: denseSlots, learningRate: schedule.rate(atStep: step), gradientScale: scale)
                step += 1
                examplesSeen += batch.count
                curve.stepLoss.append(Float(loss))
                trainingSeconds += Self.seconds(clock.now - began)
                let remaining = plannedSteps - step
                progress(TrainingProgress(epoch: epoch, epochs: lastEpoch, step: step, steps: plannedSteps,
                                          loss: Float(loss), examplesPerSecond: Double(examplesSeen) / max(trainingSeconds, 1e-9),
                                          secondsRemaining: Double(remaining) * trainingSeconds / Double(step)))
            }
            guard !held.isEmpty else { continue }
            if isCancelled() { throw CancellationError() }
            let (score, probabilities) = try evaluate(model, on: held, epoch: epoch, classWeights: classWeights)
            curve.epochValidation.append(score)
            validationProbabilities.append(probabilities)
            if best.map({ Self.isBetter(score, than: $0.score) }) ?? true {
                best = (score, FloatBuffer(copying: model.parameters))
            } else if epoch - (best?.score.epoch ?? epoch) >= s.patience {
                break
            }
        }
        curve.bestEpoch = best?.score.epoch ?? (step + stepsPerEpoch - 1) / stepsPerEpoch
        let (weights, trainedHead) = model.layout.load(from: (best?.parameters ?? model.parameters).pointer,
                                                        template: encoder.weights, includesPooler: s.pooling == .cls)
        return FineTuneResult(weights: weights, head: trainedHead, curve: curve,
                              validationProbabilities: validationProbabilities)
    }

    /// Higher macro-F1 wins; equal macro-F1 goes to the lower loss.
    static func isBetter(_ score: EpochScore, than other: EpochScore) -> Bool {
        score.macroF1 != other.macroF1 ? score.macroF1 > other.macroF1 : score.loss < other.loss
    }

    /// A Fisher–Yates permutation of `0..<count` from the seed and the epoch (our own, so it never changes
    /// with the standard library's shuffle).
    static func shuffled(_ count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var generator = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0xD1B5_4A32_D192_ED03))
        var order = Array(0..<count)
        for index in stride(from: count - 1, to: 0, by: -1) {
            let other = Int(generator.next() % UInt64(index + 1))
            order.swapAt(index, other)
        }
        return order
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
