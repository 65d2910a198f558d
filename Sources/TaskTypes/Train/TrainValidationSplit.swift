import Basics

/// Holds a stratified, seeded validation slice out of the training rows (`train.validation_fraction`).
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
}
