import Basics

/// Holds a stratified, seeded validation slice out of the training rows, and picks a boolean metric's
/// decision threshold on it.
enum TrainValidationSplit {
    /// Splits row positions into training and validation positions, both in ascending order.
    ///
    /// For each label in index order, the label's positions are shuffled with one ``SeededGenerator``
    /// (seeded by `seed`, continued across labels) and the first `round(n × fraction)` go to
    /// validation, keeping at least one row of every label for training.
    static func split(labels: [Int], labelCount: Int, fraction: Double, seed: Int) -> (training: [Int], validation: [Int]) {
        guard fraction > 0 else { return (Array(labels.indices), []) }
        var generator = SeededGenerator(seed: seed)
        var training: [Int] = [], validation: [Int] = []
        for label in 0..<labelCount {
            var group = labels.indices.filter { labels[$0] == label }
            group.seededShuffle(using: &generator)
            let take = min(max(0, group.count - 1), Int((Double(group.count) * fraction).rounded(.toNearestOrAwayFromZero)))
            validation += group[..<take]
            training += group[take...]
        }
        return (training.sorted(), validation.sorted())
    }

    /// The threshold on the positive probability that maximises the positive label's F1 (predict positive
    /// when `p ≥ threshold`), trying every distinct probability; ties go to the threshold nearest 0.5.
    ///
    /// - Returns: `nil` when there are no positives among the rows (F1 is undefined).
    static func bestF1Threshold(probabilities: [Float], isPositive: [Bool]) -> (threshold: Double, f1: Double)? {
        let positives = isPositive.filter { $0 }.count
        guard positives > 0 else { return nil }
        let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
        var best: (threshold: Double, f1: Double)?
        var truePositives = 0, predicted = 0
        var index = 0
        while index < order.count {
            let value = probabilities[order[index]]
            while index < order.count, probabilities[order[index]] == value {  // every row at this probability flips together
                if isPositive[order[index]] { truePositives += 1 }
                predicted += 1
                index += 1
            }
            let f1 = 2 * Double(truePositives) / Double(predicted + positives)
            let threshold = Double(value)
            if let current = best {
                if f1 > current.f1 + 1e-12
                    || (abs(f1 - current.f1) <= 1e-12 && abs(threshold - 0.5) < abs(current.threshold - 0.5))
                {
                    best = (threshold, f1)
                }
            } else {
                best = (threshold, f1)
            }
        }
        return best
    }
}
