import Basics
import Foundation

/// How a boolean metric's decision threshold is chosen (`train.threshold`).
///
/// The threshold is a cut on the positive label's probability (predict `true` when `p ≥ threshold`),
/// chosen on out-of-fold predictions of the training rows (``TrainJob``), never on eval rows.
public enum ThresholdPolicy: Sendable, Equatable {
    /// Maximise macro-F1, the figure the report leads with (the default).
    case macroF1
    /// Maximise the positive label's F1.
    case f1
    /// The highest recall whose precision reaches the target.
    case targetPrecision(Double)
    /// The highest precision whose recall reaches the target.
    case targetRecall(Double)
    /// Keep 0.5 (arg max).
    case none

    /// How much the chosen threshold is pulled toward 0.5 (see ``choose(probabilities:isPositive:)``):
    /// with `m` out-of-fold rows in the smaller class, the move from 0.5 keeps the weight `m / (m + shrinkRows)`.
    static let shrinkRows = 20.0

    /// The policy as `metric.json` and the manifest write it: `macro_f1`, `f1`, `none`,
    /// `{target_precision: 0.9}`, `{target_recall: 0.8}`.
    public var jsonValue: JSONValue {
        switch self {
        case .macroF1: "macro_f1"
        case .f1: "f1"
        case .none: "none"
        case .targetPrecision(let value): ["target_precision": .double(value)]
        case .targetRecall(let value): ["target_recall": .double(value)]
        }
    }

    /// Reads a manifest value; `nil` when it is not one of the forms of ``jsonValue``.
    public init?(json: JSONValue) {
        switch json {
        case .string("macro_f1"): self = .macroF1
        case .string("f1"): self = .f1
        case .string("none"): self = .none
        case .object(let object) where object.count == 1:
            if let value = object["target_precision"]?.doubleValue, value > 0, value <= 1 {
                self = .targetPrecision(value)
            } else if let value = object["target_recall"]?.doubleValue, value > 0, value <= 1 {
                self = .targetRecall(value)
            } else {
                return nil
            }
        default: return nil
        }
    }

    /// What the policy chose, and on what evidence.
    public struct Choice: Sendable, Equatable {
        /// The threshold the metric uses.
        public var threshold: Double
        /// The best cut on the rows before shrinking toward 0.5.
        public var unshrunk: Double
        /// The policy's score (macro-F1, F1, recall or precision) at ``threshold`` on the rows.
        public var score: Double
        /// The same score at 0.5.
        public var scoreAtDefault: Double
        /// Rows the choice was made on.
        public var rows: Int
        /// False when a target policy's target is reached by no cut (then the cut nearest to it is used).
        public var targetReached: Bool
    }

