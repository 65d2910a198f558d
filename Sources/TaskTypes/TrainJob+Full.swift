import Basics
import Foundation
import MLCore
import TaskInterface

extension TrainJob {
    /// `mode: full`: every encoder layer and the head trained by ``FineTuner``, early-stopped on the validation slice.
    func trainFull() throws -> Outcome {
        let fineTuneSettings = FineTuneSettings(
            epochs: settings.epochs, learningRate: Float(settings.learningRate), batchSize: settings.batchSize,
            maxTokens: embeddings.maxTokens, warmupRatio: Float(settings.warmupRatio), weightDecay: Float(settings.weightDecay),
            maxGradientNorm: Float(settings.maxGradientNorm), dropout: Float(settings.dropout), pooling: settings.pooling,
            classWeights: classWeights?.map { Float($0) }, seed: UInt64(bitPattern: Int64(settings.seed)),
            threads: settings.threads, patience: settings.patience)
        let examples = trainIndices.map { LabelledEncoding(encoding: encodings[$0], label: labels[$0]) }
        let validation = validationIndices.map { LabelledEncoding(encoding: encodings[$0], label: labels[$0]) }
        let reporter = context.reporter
        var lastLoggedEpoch = 0
        let result: FineTuneResult
        do {
            let tuner = FineTuner(encoder: encoder, labels: metric.labels.count, settings: fineTuneSettings)
            result = try tuner.train(
                examples, validation: validation,
                progress: { step in
                    reporter.progress(completed: step.step, total: step.steps, label: Self.progressLabel(step))
                    if step.epoch != lastLoggedEpoch {
                        lastLoggedEpoch = step.epoch
                        reporter.log("train: epoch \(step.epoch)/\(step.epochs) started (\(step.steps) steps in all)")
                    }
                },
                isCancelled: { Task.isCancelled })
        } catch let error as MLCoreError {
            let message = error.message
            let remedy = message.lowercased().contains("nan")
                ? "lower train.learning_rate (now \(settings.learningRate)) or train.max_gradient_norm" : "check the train settings"
            throw TaskError("fine-tuning failed: \(message)", remedy: remedy)
        }
        try Task.checkCancellation()
        if let step = result.curve.stepLoss.firstIndex(where: { !$0.isFinite }) {
            throw TaskError("fine-tuning diverged: the loss became NaN at step \(step + 1)",
                            remedy: "lower train.learning_rate (now \(settings.learningRate)) or train.max_gradient_norm")
        }
        var tuned = encoder
        let probabilities: [[Float]]
        do {
            try tuned.setWeights(result.weights)
            probabilities = try classify(encoder: tuned, head: result.head, pooling: settings.pooling,
                                         encodings: validationIndices.map { encodings[$0] }, batchSize: 32)
        } catch let error as MLCoreError {
            throw TaskError("scoring the validation rows failed: \(error.message)")
        }
        let score = Self.scores(probabilities: probabilities, truth: validationIndices.map { labels[$0] },
                                labelCount: metric.labels.count)
        let curve: JSONValue = [
            "mode": "full",
            "step_loss": .array(result.curve.stepLoss.map(JSONValue.float)),
            "epochs": .array(result.curve.epochValidation.map {
                Self.epochJSON(epoch: $0.epoch, loss: Double($0.loss), accuracy: Double($0.accuracy), macroF1: Double($0.macroF1))
            }),
            "best_epoch": .int(result.curve.bestEpoch),
        ]
        var metrics: [String: JSONValue] = [
            "steps": .int(result.curve.stepLoss.count), "best_epoch": .int(result.curve.bestEpoch),
        ]
        if !validationIndices.isEmpty { metrics["validation_macro_f1"] = .float(Float(score.macroF1)) }
        return Outcome(
            weights: result.weights, head: result.head, validationProbabilities: probabilities, curve: curve,
            extraSettings: ["best_epoch": .int(result.curve.bestEpoch)], metrics: metrics,
            summarySuffix: validationIndices.isEmpty
                ? "" : String(format: ", best epoch %d, validation macro-F1 %.3f", result.curve.bestEpoch, score.macroF1))
    }

    /// `epoch 2/4 · loss 0.412 · 31.5 ex/s · ETA 2m05s`.
    static func progressLabel(_ step: TrainingProgress) -> String {
        var label = "epoch \(step.epoch)/\(step.epochs) · loss " + String(format: "%.3f", Double(step.loss))
            + " · " + String(format: "%.1f", step.examplesPerSecond) + " ex/s"
        if let seconds = step.secondsRemaining, seconds.isFinite {
            let total = Int(seconds.rounded())
            label += total >= 60 ? " · ETA \(total / 60)m" + String(format: "%02d", total % 60) + "s" : " · ETA \(total)s"
        }
        return label
    }
}
