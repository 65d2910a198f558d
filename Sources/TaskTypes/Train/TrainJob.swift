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
    /// With ``HeadFeatures/pair``: every row's first side, then every row's second side, each alone
    /// (`2 × inputs.count`); `nil` when head mode reads the pooled row only.
    let sides: (inputs: [TextInput], encodings: [Encoding])?
    let labels: [Int]
    let trainIndices: [Int]
    let validationIndices: [Int]
    let classWeights: [Double]?
    let context: StageContext
    let embeddings: TrainEmbeddingCache

    /// What head mode's head reads.
    var headFeatures: HeadFeatures { sides == nil ? .pooled : .pair }

    /// What either mode produced.
    struct Outcome {
        var weights: BertWeights
        var head: ClassifierHead
        /// What ``head`` reads (``HeadFeatures/pair`` only in head mode over a pair).
        var headFeatures: HeadFeatures = .pooled
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

    /// Rows that share an input, by first occurrence: rows whose first text (the message; for a pair, the
    /// input or the context) is the same once normalised as ``GenerateFilter/normalise(_:)`` does, such as a
    /// prompt with several responses or the two summaries of one source sentence. Cross-validation keeps
    /// each group in one fold, so no fold is scored on a row whose twin it trained on.
    /// - Returns: Groups of positions in `texts`.
    static func groups(texts: [String]) -> [[Int]] {
        var groups: [[Int]] = [], slot: [String: Int] = [:]
        for (position, text) in texts.enumerated() {
            let normalised = GenerateFilter.normalise(text)
            let key = normalised.isEmpty ? "\u{0}\(position)" : normalised  // no letters or digits: a group of its own
            if let existing = slot[key] { groups[existing].append(position) } else { slot[key] = groups.count; groups.append([position]) }
        }
        return groups
    }

    /// Stratified, grouped, deterministic folds: each group (``groups(texts:)``) counts under its majority
    /// label (ties to the lower label) and goes, in order of first occurrence, to the fold holding the fewest
    /// rows of that label so far (ties to the lower fold): rows in turn when every group is one row.
    /// - Returns: The fold of each row.
    static func foldAssignment(texts: [String], labels: [Int], labelCount: Int, folds: Int) -> [Int] {
        var fold = [Int](repeating: 0, count: labels.count)
        var filled = [[Int]](repeating: [Int](repeating: 0, count: folds), count: labelCount)
        for group in groups(texts: texts) {
            var counts = [Int](repeating: 0, count: labelCount)
            for position in group { counts[labels[position]] += 1 }
            let label = counts.indices.max { (counts[$0], $1) < (counts[$1], $0) } ?? 0
            let target = filled[label].indices.min { (filled[label][$0], $0) < (filled[label][$1], $1) } ?? 0
            for position in group { fold[position] = target }
            filled[label][target] += group.count
        }
        return fold
    }

    /// ``foldAssignment(texts:labels:labelCount:folds:)`` over the training rows (positions in `trainIndices`).
    func foldAssignment(folds: Int) -> [Int] {
        Self.foldAssignment(texts: trainIndices.map { inputs[$0].text }, labels: trainIndices.map { labels[$0] },
                            labelCount: metric.labels.count, folds: folds)
    }

    /// The fewest groups of training rows holding a row of any one label: more folds than this would
    /// leave a fold without that label's rows to train on.
    var fewestGroupsPerLabel: Int {
        var counts = [Int](repeating: 0, count: metric.labels.count)
        for group in Self.groups(texts: trainIndices.map { inputs[$0].text }) {
            for label in Set(group.map { labels[trainIndices[$0]] }) { counts[label] += 1 }
        }
        return counts.min() ?? 0
    }

    /// `folds`, or fewer until every fold holds rows and every fold's complement holds every label (0 when
    /// even 2 folds do not).
    func usableFolds(_ folds: Int) -> Int {
        var k = folds
        while k >= 2 {
            let fold = foldAssignment(folds: k)
            let covered = (0..<k).allSatisfy { part in
                fold.contains(part)
                    && Set(trainIndices.indices.filter { fold[$0] != part }.map { labels[trainIndices[$0]] }).count == metric.labels.count
            }
            if covered { return k }
            k -= 1
        }
        return 0
    }

    /// An epoch's validation scores as `training-curve.json` writes them.
    static func epochJSON(epoch: Int, loss: Double, accuracy: Double, macroF1: Double) -> JSONValue {
        ["epoch": .int(epoch), "loss": .float(Float(loss)), "accuracy": .float(Float(accuracy)), "macro_f1": .float(Float(macroF1))]
    }
}
