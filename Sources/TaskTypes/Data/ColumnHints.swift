import Basics
import TaskInterface

/// Finds the column a user probably meant when a dataset lacks a required one.
///
/// Users' files name things their own way (`text`, `question`, `response`, `class`); this table of
/// common names comes first, then the closest name by edit distance.
enum ColumnHints {
    /// Canonical field → common column names for it, most likely first.
    static let aliases: [String: [String]] = [
        "id": ["row_id", "uuid", "example_id", "pair_id", "idx", "key"],
        "input": [
            "text", "prompt", "question", "query", "message", "user_input", "content", "tweet", "sentence",
            "comment", "review", "instruction",
        ],
        "output": ["response", "answer", "completion", "generation", "summary", "reply", "model_output", "prediction"],
        "documents": [
            "context", "contexts", "docs", "document", "passages", "retrieved", "retrieved_contexts", "sources",
        ],
        "tools": ["functions", "tool_calls", "tool_definitions"],
        "trace": ["spans", "events"],
        "session": ["conversation", "messages", "dialog", "dialogue", "chat", "turns"],
        "label": ["labels", "class", "category", "target", "gold", "y", "annotation", "rating", "verdict"],
    ]

    /// The column to suggest for `field`, among `available` minus `taken`.
    static func suggestion(for field: String, available: [String], taken: Set<String>) -> String? {
        let free = available.filter { !taken.contains($0) }
        for alias in aliases[field] ?? [] {
            if let match = free.first(where: { $0.lowercased() == alias }) { return match }
        }
        return Suggestion.closest(to: field, in: free)
    }

    /// The error for required (or explicitly mapped) columns the file lacks.
    ///
    /// `Missing column "input" in data/x.csv (columns: text, label); did you mean to map columns: {input: text}?`
    ///
    /// The `group_by` column alone gets ``missingGroupColumn(options:available:)``; with other columns
    /// missing too, those are reported first.
    static func missingColumns(_ fields: [String], options: LoadDataset.Options, available: [String]) -> TaskError {
        if fields == ["group"] { return missingGroupColumn(options: options, available: available) }
        let fields = fields.filter { $0 != "group" }
        let present = Set(options.wantedFields.map(options.column(for:))).intersection(available)
        var taken = present
        var mapping: [String] = []
        for field in fields where options.columns[field] == nil {
            if let column = suggestion(for: field, available: available, taken: taken) {
                taken.insert(column)
                mapping.append("\(field): \(column)")
            }
        }
        let names = fields.map { field -> String in
            let column = options.column(for: field)
            return column == field ? "\"\(field)\"" : "\"\(column)\" (mapped to \"\(field)\")"
        }
        let noun = fields.count == 1 ? "column" : "columns"
        let columnList = available.isEmpty ? "no columns" : "columns: \(available.joined(separator: ", "))"
        var message = "Missing \(noun) \(names.joined(separator: ", ")) in \(options.path) (\(columnList))"
        let remedy: String
        if mapping.isEmpty {
            let example = fields.map { "\($0): <column>" }.joined(separator: ", ")
            remedy = "add the \(noun) to the file, or map existing ones in the manifest with `columns: {\(example)}`"
        } else {
            let map = "{\(mapping.joined(separator: ", "))}"
            message += "; did you mean to map columns: \(map)?"
            remedy = "add `columns: \(map)` to this dataset in the manifest, or rename the \(noun) in the file"
        }
        return TaskError(message, remedy: remedy, code: .invalidInput)
    }

    /// The error for a `split: {group_by: COLUMN}` column the test set lacks, with the closest column
    /// name of the file (by edit distance, ignoring case) as a suggestion.
    ///
    /// `Missing column "conversation" in data/x.csv, named by split.group_by (columns: text, label,
    /// conversation_id); did you mean "conversation_id"?`
    static func missingGroupColumn(options: LoadDataset.Options, available: [String]) -> TaskError {
        let column = options.groupBy ?? "group"
        let columnList = available.isEmpty ? "no columns" : "columns: \(available.joined(separator: ", "))"
        var message = "Missing column \"\(column)\" in \(options.path), named by split.group_by (\(columnList))"
        let remedy: String
        if let match = Suggestion.closest(to: column, in: available) {
            message += "; did you mean \"\(match)\"?"
            remedy = "write `split: {group_by: \(match)}` in the manifest, or add the column \"\(column)\" to the file"
        } else {
            remedy = "name one of the file's columns in `split: {group_by: COLUMN}`, or add the column \"\(column)\" to the file"
        }
        return TaskError(message, remedy: remedy, code: .invalidInput)
    }
}
