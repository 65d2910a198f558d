import Foundation

/// The scores of a classifier on labelled rows: what `evaluate` reports.
///
/// Computed from each row's true label index and predicted class probabilities. For a boolean
/// metric (labels `["false", "true"]`) the positive class is `true`, the predicted label is
/// `true` when its probability reaches ``threshold``, and the ROC/PR curves and binary F1 are those
/// of the positive class; for categorical metrics the prediction is the most probable label and
/// AUC-ROC and PR-AUC are macro averages of one-vs-rest.
public struct ClassificationMetrics: Codable, Hashable, Sendable {
    public var labels: [String]
    public var rows: Int
    public var threshold: Double?
    public var accuracy: Double
    public var macroF1: Double
    public var weightedF1: Double
    /// F1 of the positive class (boolean metrics only).
    public var binaryF1: Double?
    public var perClass: [ClassScores]
    /// `confusion[true][predicted]`.
    public var confusion: [[Int]]
    /// Area under the ROC curve (positive class, or macro one-vs-rest); `nil` when a class is absent.
    public var aucROC: Double?
    /// Average precision (positive class, or macro one-vs-rest).
    public var prAUC: Double?
    /// Expected calibration error over ``reliability``'s bins (confidence of the predicted label).
    public var expectedCalibrationError: Double
    public var reliability: [ReliabilityBin]
    /// ROC curve points (false positive rate, true positive rate) of the positive class (or class 0 vs rest…, macro not drawn).
    public var rocCurve: [CurvePoint]
    /// Precision–recall points (recall, precision) of the positive class.
    public var prCurve: [CurvePoint]

    public struct ClassScores: Codable, Hashable, Sendable {
        public var label: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    public struct ReliabilityBin: Codable, Hashable, Sendable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        public var meanConfidence: Double
        public var accuracy: Double
    }

    public struct CurvePoint: Codable, Hashable, Sendable {
        public var x: Double
        public var y: Double
    }

    /// Scores rows.
    /// - Parameters:
    ///   - truth: each row's true label index.
    ///   - probabilities: each row's probabilities, one per label, summing to 1.
    ///   - threshold: for boolean metrics, the probability of `true` from which a row is predicted `true` (default 0.5).
    public static func compute(
        labels: [String], truth: [Int], probabilities: [[Double]], threshold: Double? = nil, bins: Int = 10
    ) -> ClassificationMetrics {
        let k = labels.count
        let isBoolean = labels == ["false", "true"]
        let cut = isBoolean ? (threshold ?? 0.5) : nil
        let predicted = probabilities.map { p in predict(p, threshold: cut) }
        var confusion = Array(repeating: Array(repeating: 0, count: k), count: k)
        for (t, p) in zip(truth, predicted) { confusion[t][p] += 1 }
        var perClass: [ClassScores] = []
        for c in 0..<k {
            let tp = Double(confusion[c][c])
            let predictedC = Double((0..<k).reduce(0) { $0 + confusion[$1][c] })
            let support = confusion[c].reduce(0, +)
            let precision = predictedC > 0 ? tp / predictedC : 0
            let recall = support > 0 ? tp / Double(support) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            perClass.append(ClassScores(label: labels[c], precision: precision, recall: recall, f1: f1, support: support))
        }
        let n = truth.count
        let correct = zip(truth, predicted).filter { $0 == $1 }.count
        let present = perClass.filter { $0.support > 0 }
        let macroF1 = present.isEmpty ? 0 : present.map(\.f1).reduce(0, +) / Double(present.count)
        let weightedF1 = n == 0 ? 0 : perClass.map { $0.f1 * Double($0.support) }.reduce(0, +) / Double(n)

        var aucs: [Double] = []
        var aps: [Double] = []
        var roc: [CurvePoint] = []
        var pr: [CurvePoint] = []
        let classes = isBoolean ? [1] : Array(0..<k)
        for c in classes {
            let scores = probabilities.map { $0[c] }
            let positives = truth.map { $0 == c }
            guard positives.contains(true), positives.contains(false) else { continue }
            let curve = rankCurve(scores: scores, positives: positives)
            aucs.append(curve.auc)
            aps.append(curve.averagePrecision)
            if c == classes[0] {
                roc = curve.roc
                pr = curve.pr
            }
        }
        let complete = aucs.count == classes.count
        let (ece, reliability) = calibration(truth: truth, predicted: predicted, probabilities: probabilities, bins: bins)
        return ClassificationMetrics(
            labels: labels, rows: n, threshold: cut, accuracy: n == 0 ? 0 : Double(correct) / Double(n),
            macroF1: macroF1, weightedF1: weightedF1, binaryF1: isBoolean ? perClass[1].f1 : nil, perClass: perClass,
            confusion: confusion, aucROC: complete ? aucs.reduce(0, +) / Double(aucs.count) : nil,
            prAUC: complete ? aps.reduce(0, +) / Double(aps.count) : nil, expectedCalibrationError: ece,
            reliability: reliability, rocCurve: roc, prCurve: pr)
    }

