import Basics
import Foundation
import Scoring
import TaskInterface
import WorkflowModel

/// A task type written outside Lunette's own modules, as a library user would: it drops training rows
/// that are near-duplicates of an earlier row, so a metric is not trained on fifty retweets of one
/// message (and so the row count it reports is the number of *different* examples it saw).
///
/// A manifest names it in a run's `stages:` and puts it in front of `train`:
///
/// ```yaml
/// stages:
///   dedupe:
///     task: near-duplicate-filter
///     inputs: { rows: "@load-training.rows" }
///     settings: { similarity: 0.8 }
///     feeds: train.rows
/// ```
///
/// Two rows are near-duplicates when the Jaccard similarity of their sets of word shingles (runs of
/// ``Settings/shingle`` words of the lowercased text, split at anything that is not a letter or a digit)
/// is at least ``Settings/similarity``. The later row is dropped; a near-duplicate whose label differs is
/// kept (the pair says something the model should learn) and counted as a conflict. Rows are read and
/// written as the `rows` artifact's JSON lines, kept rows byte for byte, in their order. Deterministic:
/// the shingles are hashed with FNV-1a, not Swift's per-process seeded `Hasher`.
public struct NearDuplicateFilter: TaskType {
    public static let id = "near-duplicate-filter"
    /// 1: first version.
    public static let version = 1
    public static var inputNames: [String]? { ["rows"] }
    public static var outputNames: [String]? { ["rows"] }

    /// The keys of the stage's `settings:`, which sit under `settings` in its params (the planner adds
    /// `metric` beside them).
    public static var settings: SettingsSchema? {
        SettingsSchema(section: "settings", paramsKey: "settings", parameters: [
            .init("similarity", .number(.init(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: true)),
                  default: .double(Settings.defaults.similarity),
                  doc: "the Jaccard similarity of word shingles from which a later row is a near-duplicate"),
            .init("shingle", .integer(1...8), default: .int(Settings.defaults.shingle),
                  doc: "words per shingle; texts shorter than this are one shingle"),
            .init("compare", .choice(["auto", "input", "output", "both"]), default: .string("auto"),
                  doc: "the text compared: `auto` is the input and output when the metric reads both, else the input"),
        ])
    }

    public init() {}

    /// The filter's settings, with their defaults applied.
    public struct Settings: Sendable, Hashable {
        public var similarity: Double
        public var shingle: Int
        /// `input`, `output` or `both` (`auto` resolved against the metric).
        public var compare: String

        public static let defaults = Settings(similarity: 0.9, shingle: 3, compare: "input")

        public init(similarity: Double, shingle: Int, compare: String) {
            self.similarity = similarity
            self.shingle = shingle
            self.compare = compare
        }
    }

    /// What one pass over the rows decided.
    public struct Outcome: Sendable, Hashable {
        /// The indices (0-based, in input order) of the rows kept.
        public var kept: [Int]
        /// Dropped row index → the index of the earlier kept row it duplicates.
        public var dropped: [Int: Int]
        /// Near-duplicate pairs kept because their labels differ.
        public var conflicts: [Conflict]

        /// A later row kept beside the earlier near-duplicate whose label differs.
        public struct Conflict: Sendable, Hashable {
            public var later: Int
            public var earlier: Int

            public init(later: Int, earlier: Int) {
                self.later = later
                self.earlier = earlier
            }
        }
    }

    public func run(_ context: StageContext) async throws -> StageResult {
        let settings = try Self.settings(from: context.params)
        let data = try Data(contentsOf: try context.input("rows"))
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        var rows: [(text: String, label: String?)] = []
        for (index, line) in lines.enumerated() {
            try Task.checkCancellation()
            let row: CanonicalRow
            do {
                row = try CanonicalRow(json: try JSONValue.parse(Data(line)))
            } catch {
                throw TaskError("rows line \(index + 1) is not a row: \(error)", remedy: "feed this stage the rows of a load, generate or label stage", code: .invalidInput)
            }
            rows.append((Self.text(of: row, compare: settings.compare), row.label))
        }
        let outcome = Self.filter(rows, settings: settings)

        var output = Data()
        for index in outcome.kept {
            output.append(contentsOf: lines[index])
            output.append(UInt8(ascii: "\n"))
        }
        try output.write(to: try context.output("rows"))

        let examples = outcome.dropped.sorted { $0.key < $1.key }.prefix(5)
            .map { "row \($0.key + 1) repeats row \($0.value + 1)" }
        var warnings: [String] = []
        if !outcome.conflicts.isEmpty {
            let pairs = outcome.conflicts.prefix(5).map { "rows \($0.earlier + 1) and \($0.later + 1)" }.joined(separator: ", ")
            warnings.append("\(outcome.conflicts.count) near-duplicate pair(s) with different labels kept: \(pairs)"
                + (outcome.conflicts.count > 5 ? ", …" : "") + "; check their labels")
        }
        let similarity = String(format: "%g", settings.similarity)
        return StageResult(
            summary: "kept \(outcome.kept.count) of \(rows.count) rows: \(outcome.dropped.count) near-duplicate(s) dropped "
                + "(\(settings.compare), similarity ≥ \(similarity))"
                + (examples.isEmpty ? "" : "; e.g. " + examples.joined(separator: ", ")),
            warnings: warnings,
            metrics: [
                "rows_in": .int(rows.count), "rows_out": .int(outcome.kept.count), "dropped": .int(outcome.dropped.count),
                "conflicts": .int(outcome.conflicts.count),
            ])
    }

