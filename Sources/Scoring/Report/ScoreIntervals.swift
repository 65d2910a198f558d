import Basics

/// Bootstrap confidence intervals of a classifier's headline scores on its eval rows.
///
/// The eval rows are resampled with replacement `resamples` times (a ``SeededGenerator`` seeded by
/// `seed`, so the same rows and seed give the same intervals on every machine), the scores are
/// recomputed on each resample at the same decision threshold, and the interval is the central
/// `level` of those values (percentile bootstrap). A resample that lacks a class has no AUC and is
/// left out of the AUC's interval only.
///
/// On 41 to 353 eval rows a macro-F1 is uncertain by ±0.05 or more: the interval says how much.
public struct ScoreIntervals: Codable, Hashable, Sendable {
    public var level: Double
    public var resamples: Int
    public var seed: Int
    public var macroF1: Interval
    public var accuracy: Interval
    /// `nil` when fewer than half of the resamples had every class.
    public var aucROC: Interval?

    /// A lower and an upper bound.
    public struct Interval: Codable, Hashable, Sendable {
        public var lower: Double
        public var upper: Double

        public init(lower: Double, upper: Double) {
            self.lower = lower
            self.upper = upper
        }
    }

    /// `evaluate`'s defaults.
    public static let defaultResamples = 1000
    public static let defaultSeed = 42

    /// The intervals of ``ClassificationMetrics/compute(labels:truth:probabilities:threshold:bins:)``'s
    /// macro-F1, accuracy and AUC-ROC for these rows.
    public static func bootstrap(
        labels: [String], truth: [Int], probabilities: [[Double]], threshold: Double?, level: Double = 0.95,
        resamples: Int = defaultResamples, seed: Int = defaultSeed
    ) -> ScoreIntervals {
        var generator = SeededGenerator(seed: UInt64(bitPattern: Int64(seed)))
        var f1s: [Double] = []
        var accuracies: [Double] = []
        var aucs: [Double] = []
        let n = truth.count
        var sampleTruth = [Int](repeating: 0, count: n)
        var sampleProbabilities = [[Double]](repeating: [], count: n)
        for _ in 0..<resamples {
            for slot in 0..<n {
                let row = generator.nextIndex(below: n)
                sampleTruth[slot] = truth[row]
                sampleProbabilities[slot] = probabilities[row]
            }
            let scores = ClassificationMetrics.compute(
                labels: labels, truth: sampleTruth, probabilities: sampleProbabilities, threshold: threshold)
            f1s.append(scores.macroF1)
            accuracies.append(scores.accuracy)
            if let auc = scores.aucROC { aucs.append(auc) }
        }
        return ScoreIntervals(
            level: level, resamples: resamples, seed: seed, macroF1: central(f1s, level: level),
            accuracy: central(accuracies, level: level),
            aucROC: aucs.count * 2 >= resamples ? central(aucs, level: level) : nil)
    }

    /// The central `level` of `values`: the (1 − level)/2 and (1 + level)/2 quantiles, by the
    /// nearest rank.
    static func central(_ values: [Double], level: Double) -> Interval {
        guard !values.isEmpty else { return Interval(lower: .nan, upper: .nan) }
        let sorted = values.sorted()
        func quantile(_ q: Double) -> Double {
            sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
        }
        return Interval(lower: quantile((1 - level) / 2), upper: quantile((1 + level) / 2))
    }
}
