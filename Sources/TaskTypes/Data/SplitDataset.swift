import Basics
import Foundation
import Scoring
import TaskInterface
import WorkflowModel

/// The `split` stage: divides a labelled test set into `seeds` (for generation) and `eval` (held
/// out), stratified by label and reproducible from a seed, never putting two copies of a row, or
/// two rows of one group, on different sides.
///
/// Input `rows`, outputs `seeds` and `eval`. Params:
///
/// | param | meaning |
/// |---|---|
/// | `seed` | integer, default 42 |
/// | `seed_fraction` | default 0.2, strictly between 0 and 1 |
/// | `input_format` | an `InputFormat` raw value: which fields make a row's text for the duplicate check (default: every text field a row has) |
/// | `group_by` | the test set's column named by `split: {group_by}` (any input format); the groups themselves are the rows' ``CanonicalRow/group`` values, which `load` reads |
///
/// **Units.** Rows are first joined into units that move together: rows with the same
/// ``CanonicalRow/group``, and duplicate rows, those whose fields (the metric's fields, for a pair
/// the pair) have the same text once normalised as ``GenerateFilter`` normalises generated rows
/// (lower-cased, runs of other characters than letters and digits made one space), or, for text
/// with no letter or digit, the same exact fields. Duplicates join even without `group_by`, and a
/// row can link two groups into one unit. A unit's label, for stratification, is its majority
/// label (a tie goes to the first label in sorted order), so a group that mixes labels still lands
/// in one bucket.
///
/// **Assignment.** For each label, in sorted label order, the label's units (in the file order of
/// their first rows) are shuffled with one ``SeededGenerator`` seeded by `seed` (a Fisher–Yates
/// pass; see ``Swift/MutableCollection/seededShuffle(using:)``). The target is
/// `round(rows × fraction)` seed rows: at least 1 when the label has 2 rows or more, and always at
/// least 1 left for `eval` (``seedCount(_:fraction:)``). Walking the shuffled units, a unit goes to
/// `seeds` when that brings the seed rows nearer the target (`2 × taken + size < 2 × target`), so
/// with one row per unit exactly the first `target` units go. A label with 2 units or more then
/// keeps at least one unit on each side, and a label with one unit keeps it in `eval`. Both outputs keep the rows in their original order, without
/// their `group` field, and the same input and seed give byte-identical outputs on every machine.
///
/// The summary says how many duplicate rows were kept on one side (rows whose text repeats an
/// earlier row's), and with `group_by` how many groups there were; the metrics hold them as
/// `duplicate_rows` and `groups`.
///
/// ## Versions
/// - 1: stratified by label, row by row.
/// - 2: duplicate rows of the test set (exact or normalised text; for pairs, the pair) and, with
///   `split: {group_by}`, rows of one group always land on one side. A test set without
///   duplicates and without `group_by` splits exactly as in version 1.
public struct SplitDataset: TaskType {
    public static let id = "split"
    public static let version = 2
    /// The reference product's default (`enhancement_fraction`).
    public static let defaultSeedFraction = 0.2
    /// The reference product's default sampling seed.
    public static let defaultSeed = 42
    /// The fields compared for duplicates when the stage has no `input_format`: every text field.
    static let allTextFields = ["input", "output", "documents", "tools", "trace", "session"]

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
        // `seed_fraction` and `group_by` are the manifest's `split:`: checked through the schema `lunette check` uses.
        try SplitDataset.schema.checkStage(context.params, stage: stage)
        let fraction = context.params["seed_fraction"]?.doubleValue ?? SplitDataset.defaultSeedFraction
        let fields: [String]
        if let value = context.params["input_format"] {
            guard let format = value.stringValue.flatMap(InputFormat.init(rawValue:)) else {
                let names = InputFormat.allCases.map(\.rawValue).joined(separator: ", ")
                throw TaskErrors.badParameter("input_format", expected: "one of \(names)", stage: stage)
            }
            fields = format.requiredFields + format.optionalFields
        } else {
            fields = SplitDataset.allTextFields
        }
        var groupColumn: String?
        if let column = context.params["group_by"]?.stringValue { groupColumn = column }

