import Basics
import Scoring

/// Drops generated rows that repeat each other, a seed row, or an eval row (leakage).
///
/// Two rows match **exactly** when their fields (not their labels) have the same canonical JSON,
/// and match **by normalised text** when their text, lower-cased with every run of characters other
/// than letters and digits turned into one space, is the same. A generated row is also dropped
/// when its words overlap an eval row's by 90 % or more (Jaccard similarity of the word sets), which
/// catches an eval row with a word or two changed. The first row of a matching pair wins, in call
/// order, so the result is deterministic.
struct GenerateFilter {
    /// Why a row was dropped; the raw values are the keys of the stage's `dropped` metric.
    enum Drop: String, CaseIterable {
        case evalExact = "eval_exact"
        case evalNormalised = "eval_normalised"
        case evalNear = "eval_near"
        case seedExact = "seed_exact"
        case seedNormalised = "seed_normalised"
        case duplicateExact = "duplicate_exact"
        case duplicateNormalised = "duplicate_normalised"
    }

    private var evalExact: Set<String> = []
    private var evalNormalised: Set<String> = []
    private var evalWords: [Set<Substring>] = []
    private var seedExact: Set<String> = []
    private var seedNormalised: Set<String> = []
    private var seenExact: Set<String> = []
    private var seenNormalised: Set<String> = []
    let fields: [String]
    static let nearThreshold = 0.9

    init(fields: [String], eval: [CanonicalRow], seeds: [CanonicalRow]) {
        self.fields = fields
        for row in eval {
            evalExact.insert(exactKey(row))
            let text = normalisedKey(row)
            evalNormalised.insert(text)
            evalWords.append(Set(text.split(separator: " ")))
        }
        for row in seeds {
            seedExact.insert(exactKey(row))
            seedNormalised.insert(normalisedKey(row))
        }
    }

    /// Why `row` must go, or `nil` after recording it as seen.
    ///
    /// Text without letters or digits ("👍", "???") normalises to nothing, so it is compared exactly only.
    mutating func admit(_ row: CanonicalRow) -> Drop? {
        let exact = exactKey(row)
        let normalised = normalisedKey(row)
        let loose = !normalised.isEmpty
        if evalExact.contains(exact) { return .evalExact }
        if loose, evalNormalised.contains(normalised) { return .evalNormalised }
        if isNearEval(normalised) { return .evalNear }
        if seedExact.contains(exact) { return .seedExact }
        if loose, seedNormalised.contains(normalised) { return .seedNormalised }
        if seenExact.contains(exact) { return .duplicateExact }
        if loose, seenNormalised.contains(normalised) { return .duplicateNormalised }
        seenExact.insert(exact)
        if loose { seenNormalised.insert(normalised) }
        return nil
    }

    /// Why `row` repeats an eval row (exactly, or by normalised text), or `nil`; records nothing.
    /// The train stage drops such rows from every kind of training set (``TrainLeakageFilter``).
    func evalDuplicate(_ row: CanonicalRow) -> Drop? {
        if evalExact.contains(exactKey(row)) { return .evalExact }
        let normalised = normalisedKey(row)  // text without letters or digits ("👍", "???") matches only exactly
        if !normalised.isEmpty, evalNormalised.contains(normalised) { return .evalNormalised }
        return nil
    }

    func isNearEval(_ normalised: String) -> Bool {
        let words = Set(normalised.split(separator: " "))
        guard words.count >= 4 else { return false }
        for other in evalWords {
            let smaller = Double(min(words.count, other.count))
            let larger = Double(max(words.count, other.count))
            guard smaller / larger >= GenerateFilter.nearThreshold else { continue }
            let shared = Double(words.intersection(other).count)
            if shared / (Double(words.count) + Double(other.count) - shared) >= GenerateFilter.nearThreshold { return true }
        }
        return false
    }

    func exactKey(_ row: CanonicalRow) -> String {
        var object: [String: JSONValue] = [:]
        let json = row.jsonValue
        for field in fields { if let value = json[field] { object[field] = value } }
        return JSONValue.object(object).canonicalText
    }

    func normalisedKey(_ row: CanonicalRow) -> String {
        var text = ""
        let json = row.jsonValue
        for field in fields {
            guard let value = json[field] else { continue }
            text += " " + (value.stringValue ?? value.arrayValue?.map(\.displayText).joined(separator: " ") ?? value.canonicalText)
        }
        return GenerateFilter.normalise(text)
    }

    /// Lower-cased, every run of non-alphanumerics turned into one space, trimmed.
    static func normalise(_ text: String) -> String {
        var out = ""
        var pendingSpace = false
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                if pendingSpace, !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(character)
            } else {
                pendingSpace = true
            }
        }
        return out
    }
}
