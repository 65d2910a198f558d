import Basics
import Scoring
import TaskInterface
import WorkflowModel

extension DatasetValidator {
    /// Spellings of boolean labels, lowercased.
    static let trueSpellings: Set<String> = ["true", "yes", "1", "1.0"]
    static let falseSpellings: Set<String> = ["false", "no", "0", "0.0"]

    /// The recommended minimums (LUNA-REFERENCE.md §3.5).
    static let minimumTestRows = 300
    static let minimumTrainingRows = 2000
    static let minimumRowsPerClass = 100

    /// Parses a label to a declared label, recording a problem when it is not one.
    mutating func label(_ value: JSONValue, row: Int) -> String? {
        let raw: String
        switch value {
        case .string(let text): raw = text.trimmingWhitespace
        case .bool(let flag): raw = flag ? "true" : "false"
        case .int(let number): raw = String(number)
        case .double: raw = value.canonicalText
        default:
            problem("\(rowWord) \(row): \(describe("label")) must be a string, not \(value.canonicalText)")
            return nil
        }
        let lowered = raw.lowercased()
        let parsed: String?
        switch options.output {
        case .boolean:
            parsed =
                DatasetValidator.trueSpellings.contains(lowered)
                ? "true" : DatasetValidator.falseSpellings.contains(lowered) ? "false" : nil
            if parsed == nil {
                problem("\(rowWord) \(row): label \"\(raw)\" is not a boolean (write true/false, yes/no or 1/0)")
            }
        case .categorical:
            parsed = lowercasedLabels[lowered]
            if parsed == nil {
                let hint = Suggestion.closest(to: raw, in: options.labels).map { "; did you mean \"\($0)\"?" } ?? ""
                let list = options.labels.joined(separator: ", ")
                problem("\(rowWord) \(row): label \"\(raw)\" is not one of the metric's labels (\(list))\(hint)")
            }
        }
        if let parsed, case .string = value { recordSpelling(raw, of: parsed) }
        return parsed
    }

    private mutating func recordSpelling(_ raw: String, of label: String) {
        spellings[label, default: [:]][raw, default: 0] += 1
    }

    /// Ends validation.
    /// - Returns: The warnings for the stage result.
    /// - Throws: ``TaskError`` (`invalidInput`) listing the problems, or "Empty dataset.".
    func finish() throws -> [String] {
        if problemCount > 0 {
            var lines = problems
            if problemCount > problems.count { lines.append("and \(problemCount - problems.count) more") }
            let noun = problemCount == 1 ? "problem" : "problems"
            throw TaskError(
                "\(options.path) has \(problemCount) \(noun):\n" + lines.map { "  \($0)" }.joined(separator: "\n"),
                remedy:
                    "fix these rows in the file (\(rowWord == "row" ? "the header is row 1" : "lines count from 1"))",
                code: .invalidInput)
        }
        if rowCount == 0 {
            throw TaskError(
                "Empty dataset. \(options.path) has no data rows.",
                remedy: "add labelled rows to the file", code: .invalidInput)
        }
        return warnings + casingWarnings() + sizeWarnings()
    }

    private func casingWarnings() -> [String] {
        var result: [String] = []
        for label in options.labels {
            guard let seen = spellings[label] else { continue }
            switch options.output {
            case .categorical:
                let others = seen.keys.filter { $0 != label }.sorted()
                guard !others.isEmpty else { continue }
                let list = others.map { "\"\($0)\" (\(rowsText(seen[$0] ?? 0)))" }.joined(separator: ", ")
                result.append("mixed label casing: \(list) normalised to the declared \"\(label)\"")
            case .boolean:
                let groups = Dictionary(grouping: seen.keys, by: { $0.lowercased() })
                for key in groups.keys.sorted() {
                    guard let variants = groups[key], variants.count > 1 else { continue }
                    let list = variants.sorted().map { "\"\($0)\" (\(rowsText(seen[$0] ?? 0)))" }
                        .joined(separator: ", ")
                    result.append("mixed label casing: \(list) all read as \(label)")
                }
            }
        }
        return result
    }

    private func sizeWarnings() -> [String] {
        // Unlabelled uploads are labelled by the judge later; the label stage checks its own output.
        guard options.requireLabels else { return [] }
        let labelled = rowCount - unlabelledCount
        var result: [String] = []
        let minimumRows: Int
        let name: String
        switch options.role {
        case .testSet:
            minimumRows = DatasetValidator.minimumTestRows
            name = "test set"
        case .trainingSet:
            minimumRows = DatasetValidator.minimumTrainingRows
            name = "labelled training set"
        }
        if labelled < minimumRows {
            result.append(
                "the \(name) has \(rowsText(labelled)); at least \(minimumRows) are recommended"
                    + (options.role == .testSet ? " (1,000–3,000 is a strong target)" : ""))
        }
        for label in options.labels {
            let count = labelCounts[label] ?? 0
            if count == 0 {
                result.append("no rows are labelled \"\(label)\": the metric cannot learn or be scored on that class")
            } else if count < DatasetValidator.minimumRowsPerClass {
                result.append(
                    "class \"\(label)\" has \(rowsText(count)); at least \(DatasetValidator.minimumRowsPerClass) "
                        + "per class are recommended")
            }
        }
        return result
    }

    private func rowsText(_ count: Int) -> String { count == 1 ? "1 row" : "\(count) rows" }

    /// "true 200, false 212" in declared order (true first for boolean metrics), plus unlabelled rows.
    var countsText: String {
        let order = options.output == .boolean ? ["true", "false"] : options.labels
        var parts = order.map { "\($0) \(labelCounts[$0] ?? 0)" }
        if unlabelledCount > 0 {
            parts = labelCounts.isEmpty ? [] : parts
            parts.append("\(unlabelledCount) unlabelled")
        }
        return parts.joined(separator: ", ")
    }
}