        var rows: [CanonicalRow] = []
        var unlabelled: [Int] = []
        var ungrouped: [Int] = []
        try DatasetRows.forEach(in: source) { row in
            if row.label == nil { unlabelled.append(row.row) }
            if groupColumn != nil, row.group == nil { ungrouped.append(row.row) }
            rows.append(row)
        }
        let total = rows.count
        guard unlabelled.isEmpty else {
            throw TaskError(
                "split needs every row labelled, but \(unlabelled.count) row\(unlabelled.count == 1 ? " is" : "s are") "
                    + "not (rows \(SplitDataset.list(unlabelled)))",
                remedy: "label every row of the test set", code: .invalidInput)
        }
        if let groupColumn, !ungrouped.isEmpty {
            throw TaskError(
                "split groups rows by \"\(groupColumn)\", but \(ungrouped.count) row\(ungrouped.count == 1 ? " has" : "s have")"
                    + " no group (rows \(SplitDataset.list(ungrouped)))",
                remedy: "let the load stage read the test set with group_by: \(groupColumn)", code: .invalidInput)
        }
        guard total > 0 else {
            throw TaskError(
                "Empty dataset. There are no rows to split.", remedy: "add rows to the test set", code: .invalidInput)
        }

        let result = SplitDataset.split(rows, seed: seed, fraction: fraction, fields: fields)
        try DatasetRows.write(result.seeds, to: seedsURL)
        try DatasetRows.write(result.eval, to: evalURL)

