import Basics
import Foundation
import MLCore
import Scoring
import TaskInterface

extension TrainJob {
    /// `mode: full`: every encoder layer and the head trained by ``FineTuner`` on all training rows.
    ///
    /// With a cross-validated `selection` it stops after the chosen epoch (the schedule still spans
    /// `train.epochs`, as in the folds) and carries the folds' out-of-fold probabilities; a validation slice
    /// is then only scored. Without one, a validation slice early-stops training (best validation epoch). With `train.seeds: N` it fine-tunes N
    /// models (seeds `seed`, `seed + 1`, …; the same selection for each), whose probabilities the metric averages.
    func trainFull(selection: FullSelection?) throws -> Outcome {
        let stopping = selection == nil ? validationIndices : []  // the folds chose the epoch: no early stopping
        let result = try fineTune(trainIndices, validation: stopping, label: "",
                                  settings: fineTuneSettings(stopAfterEpoch: selection?.epochs))
        var members: [(weights: BertWeights, head: ClassifierHead)] = []
        for member in 1..<settings.seeds {
            let label = "member \(member + 1)/\(settings.seeds) · "
            context.reporter.log("train: \(label)seed \(settings.seed + member)")
            let extra = try fineTune(trainIndices, validation: stopping, label: label,
                                     settings: fineTuneSettings(stopAfterEpoch: selection?.epochs, seed: settings.seed + member))
            members.append((extra.weights, extra.head))
        }
        let probabilities: [[Float]]
        do {
            let scored = try ([(result.weights, result.head)] + members).map { weights, head in
                var tuned = encoder
                try tuned.setWeights(weights)
                return try classify(encoder: tuned, head: head, pooling: settings.pooling,
                                    encodings: validationIndices.map { encodings[$0] }, batchSize: 32)
            }
            probabilities = MetricModel.mean(scored)
        } catch let error as MLCoreError {
            throw TaskError("scoring the validation rows failed: \(error.message)")
        }
        let score = Self.scores(probabilities: probabilities, truth: validationIndices.map { labels[$0] },
                                labelCount: metric.labels.count)
        var curve: [String: JSONValue] = [
            "mode": "full",
            "step_loss": .array(result.curve.stepLoss.map(JSONValue.float)),
            "epochs": .array(result.curve.epochValidation.map {
                Self.epochJSON(epoch: $0.epoch, loss: Double($0.loss), accuracy: Double($0.accuracy), macroF1: Double($0.macroF1))
            }),
            "best_epoch": .int(result.curve.bestEpoch),
        ]
        if let selection { curve["cross_validation"] = .array(selection.log) }
        var metrics: [String: JSONValue] = [
            "steps": .int(result.curve.stepLoss.count), "best_epoch": .int(result.curve.bestEpoch),
        ]
        if !validationIndices.isEmpty { metrics["validation_macro_f1"] = .float(Float(score.macroF1)) }
        var suffix = validationIndices.isEmpty
            ? "" : String(format: ", best epoch %d, validation macro-F1 %.3f", result.curve.bestEpoch, score.macroF1)
        if let selection {
            suffix += String(format: ", %d of %d epochs by %d-fold cross-validation (macro-F1 %.3f)",
                             selection.epochs, settings.epochs, selection.folds, selection.scores[selection.epochs - 1])
        }
        return Outcome(
            weights: result.weights, head: result.head, validationProbabilities: probabilities,
            outOfFold: selection?.outOfFold, folds: selection?.folds ?? 0, members: members, curve: .object(curve),
            extraSettings: ["best_epoch": .int(result.curve.bestEpoch)], metrics: metrics,
            summarySuffix: suffix + (members.isEmpty ? "" : ", \(members.count + 1) seeds averaged"))
    }

    /// The run's settings as ``FineTuner`` takes them.
    func fineTuneSettings(stopAfterEpoch: Int? = nil, patience: Int? = nil, seed: Int? = nil) -> FineTuneSettings {
        FineTuneSettings(
            epochs: settings.epochs, learningRate: Float(settings.learningRate), batchSize: settings.batchSize,
            maxTokens: embeddings.maxTokens, warmupRatio: Float(settings.warmupRatio), weightDecay: Float(settings.weightDecay),
            maxGradientNorm: Float(settings.maxGradientNorm), dropout: Float(settings.dropout), pooling: settings.pooling,
            classWeights: classWeights?.map { Float($0) }, seed: UInt64(bitPattern: Int64(seed ?? settings.seed)),
            threads: settings.threads, patience: patience ?? settings.patience, stopAfterEpoch: stopAfterEpoch)
    }

    /// Fine-tunes on the rows at `training` (positions in ``inputs``), scoring the rows at `validation` after
    /// each epoch; progress goes to the stage reporter (`label` prefixes it), errors become ``TaskError``s.
    func fineTune(_ training: [Int], validation: [Int], label: String, settings fineTuneSettings: FineTuneSettings) throws
        -> FineTuneResult
    {
        let examples = training.map { LabelledEncoding(encoding: encodings[$0], label: labels[$0]) }
        let held = validation.map { LabelledEncoding(encoding: encodings[$0], label: labels[$0]) }
        let reporter = context.reporter
        var lastLoggedEpoch = 0
        let result: FineTuneResult
        do {
            let tuner = FineTuner(encoder: encoder, labels: metric.labels.count, settings: fineTuneSettings)
            result = try tuner.train(
                examples, validation: held,
                progress: { step in
                    reporter.progress(completed: step.step, total: step.steps, label: label + Self.progressLabel(step))
                    if step.epoch != lastLoggedEpoch {
                        lastLoggedEpoch = step.epoch
                        reporter.log("train: \(label)epoch \(step.epoch)/\(step.epochs) started (\(step.steps) steps in all)")
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
        return result
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
