import Basics
import Scoring
import TaskInterface
import WorkflowModel

/// Turns a dataset's raw rows into ``CanonicalRow``s, collecting every problem on the way.
///
/// It sees one row at a time (field → raw value, with CSV cells as strings) and keeps only
/// counts, the first ``maxListedProblems`` problems and the label spellings it met, so it works on
/// files of any size. ``finish()`` throws the collected problems as one ``TaskError``, or returns
/// the warnings the reference product's recommendations call for (LUNA-REFERENCE.md §3.4–3.5).
struct DatasetValidator {
    /// Problems listed by row before "and N more".
    static let maxListedProblems = 20

    let options: LoadDataset.Options
    /// ``LoadDataset/Options/wantedFields`` and ``LoadDataset/Options/requiredFields``, computed once.
    let wantedFields: [String]
    let requiredFields: Set<String>
    /// The word rows are numbered by in messages: "row" (CSV) or "line" (JSONL).
    let rowWord: String

    private(set) var rowCount = 0
    private(set) var labelCounts: [String: Int] = [:]
    private(set) var unlabelledCount = 0
    private(set) var problems: [String] = []
    private(set) var problemCount = 0
    private(set) var warnings: [String] = []
    /// Declared label → raw spelling (trimmed) → rows.
    var spellings: [String: [String: Int]] = [:]
    /// Lowercased label → declared label.
    var lowercasedLabels: [String: String] = [:]

    init(options: LoadDataset.Options, rowWord: String) {
        self.options = options
        self.rowWord = rowWord
        wantedFields = options.wantedFields
        requiredFields = Set(options.requiredFields)
        for label in options.labels { lowercasedLabels[label.lowercased()] = label }
    }

    /// Records a problem with a row (kept for the message when among the first few).
    mutating func problem(_ message: String) {
        problemCount += 1
        if problems.count < DatasetValidator.maxListedProblems { problems.append(message) }
    }

    /// Records a warning for the stage result.
    mutating func warn(_ message: String) { warnings.append(message) }

    /// Checks one row and returns it in canonical form, or `nil` when it has problems.
    ///
    /// - Parameters:
    ///   - values: The raw value of each of ``wantedFields``, in that order (`nil` when absent).
    ///   - row: The row number for messages.
    mutating func check(_ values: [JSONValue?], row: Int) -> CanonicalRow? {
        let before = problemCount
        var result = CanonicalRow(row: row)
        for (field, value) in zip(wantedFields, values) {
            guard let value, !TextField.isEmpty(value) else {
                if field == "group" {
                    // No silent singleton: a lost conversation id would split its conversation.
                    problem("\(rowWord) \(row): empty \(describe(field)); give a row that stands alone a value of its own")
                } else if requiredFields.contains(field) {
                    problem("\(rowWord) \(row): empty \(describe(field))")
                }
                continue
            }
            switch field {
            case "id": result.id = value.displayText
            case "input": result.input = text(value, field: field, row: row)
            case "output": result.output = text(value, field: field, row: row)
            case "documents": result.documents = documents(value, row: row)
            case "tools": result.tools = json(value, field: field, row: row, strict: false)
            case "trace": result.trace = json(value, field: field, row: row, strict: true)
            case "session": result.session = json(value, field: field, row: row, strict: true)
            case "label": result.label = label(value, row: row)
            case "group": result.group = value.displayText.trimmingWhitespace
            default: break
            }
        }
        guard problemCount == before else { return nil }
        rowCount += 1
        if let label = result.label {
            labelCounts[label, default: 0] += 1
        } else {
            unlabelledCount += 1
        }
        return result
    }

    /// `"input"`, or `"input" (column "text")` when the column is mapped; `"conversation_id" (the
    /// split's group_by column)` for `group`.
    func describe(_ field: String) -> String {
        if field == "group", let column = options.groupBy { return "\"\(column)\" (the split's group_by column)" }
        let column = options.column(for: field)
        return column == field ? "\"\(field)\"" : "\"\(field)\" (column \"\(column)\")"
    }

    /// `input` and `output` by ``TextField``'s rule, the one `score` and `serve` apply too.
    private mutating func text(_ value: JSONValue, field: String, row: Int) -> String? {
        switch TextField.read(value) {
        case .text(let text): return text
        case .empty: return nil  // not reached: check(_:row:) handles empty values first
        case .notText(let kind):
            problem("\(rowWord) \(row): \(describe(field)) must be text, not \(kind)")
            return nil
        }
    }

    private mutating func documents(_ value: JSONValue, row: Int) -> [String]? {
        switch value {
        case .array(let items):
            let texts = items.compactMap(\.stringValue)
            if texts.count == items.count { return texts }
        case .string(let text):
            // A CSV cell may hold a JSON array of strings; anything else is one document.
            if text.first == "[", let parsed = try? JSONLineParser.parse(Array(text.utf8)),
                case .array(let items) = parsed
            {
                let texts = items.compactMap(\.stringValue)
                if texts.count == items.count { return texts }
            }
            return [text]
        default: break
        }
        problem("\(rowWord) \(row): \(describe("documents")) must be a string or an array of strings")
        return nil
    }

    private mutating func json(_ value: JSONValue, field: String, row: Int, strict: Bool) -> JSONValue? {
        guard case .string(let text) = value else { return value }
        let trimmed = text.drop(while: \.isWhitespace)
        guard trimmed.first == "{" || trimmed.first == "[" else { return value }
        do {
            return try JSONLineParser.parse(Array(text.utf8))
        } catch {
            if strict { problem("\(rowWord) \(row): \(describe(field)) is not valid JSON: \(error.description)") }
            return strict ? nil : value
        }
    }
}