        var perLabel: [String: JSONValue] = [:]
        for (label, count) in result.counts { perLabel[label] = ["seeds": .int(count.seeds), "eval": .int(count.eval)] }
        var metrics: [String: JSONValue] = [
            "rows": .int(total), "seeds": .int(result.seeds.count), "eval": .int(result.eval.count),
            "labels": .object(perLabel), "duplicate_rows": .int(result.duplicateRows),
        ]
        var how = "stratified by label"
        if let groupColumn {
            metrics["groups"] = .int(result.groups)
            how += ", \(result.groups) group\(result.groups == 1 ? "" : "s") by \(groupColumn)"
        }
        how += ", seed \(seed)"
        if result.duplicateRows > 0 {
            how += "; \(result.duplicateRows) duplicate row\(result.duplicateRows == 1 ? "" : "s") kept on one side"
        }
        return StageResult(
            summary: "split \(total) rows: \(result.seeds.count) seeds, \(result.eval.count) eval (\(how))",
            metrics: metrics)
    }

    /// `2, 5, 9` or `2, 5, …, 40 and 12 more`: the first ten row numbers.
    static func list(_ rows: [Int]) -> String {
        let listed = rows.prefix(10).map(String.init).joined(separator: ", ")
        return rows.count > 10 ? "\(listed) and \(rows.count - 10) more" : listed
    }

    /// What ``split(_:seed:fraction:fields:)`` returns.
    struct Outcome {
        /// Both sorted by ``CanonicalRow/row``, without their ``CanonicalRow/group``.
        var seeds: [CanonicalRow]
        var eval: [CanonicalRow]
        /// Label → rows of that label on each side.
        var counts: [String: (seeds: Int, eval: Int)]
        /// Rows whose text repeats an earlier row's (each kept on its first copy's side).
        var duplicateRows: Int
        /// Distinct ``CanonicalRow/group`` values (0 when no row has one).
        var groups: Int
    }

    /// Splits rows unit by unit (see the type's documentation); both results sorted by
    /// ``CanonicalRow/row``.
    ///
    /// Works on positions in `rows` rather than on row values, so a large set moves integers.
    static func split(_ rows: [CanonicalRow], seed: Int, fraction: Double, fields: [String] = allTextFields)
        -> Outcome
    {
        // Positions in file order (the input is normally in that order already).
        var ordered = Array(rows.indices)
        let isSorted = zip(rows, rows.dropFirst()).allSatisfy { !inFileOrder($1, $0) }
        if !isSorted { ordered.sort { inFileOrder(rows[$0], rows[$1]) } }
        var rank = [Int](repeating: 0, count: rows.count)
        for (position, index) in ordered.enumerated() { rank[index] = position }

        // Join rows that share a group or a text into units (union–find over positions, whose root is
        // always the unit's first row in file order).
        var parent = Array(rows.indices)
        func root(_ index: Int) -> Int {
            var index = index
            while parent[index] != index {
                parent[index] = parent[parent[index]]
                index = parent[index]
            }
            return index
        }
        func join(_ a: Int, _ b: Int) {
            let (ra, rb) = (root(a), root(b))
            guard ra != rb else { return }
            if rank[ra] < rank[rb] { parent[rb] = ra } else { parent[ra] = rb }
        }
        let keys = GenerateFilter(fields: fields, eval: [], seeds: [])
        var firstWithText: [String: Int] = [:]
        var firstInGroup: [String: Int] = [:]
        var duplicateRows = 0
        for index in ordered {
            let normalised = keys.normalisedKey(rows[index])
            let text = normalised.isEmpty ? keys.exactKey(rows[index]) : normalised
            if let first = firstWithText[text] {
                duplicateRows += 1
                join(first, index)
            } else {
                firstWithText[text] = index
            }
            if let group = rows[index].group {
                if let first = firstInGroup[group] { join(first, index) } else { firstInGroup[group] = index }
            }
        }

        // Units in the file order of their first rows, bucketed by majority label.
        var members: [Int: [Int]] = [:]
        var roots: [Int] = []
        for index in ordered {
            let unit = root(index)
            if members[unit] == nil { roots.append(unit) }
            members[unit, default: []].append(index)
        }
        var byLabel: [String: [Int]] = [:]
        var rowsByLabel: [String: Int] = [:]
        for unit in roots {
            var tally: [String: Int] = [:]
            for index in members[unit] ?? [] { tally[rows[index].label ?? "", default: 0] += 1 }
            let label = tally.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key ?? ""
            byLabel[label, default: []].append(unit)
            rowsByLabel[label, default: 0] += members[unit]?.count ?? 0
        }

        var generator = SeededGenerator(seed: seed)
        var seedIndices: [Int] = []
        var evalIndices: [Int] = []
        for label in byLabel.keys.sorted() {
            var units = byLabel[label] ?? []
            let target = seedCount(rowsByLabel[label] ?? 0, fraction: fraction)
            units.seededShuffle(using: &generator)
            var taken: [Int] = []
            var left: [Int] = []
            var takenRows = 0
            for unit in units {
                let size = members[unit]?.count ?? 0
                if 2 * takenRows + size < 2 * target {
                    taken.append(unit)
                    takenRows += size
                } else {
                    left.append(unit)
                }
            }
            if units.count >= 2, taken.isEmpty { taken.append(left.removeFirst()) }
            if left.isEmpty, let last = taken.popLast() { left.append(last) }
            for unit in taken { seedIndices += members[unit] ?? [] }
            for unit in left { evalIndices += members[unit] ?? [] }
        }
        seedIndices.sort { rank[$0] < rank[$1] }
        evalIndices.sort { rank[$0] < rank[$1] }

        var counts: [String: (seeds: Int, eval: Int)] = [:]
        for index in seedIndices { counts[rows[index].label ?? "", default: (0, 0)].seeds += 1 }
        for index in evalIndices { counts[rows[index].label ?? "", default: (0, 0)].eval += 1 }
        func output(_ index: Int) -> CanonicalRow {
            var row = rows[index]
            row.group = nil
            return row
        }
        return Outcome(
            seeds: seedIndices.map(output), eval: evalIndices.map(output), counts: counts,
            duplicateRows: duplicateRows, groups: firstInGroup.count)
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
