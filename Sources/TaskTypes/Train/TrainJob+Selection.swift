import Basics
import Foundation
import MLCore
import TaskInterface

/// Model selection on out-of-fold predictions: full fine-tuning's epoch count, and the score that
/// compares head and full mode under `mode: auto`.
extension TrainJob {
    /// What cross-validating full fine-tuning found.
    struct FullSelection {
        /// The epochs the final fine-tune trains (under the schedule of `train.epochs`).
        var epochs: Int
        /// Every training row's out-of-fold probabilities after ``epochs`` (in `trainIndices` order).
        var outOfFold: [[Float]]
        var folds: Int
        /// The selection score after each epoch (``selectionScore(_:truth:)``).
        var scores: [Double]
        /// One object per epoch for `training-curve.json`.
        var log: [JSONValue]
    }

    /// Fine-tunes once per fold of the training rows (each fold scored after every epoch, no early
    /// stopping), then picks the epoch count whose pooled out-of-fold score is best.
    ///
    /// The pick is shrunk toward `train.epochs` (the untuned choice): ``chosenEpoch(scores:rows:)``.
    func crossValidateFull(folds k: Int) throws -> FullSelection {
        let truth = trainIndices.map { labels[$0] }
        let fold = foldAssignment(folds: k)
        var byEpoch = [[[Float]]](repeating: [[Float]](repeating: [], count: truth.count), count: settings.epochs)
        for part in 0..<k {
            let inside = truth.indices.filter { fold[$0] != part }, outside = truth.indices.filter { fold[$0] == part }
            context.reporter.log("train: cross-validation fold \(part + 1)/\(k): \(inside.count) rows, scoring \(outside.count)")
            let result = try fineTune(
                inside.map { trainIndices[$0] }, validation: outside.map { trainIndices[$0] }, label: "fold \(part + 1)/\(k) · ",
                settings: fineTuneSettings(patience: settings.epochs))
            for (epoch, probabilities) in result.validationProbabilities.enumerated() {
                for (position, row) in zip(outside, probabilities) { byEpoch[epoch][position] = row }
            }
        }
        let scores = byEpoch.map { selectionScore($0, truth: truth) }
        let chosen = Self.chosenEpoch(scores: scores, rows: truth.count) - 1
        let log: [JSONValue] = byEpoch.indices.map { epoch in
            let pooled = Self.scores(probabilities: byEpoch[epoch], truth: truth, labelCount: metric.labels.count)
            return ["epoch": .int(epoch + 1), "cv_loss": .float(Float(pooled.loss)),
                    "cv_macro_f1": .float(Float(scores[epoch]))]
        }
        return FullSelection(epochs: chosen + 1, outOfFold: byEpoch[chosen], folds: k, scores: scores, log: log)
    }

    /// The 1-based epoch count to train, from each epoch's pooled out-of-fold score: the last epoch (the
    /// untuned choice) unless an earlier one beats it by more than `max(0.02, 0.5 / √rows)`, about one
    /// standard error of a proportion measured on `rows` rows; then the best (ties to the fewer epochs).
    static func chosenEpoch(scores: [Double], rows: Int) -> Int {
        guard let last = scores.last else { return 1 }
        let best = scores.indices.max { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 > $1) } ?? 0
        let tolerance = max(0.02, 0.5 / Double(max(rows, 1)).squareRoot())
        return scores[best] > last + tolerance ? best + 1 : scores.count
    }

    /// Macro-F1 of probabilities as the metric would use them: a boolean metric at the threshold its
    /// policy picks on these same rows, others at the arg max.
    func selectionScore(_ probabilities: [[Float]], truth: [Int]) -> Double {
        let labelCount = metric.labels.count
        guard metric.isBoolean, let positive = metric.labels.firstIndex(of: "true"),
            let choice = settings.threshold.choose(
                probabilities: probabilities.map { $0[positive] }, isPositive: truth.map { $0 == positive })
        else { return Self.scores(probabilities: probabilities, truth: truth, labelCount: labelCount).macroF1 }
        return ThresholdPolicy.macroF1Value(probabilities: probabilities.map { $0[positive] },
                                            isPositive: truth.map { $0 == positive }, cut: choice.threshold)
    }
}

extension TrainJob {
    /// Trains in the run's mode; `auto` cross-validates head and full mode on the same folds and trains
    /// the one with the higher out-of-fold score (``selectionScore(_:truth:)``; a tie goes to full).
    ///
    /// `auto` trains full mode without comparing when full mode cannot be cross-validated (rows ×
    /// epochs past ``TrainSettings/fullCrossValidationBudget``, where fine-tuning won on every measured
    /// example, or a label with fewer than 2 rows).
    /// - Returns: The outcome, the mode it was trained in, and the comparison for `metric.json`.
    func train() throws -> (outcome: Outcome, mode: TrainSettings.Mode, comparison: JSONValue?) {
        let truth = trainIndices.map { labels[$0] }
        let smallest = fewestGroupsPerLabel
        let fullFolds = usableFolds(settings.folds(mode: .full, rows: truth.count, smallestLabel: smallest))
        switch settings.mode {
        case .head:
            return (try trainHead(folds: usableFolds(settings.folds(mode: .head, rows: truth.count, smallestLabel: smallest))), .head, nil)
        case .full:
            return (try trainFull(selection: fullFolds >= 2 ? crossValidateFull(folds: fullFolds) : nil), .full, nil)
        case .auto:
            guard fullFolds >= 2 else {
                let why = settings.crossValidationFolds == 0
                    ? "cv_folds: 0" : "too many rows × epochs to cross-validate fine-tuning, or too few rows per label"
                context.reporter.log("train: auto mode: full, not compared (\(why))")
                return (try trainFull(selection: nil), .full, ["chosen": "full", "reason": "not cross-validated"])
            }
            let head = try trainHead(folds: fullFolds)
            let headScore = head.outOfFold.map { selectionScore($0, truth: truth) } ?? 0
            let full = try crossValidateFull(folds: fullFolds)
            let fullScore = full.scores[full.epochs - 1]
            let chosen: TrainSettings.Mode = headScore > fullScore ? .head : .full
            context.reporter.log(String(format: "train: auto mode: out-of-fold macro-F1 head %.3f, full %.3f", headScore, fullScore)
                + " → \(chosen.rawValue)")
            let comparison: JSONValue = [
                "chosen": .string(chosen.rawValue), "folds": .int(fullFolds),
                "head_macro_f1": .float(Float(headScore)), "full_macro_f1": .float(Float(fullScore)),
            ]
            return chosen == .head ? (head, .head, comparison) : (try trainFull(selection: full), .full, comparison)
        }
    }
}
