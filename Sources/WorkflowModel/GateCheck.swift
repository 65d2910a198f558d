import Basics
import Foundation

/// How a run's `gate:` thresholds are checked against its evaluation scores: one rule, used by the
/// `register` stage (which refuses a run below its gate) and by the committed scores file (which
/// records whether the gate passed).
public enum GateCheck {
    /// Each gate key, what it is called in messages, and the score it bounds (keys of ``failures(_:scores:)``'s
    /// `scores`), in the order failures are listed.
    public static let bounds: [(key: String, label: String, score: String)] = [
        ("min_f1", "macro F1", "macro_f1"), ("min_auc", "AUC-ROC", "auc_roc"), ("min_accuracy", "accuracy", "accuracy"),
        ("min_precision", "macro precision", "macro_precision"), ("min_recall", "macro recall", "macro_recall"),
    ]

    /// "macro F1 0.74 < 0.80" for every threshold of `gate` the scores miss; a score that is absent
    /// (nil, e.g. AUC when a class is missing from the eval rows) misses any threshold set on it.
    /// - Parameter scores: `macro_f1`, `auc_roc`, `accuracy`, `macro_precision`, `macro_recall`.
    public static func failures(_ gate: [String: JSONValue], scores: [String: Double]) -> [String] {
        var failures: [String] = []
        for bound in bounds {
            guard let minimum = gate[bound.key]?.doubleValue else { continue }
            guard let value = scores[bound.score] else {
                failures.append("\(bound.label) is undefined on these eval rows (a class is missing) < \(format(minimum))")
                continue
            }
            if value < minimum { failures.append("\(bound.label) \(format(value)) < \(format(minimum))") }
        }
        return failures
    }

    /// The scores ``failures(_:scores:)`` reads, from a report's figures: macro precision and recall
    /// are the plain means of the per-class values.
    public static func scores(
        macroF1: Double?, accuracy: Double?, aucROC: Double?, precisions: [Double], recalls: [Double]
    ) -> [String: Double] {
        var values: [String: Double] = [
            "macro_precision": precisions.reduce(0, +) / Double(max(1, precisions.count)),
            "macro_recall": recalls.reduce(0, +) / Double(max(1, recalls.count)),
        ]
        values["macro_f1"] = macroF1
        values["accuracy"] = accuracy
        values["auc_roc"] = aucROC
        return values
    }

    static func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
