import Basics
import Testing

@testable import Scoring
@testable import TaskTypes

/// ``ScoreIntervals``: seeded bootstrap intervals of the headline scores (issue 13, item 3).
@Suite struct ScoreIntervalsTests {
    /// 60 boolean rows a model gets mostly right, with a few confident mistakes.
    static func rows(copies: Int = 1) -> (truth: [Int], probabilities: [[Double]]) {
        var truth: [Int] = []
        var probabilities: [[Double]] = []
        for _ in 0..<copies {
            for index in 0..<60 {
                let label = index % 2
                let right = index % 7 != 0
                let p = right ? (label == 1 ? 0.8 : 0.2) : (label == 1 ? 0.3 : 0.75)
                truth.append(label)
                probabilities.append([1 - p, p])
            }
        }
        return (truth, probabilities)
    }

    @Test func sameRowsAndSeedGiveTheSameIntervalsAnotherSeedOthers() {
        let (truth, probabilities) = Self.rows()
        let labels = ["false", "true"]
        let first = ScoreIntervals.bootstrap(labels: labels, truth: truth, probabilities: probabilities, threshold: 0.5)
        let again = ScoreIntervals.bootstrap(labels: labels, truth: truth, probabilities: probabilities, threshold: 0.5)
        let other = ScoreIntervals.bootstrap(labels: labels, truth: truth, probabilities: probabilities, threshold: 0.5, seed: 7)
        #expect(first == again)
        #expect(first != other)
        #expect(first.resamples == 1000 && first.seed == 42 && first.level == 0.95)
    }

    @Test func theIntervalHoldsThePointEstimateAndNarrowsWithMoreRows() throws {
        let labels = ["false", "true"]
        let (truth, probabilities) = Self.rows()
        let point = ClassificationMetrics.compute(labels: labels, truth: truth, probabilities: probabilities, threshold: 0.5)
        let small = ScoreIntervals.bootstrap(labels: labels, truth: truth, probabilities: probabilities, threshold: 0.5)
        for (interval, value) in [(small.macroF1, point.macroF1), (small.accuracy, point.accuracy)] {
            #expect(interval.lower < value && value < interval.upper, "\(interval) \(value)")
        }
        let auc = try #require(small.aucROC)
        #expect(auc.lower <= (point.aucROC ?? 0) && (point.aucROC ?? 0) <= auc.upper)
        // 60 rows: a macro-F1 near 0.86 is uncertain by several points.
        #expect(small.macroF1.upper - small.macroF1.lower > 0.1)

        let (moreTruth, moreProbabilities) = Self.rows(copies: 16)
        let large = ScoreIntervals.bootstrap(labels: labels, truth: moreTruth, probabilities: moreProbabilities, threshold: 0.5)
        let ratio = (large.macroF1.upper - large.macroF1.lower) / (small.macroF1.upper - small.macroF1.lower)
        #expect(ratio > 0.15 && ratio < 0.4, "16× the rows should give about a quarter of the width, got \(ratio)")
    }

    @Test func aClassMissingFromTheRowsHasNoAUCInterval() {
        let labels = ["a", "b", "c"]
        let truth = [0, 1, 0, 1, 0, 1]
        let probabilities = truth.map { $0 == 0 ? [0.7, 0.2, 0.1] : [0.2, 0.7, 0.1] }
        let intervals = ScoreIntervals.bootstrap(
            labels: labels, truth: truth, probabilities: probabilities, threshold: nil, resamples: 200)
        #expect(intervals.aucROC == nil)
        #expect(intervals.accuracy == .init(lower: 1, upper: 1))
    }
}
