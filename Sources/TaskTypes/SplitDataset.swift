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
            guard let number = value.intValue else {
                throw TaskErrors.badParameter("seed", expected: "an integer", stage: stage)
            }
            seed = number
        } else {
            seed = SplitDataset.defaultSeed
        }
        let fraction = context.params["seed_fraction"]?.doubleValue ?? SplitDataset.defaultSeedFraction
        guard fraction > 0, fraction < 1, context.params["seed_fraction"].map({ $0.doubleValue != nil }) ?? true else {
            throw TaskErrors.badParameter("seed_fraction", expected: "a number strictly between 0 and 1", stage: stage)
        }

        var rows: [CanonicalRow] = []
        var unlabelled: [Int] = []
        try DatasetRows.forEach(in: source) { row in
            if row.label == nil { unlabelled.append(row.row) }
            rows.append(row)
        }
        let total = rows.count
        guard unlabelled.isEmpty else {
            let listed = unlabelled.prefix(10).map(String.init).joined(separator: ", ")
            let more = unlabelled.count > 10 ? " and \(unlabelled.count - 10) more" : ""
            throw TaskError(
                "split needs every row labelled, but \(unlabelled.count) row\(unlabelled.count == 1 ? " is" : "s are") "
                    + "not (rows \(listed)\(more))",
                remedy: "label every row of the test set", code: .invalidInput)
        }
        guard total > 0 else {
            throw TaskError(
                "Empty dataset. There are no rows to split.", remedy: "add rows to the test set", code: .invalidInput)
        }

        let (seeds, eval, counts) = SplitDataset.split(rows, seed: seed, fraction: fraction)
        try DatasetRows.write(seeds, to: seedsURL)
        try DatasetRows.write(eval, to: evalURL)

        var perLabel: [String: JSONValue] = [:]
        for (label, count) in counts { perLabel[label] = ["seeds": .int(count.seeds), "eval": .int(count.eval)] }
        return StageResult(
            summary:
                "split \(total) rows: \(seeds.count) seeds, \(eval.count) eval (stratified by label, seed \(seed))",
            metrics: [
                "rows": .int(total), "seeds": .int(seeds.count), "eval": .int(eval.count), "labels": .object(perLabel),
            ])
    }

    /// Splits rows grouped by label; both results sorted by ``CanonicalRow/row``.
    ///
    /// Works on positions in `rows` rather than on row values, so a large set moves integers.
    static func split(_ rows: [CanonicalRow], seed: Int, fraction: Double) -> (
        seeds: [CanonicalRow], eval: [CanonicalRow], counts: [String: (seeds: Int, eval: Int)]
    ) {
        // Positions in file order (the input is normally in that order already).
        var ordered = Array(rows.indices)
        let isSorted = zip(rows, rows.dropFirst()).allSatisfy { !inFileOrder($1, $0) }
        if !isSorted { ordered.sort { inFileOrder(rows[$0], rows[$1]) } }
        var byLabel: [String: [Int]] = [:]
        var rank = [Int](repeating: 0, count: rows.count)
        for (position, index) in ordered.enumerated() {
            rank[index] = position
            byLabel[rows[index].label ?? "", default: []].append(index)
        }
        var generator = SeededGenerator(seed: seed)
        var seedIndices: [Int] = []
        var evalIndices: [Int] = []
        var counts: [String: (seeds: Int, eval: Int)] = [:]
        for label in byLabel.keys.sorted() {
            var group = byLabel[label] ?? []
            let take = seedCount(group.count, fraction: fraction)
            group.seededShuffle(using: &generator)
            seedIndices += group[..<take]
            evalIndices += group[take...]
            counts[label] = (take, group.count - take)
        }
        seedIndices.sort { rank[$0] < rank[$1] }
        evalIndices.sort { rank[$0] < rank[$1] }
        return (seedIndices.map { rows[$0] }, evalIndices.map { rows[$0] }, counts)
    }

    /// Orders rows by source row, and rows with equal numbers by their text, so no tie depends on
    /// the sorting algorithm.
    static func inFileOrder(_ a: CanonicalRow, _ b: CanonicalRow) -> Bool {
        a.row != b.row ? a.row < b.row : a.canonicalLine < b.canonicalLine  // ties only in hand-made files
    }

    /// `round(n × fraction)`, at least 1 when `n ≥ 2`, leaving at least 1 for eval.
    static func seedCount(_ n: Int, fraction: Double) -> Int {
        guard n >= 2 else { return 0 }
        let rounded = Int((Double(n) * fraction).rounded(.toNearestOrAwayFromZero))
        return min(max(rounded, 1), n - 1)
    }
}