    /// The predicted label index: argmax, or for two classes with a threshold, `1` when p[1] ≥ threshold.
    public static func predict(_ probabilities: [Double], threshold: Double?) -> Int {
        if let threshold, probabilities.count == 2 { return probabilities[1] >= threshold ? 1 : 0 }
        var best = 0
        for (index, p) in probabilities.enumerated() where p > probabilities[best] { best = index }
        return best
    }

    /// ROC and PR curves of one class, with AUC (trapezoids, ties handled together) and average precision.
    static func rankCurve(scores: [Double], positives: [Bool])
        -> (auc: Double, averagePrecision: Double, roc: [CurvePoint], pr: [CurvePoint])
    {
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        let totalPositive = Double(positives.filter { $0 }.count)
        let totalNegative = Double(positives.count) - totalPositive
        var tp = 0.0, fp = 0.0
        var roc = [CurvePoint(x: 0, y: 0)]
        var pr: [CurvePoint] = []
        var auc = 0.0, ap = 0.0
        var previousRecall = 0.0
        var i = 0
        while i < order.count {
            let score = scores[order[i]]
            while i < order.count, scores[order[i]] == score {
                if positives[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            let fpr = fp / totalNegative, tpr = tp / totalPositive
            auc += (fpr - (roc.last?.x ?? 0)) * (tpr + (roc.last?.y ?? 0)) / 2
            roc.append(CurvePoint(x: fpr, y: tpr))
            let precision = tp / (tp + fp)
            ap += (tpr - previousRecall) * precision
            previousRecall = tpr
            pr.append(CurvePoint(x: tpr, y: precision))
        }
        return (auc, ap, thin(roc), thin(pr))
    }

    /// At most ~200 points per curve, keeping the first and last.
    static func thin(_ points: [CurvePoint]) -> [CurvePoint] {
        guard points.count > 200 else { return points }
        let step = Double(points.count - 1) / 199
        return (0..<200).map { points[Int((Double($0) * step).rounded())] }
    }

    static func calibration(truth: [Int], predicted: [Int], probabilities: [[Double]], bins: Int)
        -> (Double, [ReliabilityBin])
    {
        var counts = Array(repeating: 0, count: bins)
        var confidence = Array(repeating: 0.0, count: bins)
        var hits = Array(repeating: 0.0, count: bins)
        for (index, p) in probabilities.enumerated() {
            let conf = p[predicted[index]]
            let bin = min(bins - 1, Int(conf * Double(bins)))
            counts[bin] += 1
            confidence[bin] += conf
            if predicted[index] == truth[index] { hits[bin] += 1 }
        }
        let n = Double(max(1, truth.count))
        var ece = 0.0
        var result: [ReliabilityBin] = []
        for b in 0..<bins {
            let count = counts[b]
            let mean = count > 0 ? confidence[b] / Double(count) : 0
            let accuracy = count > 0 ? hits[b] / Double(count) : 0
            ece += Double(count) / n * abs(mean - accuracy)
            result.append(
                ReliabilityBin(
                    lower: Double(b) / Double(bins), upper: Double(b + 1) / Double(bins), count: count,
                    meanConfidence: mean, accuracy: accuracy))
        }
        return (ece, result)
    }
}
