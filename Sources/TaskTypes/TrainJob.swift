import Basics
import Foundation
import MLCore
import TaskInterface

/// One `train` stage's prepared work: rendered, tokenised, labelled rows split into training and
/// validation positions, ready for ``trainHead()`` or ``trainFull()``.
struct TrainJob {
    let settings: TrainSettings
    let metric: TrainMetric
    let encoder: BertEncoder
    let inputs: [TextInput]
    let encodings: [Encoding]
    let labels: [Int]
    let trainIndices: [Int]
    let validationIndices: [Int]
    let classWeights: [Double]?
    let context: StageContext
    let embeddings: TrainEmbeddingCache

    /// What either mode produced.
    struct Outcome {
        var weights: BertWeights
        var head: ClassifierHead
        /// The validation rows' probabilities (in `validationIndices` order).
        var validationProbabilities: [[Float]]
        /// Cross-validated probabilities of the training rows (in `trainIndices` order): each from a model
        /// that never saw the row, with the settings the final model was trained with.
        var outOfFold: [[Float]]?
        /// How many folds made ``outOfFold`` (0 without cross-validation).
        var folds: Int
        /// `train.seeds`' other fine-tuned models (seeds `seed + 1`, …), averaged with the first.
        var members: [(weights: BertWeights, head: ClassifierHead)] = []
        /// `training-curve.json`.
        var curve: JSONValue
        /// Values recorded under `training` in `metric.json` (what the run chose).
        var extraSettings: [String: JSONValue]
        /// Stage metrics.
        var metrics: [String: JSONValue]
        var summarySuffix: String
    }

    /// Accuracy and macro-F1 (the unweighted mean of per-label F1 over labels present in truth or prediction).
    static func scores(probabilities: [[Float]], truth: [Int], labelCount: Int) -> (accuracy: Double, macroF1: Double, loss: Double) {
        guard !truth.isEmpty else { return (0, 0, 0) }
        var tp = [Int](repeating: 0, count: labelCount), fp = tp, fn = tp
        var correct = 0, loss = 0.0
        for (p, y) in zip(probabilities, truth) {
            var best = 0
            for (index, value) in p.enumerated() where value > p[best] { best = index }
            if best == y { correct += 1; tp[y] += 1 } else { fp[best] += 1; fn[y] += 1 }
            loss -= Foundation.log(max(Double(p[y]), 1e-12))
        }
        let present = (0..<labelCount).filter { tp[$0] + fp[$0] + fn[$0] > 0 }
        let f1 = present.map { Double(2 * tp[$0]) / Double(2 * tp[$0] + fp[$0] + fn[$0]) }
        return (Double(correct) / Double(truth.count), f1.isEmpty ? 0 : f1.reduce(0, +) / Double(f1.count),
                loss / Double(truth.count))
    }

    /// Stratified, deterministic folds: the rows of each label, in row order, are dealt to folds in turn.
    static func foldAssignment(labels: [Int], labelCount: Int, folds: Int) -> [Int] {
        var fold = [Int](repeating: 0, count: labels.count), dealt = [Int](repeating: 0, count: labelCount)
        for (index, label) in labels.enumerated() {
            fold[index] = dealt[label] % folds
            dealt[label] += 1
        }
        return fold
    }

    /// An epoch's validation scores as `training-curve.json` writes them.
    static func epochJSON(epoch: Int, loss: Double, accuracy: Double, macroF1: Double) -> JSONValue {
        ["epoch": .int(epoch), "loss": .float(Float(loss)), "accuracy": .float(Float(accuracy)), "macro_f1": .float(Float(macroF1))]
    }
}
