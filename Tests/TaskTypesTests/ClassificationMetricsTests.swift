import Foundation
import Testing

@testable import Scoring
@testable import TaskTypes

@Suite("Classification metrics")
struct ClassificationMetricsTests {
    let boolean = ["false", "true"]

    @Test("hand-computed binary case: confusion, precision, recall, F1, accuracy")
    func binary() {
        // truth:      1    1    1    0    0    0    0    1
        // p(true):  .9   .8   .3   .6   .2   .1   .4   .7
        let truth = [1, 1, 1, 0, 0, 0, 0, 1]
        let positive = [0.9, 0.8, 0.3, 0.6, 0.2, 0.1, 0.4, 0.7]
        let metrics = ClassificationMetrics.compute(
            labels: boolean, truth: truth, probabilities: positive.map { [1 - $0, $0] })
        // predicted true at ≥ 0.5: rows 0, 1, 3, 7 → TP 3, FP 1, FN 1, TN 3
        #expect(metrics.confusion == [[3, 1], [1, 3]])
        #expect(metrics.accuracy == 0.75)
        #expect(metrics.perClass[1].precision == 0.75)
        #expect(metrics.perClass[1].recall == 0.75)
        #expect(metrics.binaryF1 == 0.75)
        #expect(abs(metrics.macroF1 - 0.75) < 1e-12)
        // AUC: of 16 (positive, negative) pairs, the positive scores higher in 14 (0.3 loses to 0.6 and 0.4)
        #expect(abs((metrics.aucROC ?? 0) - 14.0 / 16.0) < 1e-12)
        #expect(metrics.rocCurve.first == .init(x: 0, y: 0))
        #expect(metrics.rocCurve.last == .init(x: 1, y: 1))
    }

    @Test("average precision of a perfect ranking is 1, ties are counted together")
    func rankingEdgeCases() {
        let perfect = ClassificationMetrics.rankCurve(scores: [0.9, 0.8, 0.2, 0.1], positives: [true, true, false, false])
        #expect(perfect.auc == 1)
        #expect(perfect.averagePrecision == 1)
        let tied = ClassificationMetrics.rankCurve(scores: [0.5, 0.5, 0.5, 0.5], positives: [true, false, true, false])
        #expect(tied.auc == 0.5)
    }

    @Test("categorical: argmax, macro and weighted F1, one-vs-rest AUC")
    func categorical() {
        let labels = ["a", "b", "c"]
        let truth = [0, 0, 1, 1, 2, 2]
        let probabilities: [[Double]] = [
            [0.8, 0.1, 0.1], [0.4, 0.5, 0.1], [0.1, 0.7, 0.2], [0.2, 0.6, 0.2], [0.1, 0.2, 0.7], [0.3, 0.3, 0.4],
        ]
        let metrics = ClassificationMetrics.compute(labels: labels, truth: truth, probabilities: probabilities)
        #expect(metrics.confusion == [[1, 1, 0], [0, 2, 0], [0, 0, 2]])
        #expect(metrics.threshold == nil)
        #expect(metrics.binaryF1 == nil)
        let f1 = [2.0 / 3.0, 0.8, 1.0]
        #expect(abs(metrics.macroF1 - f1.reduce(0, +) / 3) < 1e-12)
        #expect(abs(metrics.weightedF1 - f1.reduce(0, +) / 3) < 1e-12)
        #expect(metrics.aucROC != nil)
    }

    @Test("a class missing from the rows leaves AUC undefined rather than wrong")
    func missingClass() {
        let metrics = ClassificationMetrics.compute(labels: boolean, truth: [1, 1], probabilities: [[0.2, 0.8], [0.6, 0.4]])
        #expect(metrics.aucROC == nil)
        #expect(metrics.prAUC == nil)
        #expect(metrics.accuracy == 0.5)
    }

    @Test("calibration: a perfectly calibrated bin contributes nothing, an over-confident one its gap")
    func calibration() {
        // Four rows at confidence 0.95 (bin 9), all correct → gap 0.05 each.
        let metrics = ClassificationMetrics.compute(
            labels: boolean, truth: [1, 1, 0, 0], probabilities: [[0.05, 0.95], [0.05, 0.95], [0.95, 0.05], [0.95, 0.05]])
        #expect(abs(metrics.expectedCalibrationError - 0.05) < 1e-12)
        #expect(metrics.reliability[9].count == 4)
        #expect(metrics.reliability[9].accuracy == 1)
        #expect(metrics.reliability.count == 10)
    }
}
