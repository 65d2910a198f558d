import Basics

/// The differences between two sets of committed scores files (``ScoresFile``): what
/// `lunette metrics diff` prints.
///
/// Pure: built from two `[project: ScoresFile]` maps, however they were read (working tree, `git show`).
public struct ScoresDiff: Sendable {
    /// One figure of one run on both sides.
    public struct Row: Sendable, Hashable {
        /// `project/run`.
        public var run: String
        /// `macro_f1`, `per_class_f1.true`, `gate_passed`, …
        public var figure: String
        public var old: JSONValue?
        public var new: JSONValue?

        /// `new - old` when both are numbers.
        public var delta: Double? {
            guard let old = old?.doubleValue, let new = new?.doubleValue else { return nil }
            return new - old
        }

        /// Whether the change is an improvement (`nil`: no number, no change, or not a score).
        public var isImprovement: Bool? {
            guard let delta, delta != 0, figure != "eval_rows" else {
                if figure == "gate_passed", let old = old?.boolValue, let new = new?.boolValue, old != new { return new }
                return nil
            }
            return RunScores.higherIsBetter(figure) == (delta > 0)
        }
    }

    /// Every compared figure (only the changed ones unless built with `all`), sorted by run then figure order.
    public var rows: [Row]
    /// Runs only on the new side, and only on the old side (`project/run`).
    public var added: [String]
    public var removed: [String]

    /// - Parameter all: keep figures that did not change.
    public init(old: [String: ScoresFile], new: [String: ScoresFile], all: Bool = false) {
        func entries(_ files: [String: ScoresFile]) -> [String: RunScores] {
            var out: [String: RunScores] = [:]
            for (project, file) in files {
                for (run, scores) in file.runs { out["\(project)/\(run)"] = scores }
            }
            return out
        }
        let before = entries(old)
        let after = entries(new)
        added = after.keys.filter { before[$0] == nil }.sorted()
        removed = before.keys.filter { after[$0] == nil }.sorted()
        var rows: [Row] = []
        for run in Set(before.keys).union(after.keys).sorted() {
            let oldFigures = before[run].map(Self.figures) ?? []
            let newFigures = after[run].map(Self.figures) ?? []
            var names = oldFigures.map(\.0)
            for (name, _) in newFigures where !names.contains(name) { names.append(name) }
            let oldValues = Dictionary(oldFigures, uniquingKeysWith: { a, _ in a })
            let newValues = Dictionary(newFigures, uniquingKeysWith: { a, _ in a })
            for name in names {
                let row = Row(run: run, figure: name, old: oldValues[name], new: newValues[name])
                if all || row.old != row.new { rows.append(row) }
            }
        }
        self.rows = rows
    }

    /// A run's figures in listing order: the headline numbers, per-class F1, then whether the gate passed.
    static func figures(_ scores: RunScores) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = scores.figures.map { ($0.name, $0.value.map(JSONValue.double) ?? .null) }
        if let rows = scores.values["eval_rows"], let index = out.firstIndex(where: { $0.0 == "eval_rows" }) {
            out[index].1 = rows
        }
        if let gate = scores.values["gate_passed"], gate != .null { out.append(("gate_passed", gate)) }
        return out
    }

    /// The diff as JSON: `{"added": [...], "removed": [...], "changes": [{"run", "figure", "old", "new", "delta"}]}`.
    public var jsonValue: JSONValue {
        .object([
            "added": .array(added.map(JSONValue.string)), "removed": .array(removed.map(JSONValue.string)),
            "changes": .array(rows.map { row in
                .object([
                    "run": .string(row.run), "figure": .string(row.figure), "old": row.old ?? .null, "new": row.new ?? .null,
                    "delta": row.delta.map { .double(RunScores.rounded($0)) } ?? .null,
                ])
            }),
        ])
    }
}