    /// The settings in `params` (`params.settings`, checked through the schema, defaults applied; `auto`
    /// resolved against `params.metric.input`).
    /// - Throws: ``TaskInterface/TaskError`` naming the first bad key.
    public static func settings(from params: [String: JSONValue]) throws -> Settings {
        let given = params["settings"] ?? .object([:])
        if let issue = settings?.check(given).first {
            throw TaskError("settings\(issue.path.map(\.description).joined()): \(issue.message)", remedy: issue.hint, code: .invalidInput)
        }
        let object = given.objectValue ?? [:]
        var compare = object["compare"]?.stringValue ?? "auto"
        if compare == "auto" {
            let input = params["metric"]?["input"]?.stringValue ?? InputFormat.message.rawValue
            compare = input == InputFormat.message.rawValue ? "input" : input == InputFormat.output.rawValue ? "output" : "both"
        }
        return Settings(
            similarity: object["similarity"]?.doubleValue ?? Settings.defaults.similarity,
            shingle: object["shingle"]?.intValue ?? Settings.defaults.shingle, compare: compare)
    }

    /// The text of `row` that `compare` names; both fields are joined with a separator no word contains.
    static func text(of row: CanonicalRow, compare: String) -> String {
        switch compare {
        case "output": return row.output ?? ""
        case "both": return (row.input ?? "") + "\n\u{1F}\n" + (row.output ?? "")
        default: return row.input ?? ""
        }
    }

    /// Decides which rows to keep: each row against every earlier kept row that shares a shingle with it
    /// (found through an inverted index, so the work is the overlaps, not every pair).
    public static func filter(_ rows: [(text: String, label: String?)], settings: Settings) -> Outcome {
        var kept: [Int] = []
        var dropped: [Int: Int] = [:]
        var conflicts: [Outcome.Conflict] = []
        var shingleSets: [Int: Set<UInt64>] = [:]
        var postings: [UInt64: [Int]] = [:]
        for (index, row) in rows.enumerated() {
            let shingles = Self.shingles(row.text, size: settings.shingle)
            var overlaps: [Int: Int] = [:]
            for shingle in shingles {
                for earlier in postings[shingle] ?? [] { overlaps[earlier, default: 0] += 1 }
            }
            // The most similar earlier row; ties go to the earliest, for a stable answer.
            var best: (row: Int, similarity: Double)?
            for (earlier, shared) in overlaps {
                let union = shingles.count + (shingleSets[earlier]?.count ?? 0) - shared
                let similarity = union == 0 ? 1 : Double(shared) / Double(union)
                if similarity >= settings.similarity,
                   best == nil || similarity > best!.similarity || (similarity == best!.similarity && earlier < best!.row)
                {
                    best = (earlier, similarity)
                }
            }
            if shingles.isEmpty, let empty = kept.first(where: { shingleSets[$0]?.isEmpty == true }) {
                best = (empty, 1)  // two texts with no words at all are the same text
            }
            if let best {
                if rows[best.row].label == row.label {
                    dropped[index] = best.row
                    continue
                }
                conflicts.append(Outcome.Conflict(later: index, earlier: best.row))
            }
            kept.append(index)
            shingleSets[index] = shingles
            for shingle in shingles { postings[shingle, default: []].append(index) }
        }
        return Outcome(kept: kept, dropped: dropped, conflicts: conflicts)
    }

    /// The FNV-1a hashes of `text`'s runs of `size` words (lowercased, split at anything that is not a
    /// letter or digit); one shingle of every word when there are fewer.
    static func shingles(_ text: String, size: Int) -> Set<UInt64> {
        let words = text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
        guard !words.isEmpty else { return [] }
        let width = min(size, words.count)
        var result: Set<UInt64> = []
        for start in 0...(words.count - width) {
            result.insert(fnv1a(words[start..<(start + width)].joined(separator: " ")))
        }
        return result
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
