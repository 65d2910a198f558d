import Basics
import Foundation
import TaskInterface

/// The `split` stage: divides a labelled test set into `seeds` (for generation) and `eval` (held
/// out), stratified by label and reproducible from a seed.
///
/// Input `rows`, outputs `seeds` and `eval`. Params `seed` (integer, default 42) and
/// `seed_fraction` (default 0.2, strictly between 0 and 1).
///
/// For each label, in sorted label order, the label's rows (in file order) are shuffled with one
/// ``SeededGenerator`` seeded by `seed` (a Fisher–Yates pass; see
/// ``Swift/MutableCollection/seededShuffle(using:)``), and the first `round(n × fraction)` go to
/// `seeds`: at least 1 when the label has 2 rows or more, and always at least 1 left for `eval`.
/// Both outputs keep the rows in their original order. The same input and seed give
/// byte-identical outputs on every machine.
public struct SplitDataset: TaskType {
    public static let id = "split"
    public static let version = 1
    /// The reference product's default (`enhancement_fraction`).
    public static let defaultSeedFraction = 0.2
    /// The reference product's default sampling seed.
    public static let defaultSeed = 42

    public init() {}

    public func run(_ context: StageContext) async throws -> StageResult {
        let stage = context.stageID.description
        let source = try context.input("rows")
        let seedsURL = try context.output("seeds")
        let evalURL = try context.output("eval")

        let seed: Int
        if let value = context.params["seed"] {
            guard let number = value.intValue else { throw TaskErrors.badParameter("seed", expected: "an integer", stage: stage) }
            seed = number
        } else {
            seed = SplitDataset.defaultSeed
        }
        let fraction = context.params["seed_fraction"]?.doubleValue ?? SplitDataset.defaultSeedFraction
        guard fraction > 0, fraction < 1, context.params["seed_fraction"].map({ $0.doubleValue != nil }) ?? true else {
            throw TaskErrors.badParameter("seed_fraction", expected: "a number strictly between 0 and 1", stage: stage)
        }

        var byLabel: [String: [CanonicalRow]] = [:]
        var unlabelled: [Int] = []
        var total = 0
        try DatasetRows.forEach(in: source) { row in
            total += 1
            if let label = row.label {
                byLabel[label, default: []].append(row)
            } else {
                unlabelled.append(row.row)
            }
        }
        guard unlabelled.isEmpty else {
            let listed = unlabelled.prefix(10).map(String.init).joined(separator: ", ")
            let more = unlabelled.count > 10 ? " and \(unlabelled.count - 10) more" : ""
            throw TaskError(
                "split needs every row labelled, but \(unlabelled.count) row\(unlabelled.count == 1 ? " is" : "s are") "
                    + "not (rows \(listed)\(more))",
                remedy: "label every row of the test set", code: .invalidInput)
        }
        guard total > 0 else {
            throw TaskError("Empty dataset. There are no rows to split.", remedy: "add rows to the test set", code: .invalidInput)
        }

        let (seeds, eval, counts) = SplitDataset.split(byLabel, seed: seed, fraction: fraction)
        try DatasetRows.write(seeds, to: seedsURL)
        try DatasetRows.write(eval, to: evalURL)

        var perLabel: [String: JSONValue] = [:]
        for (label, count) in counts { perLabel[label] = ["seeds": .int(count.seeds), "eval": .int(count.eval)] }
        return StageResult(
            summary: "split \(total) rows: \(seeds.count) seeds, \(eval.count) eval (stratified by label, seed \(seed))",
            metrics: ["rows": .int(total), "seeds": .int(seeds.count), "eval": .int(eval.count), "labels": .object(perLabel)])
    }

    /// Splits rows grouped by label; both results sorted by ``CanonicalRow/row``.
    static func split(_ byLabel: [String: [CanonicalRow]], seed: Int, fraction: Double) -> (
        seeds: [CanonicalRow], eval: [CanonicalRow], counts: [String: (seeds: Int, eval: Int)]
    ) {
        var generator = SeededGenerator(seed: seed)
        var seeds: [CanonicalRow] = []
        var eval: [CanonicalRow] = []
        var counts: [String: (seeds: Int, eval: Int)] = [:]
        for label in byLabel.keys.sorted() {
            var rows = (byLabel[label] ?? []).sorted(by: inFileOrder)
            let take = seedCount(rows.count, fraction: fraction)
            rows.seededShuffle(using: &generator)
            seeds += rows[..<take]
            eval += rows[take...]
            counts[label] = (take, rows.count - take)
        }
        seeds.sort(by: inFileOrder)
        eval.sort(by: inFileOrder)
        return (seeds, eval, counts)
    }

    /// Orders rows by source row, and rows with equal numbers by their text, so no tie depends on
    /// the sorting algorithm.
    static func inFileOrder(_ a: CanonicalRow, _ b: CanonicalRow) -> Bool {
        a.row != b.row ? a.row < b.row : a.canonicalLine < b.canonicalLine
    }

    /// `round(n × fraction)`, at least 1 when `n ≥ 2`, leaving at least 1 for eval.
    static func seedCount(_ n: Int, fraction: Double) -> Int {
        guard n >= 2 else { return 0 }
        let rounded = Int((Double(n) * fraction).rounded(.toNearestOrAwayFromZero))
        return min(max(rounded, 1), n - 1)
    }
}