    /// Chooses the threshold on labelled probabilities.
    ///
    /// Candidate cuts are the midpoints between adjacent distinct probabilities (so a cut never sits on a
    /// row's probability), 0 (every row positive) and 0.5. For `macro_f1` and `f1` the best cut is pulled toward 0.5 by
    /// ``shrinkRows`` (thin evidence moves the threshold little), and 0.5 is kept when the pulled cut
    /// scores below it on the same rows. Ties go to the cut nearest 0.5.
    /// - Returns: `nil` for ``none`` or when the rows lack a positive or a negative.
    public func choose(probabilities: [Float], isPositive: [Bool]) -> Choice? {
        let positives = isPositive.filter { $0 }.count, negatives = isPositive.count - positives
        guard self != .none, positives > 0, negatives > 0 else { return nil }
        let distinct = Array(Set(probabilities.map(Double.init))).sorted()
        var cuts = [0.5, 0]
        for (low, high) in zip(distinct, distinct.dropFirst()) { cuts.append((low + high) / 2) }
        let confusion = Self.counts(probabilities: probabilities, isPositive: isPositive)
        func score(_ cut: Double) -> Double { Self.score(self, confusion(cut), positives: positives, negatives: negatives) }

        var best = 0.5, bestScore = score(0.5), reached = true
        switch self {
        case .macroF1, .f1:
            for cut in cuts {
                let value = score(cut)
                if value > bestScore + 1e-12 || (abs(value - bestScore) <= 1e-12 && abs(cut - 0.5) < abs(best - 0.5)) {
                    (best, bestScore) = (cut, value)
                }
            }
            let minority = Double(min(positives, negatives))
            let pulled = 0.5 + (best - 0.5) * minority / (minority + Self.shrinkRows)
            let chosen = score(pulled) >= score(0.5) ? pulled : 0.5
            return Choice(threshold: chosen, unshrunk: best, score: score(chosen), scoreAtDefault: score(0.5),
                          rows: isPositive.count, targetReached: true)
        case .targetPrecision(let target), .targetRecall(let target):
            // Meeting the target, the cut with the best other figure; short of it, the cut closest to it.
            var bestOther = -1.0, closest = (cut: 0.5, gap: Double.infinity)
            reached = false
            for cut in cuts {
                let (tp, fp) = confusion(cut)
                let precision = tp + fp == 0 ? 1 : Double(tp) / Double(tp + fp), recall = Double(tp) / Double(positives)
                let (met, other) = if case .targetPrecision = self { (precision, recall) } else { (recall, precision) }
                if met >= target - 1e-12 {
                    if !reached || other > bestOther + 1e-12 || (abs(other - bestOther) <= 1e-12 && abs(cut - 0.5) < abs(best - 0.5)) {
                        (best, bestOther, reached) = (cut, other, true)
                    }
                } else if !reached, target - met < closest.gap {
                    closest = (cut, target - met)
                }
            }
            if !reached { best = closest.cut }
            return Choice(threshold: best, unshrunk: best, score: score(best), scoreAtDefault: score(0.5),
                          rows: isPositive.count, targetReached: reached)
        case .none:
            return nil
        }
    }

    /// Macro-F1 of the cut `p ≥ cut` on labelled probabilities.
    static func macroF1Value(probabilities: [Float], isPositive: [Bool], cut: Double) -> Double {
        let positives = isPositive.filter { $0 }.count
        return score(.macroF1, counts(probabilities: probabilities, isPositive: isPositive)(cut), positives: positives,
                     negatives: isPositive.count - positives)
    }

    /// True and false positives at a cut, by binary search over the sorted probabilities.
    private static func counts(probabilities: [Float], isPositive: [Bool]) -> (Double) -> (tp: Int, fp: Int) {
        let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
        var truePositives = [0], falsePositives = [0]  // after taking the first i rows of `order`
        var tp = 0, fp = 0
        for index in order {
            if isPositive[index] { tp += 1 } else { fp += 1 }
            truePositives.append(tp)
            falsePositives.append(fp)
        }
        let sorted = order.map { Double(probabilities[$0]) }
        return { cut in
            var low = 0, high = sorted.count  // rows with p ≥ cut come first
            while low < high {
                let middle = (low + high) / 2
                if sorted[middle] >= cut { low = middle + 1 } else { high = middle }
            }
            return (truePositives[low], falsePositives[low])
        }
    }

    /// The policy's own figure for a confusion count: macro-F1, the positive F1, precision or recall.
    private static func score(_ policy: ThresholdPolicy, _ counts: (tp: Int, fp: Int), positives: Int, negatives: Int) -> Double {
        let (tp, fp) = counts
        let fn = positives - tp, tn = negatives - fp
        let positiveF1 = 2 * tp + fp + fn == 0 ? 0 : Double(2 * tp) / Double(2 * tp + fp + fn)
        switch policy {
        case .macroF1:
            let negativeF1 = 2 * tn + fn + fp == 0 ? 0 : Double(2 * tn) / Double(2 * tn + fn + fp)
            return (positiveF1 + negativeF1) / 2
        case .f1, .none: return positiveF1
        case .targetPrecision: return tp + fp == 0 ? 1 : Double(tp) / Double(tp + fp)
        case .targetRecall: return Double(tp) / Double(positives)
        }
    }
}
