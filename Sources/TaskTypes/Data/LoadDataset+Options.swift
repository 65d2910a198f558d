import Basics
import Foundation
import Scoring
import TaskInterface
import WorkflowModel

extension LoadDataset {
    /// The stage's parameters, checked and with defaults filled in.
    struct Options: Sendable {
        enum Format: String, Sendable { case csv, jsonl }
        enum Role: String, Sendable {
            case testSet = "test_set"
            case trainingSet = "training_set"
        }

        /// The source as the user wrote it (workspace-relative), for messages.
        var path: String
        var format: Format
        /// Canonical field → the file's column (or JSON key) name.
        var columns: [String: String]
        var inputFormat: InputFormat
        var output: MetricOutput
        /// The declared labels, in index order.
        var labels: [String]
        var requireLabels: Bool
        var role: Role
        /// The column whose value is a row's ``CanonicalRow/group`` (`split: {group_by: COLUMN}`); nil
        /// when rows are not grouped. Read into the pseudo-field `group`, which every row must have.
        var groupBy: String?

        /// The fields a row must have.
        var requiredFields: [String] {
            inputFormat.requiredFields + (requireLabels ? ["label"] : []) + (groupBy != nil ? ["group"] : [])
        }

        /// Every field read from the file: required, optional for the input format, `id`, the label,
        /// and whatever `columns` maps explicitly, in ``CanonicalRow/sourceFields`` order; then `group`
        /// when ``groupBy`` is set.
        var wantedFields: [String] {
            let wanted = Set(inputFormat.requiredFields + inputFormat.optionalFields + ["id", "label"])
                .union(columns.keys)
            return CanonicalRow.sourceFields.filter(wanted.contains) + (groupBy != nil ? ["group"] : [])
        }

        /// The file's column for a canonical field (``groupBy`` for `group`).
        func column(for field: String) -> String {
            if field == "group", let groupBy { return groupBy }
            return columns[field] ?? field
        }

        /// Reads the options from a stage's params.
        /// - Throws: ``TaskError`` naming the parameter that is wrong.
        init(_ context: StageContext, source: URL) throws {
            let stage = context.stageID.description
            let params = context.params
            path = params["path"]?.stringValue ?? source.lastPathComponent

            let formatText =
                params["format"]?.stringValue ?? Self.format(fromExtensionOf: path)
                ?? Self.format(fromExtensionOf: source.path)
            guard let formatText, let format = Format(rawValue: formatText.lowercased()) else {
                throw TaskError(
                    "Unsupported file type: \(path) (expected a .csv or .jsonl file)",
                    remedy: "save the dataset as CSV or JSON Lines, or set its format", code: .invalidInput)
            }
            self.format = format

            var columns: [String: String] = [:]
            if let value = params["columns"] {
                guard let object = value.objectValue else {
                    throw TaskErrors.badParameter("columns", expected: "an object (field: column)", stage: stage)
                }
                for (field, column) in object {
                    guard CanonicalRow.sourceFields.contains(field) else {
                        let hint = Suggestion.hint(for: field, in: CanonicalRow.sourceFields).map { " (\($0))" } ?? ""
                        throw TaskError(
                            "unknown field '\(field)' in columns\(hint)",
                            remedy: "map one of: \(CanonicalRow.sourceFields.joined(separator: ", "))",
                            code: .invalidInput)
                    }
                    guard let name = column.stringValue, !name.isEmpty else {
                        throw TaskErrors.badParameter("columns.\(field)", expected: "a column name", stage: stage)
                    }
                    columns[field] = name
                }
            }
            self.columns = columns

            let inputText = params["input_format"]?.stringValue ?? InputFormat.message.rawValue
            guard let inputFormat = InputFormat(rawValue: inputText) else {
                let names = InputFormat.allCases.map(\.rawValue)
                throw TaskErrors.badParameter(
                    "input_format", expected: "one of \(names.joined(separator: ", "))", stage: stage)
            }
            self.inputFormat = inputFormat

            let outputText = params["output"]?.stringValue ?? MetricOutput.boolean.rawValue
            guard let output = MetricOutput(rawValue: outputText) else {
                throw TaskErrors.badParameter("output", expected: "boolean or categorical", stage: stage)
            }
            self.output = output

            switch (output, params["labels"]) {
            case (.boolean, _):
                labels = ["false", "true"]
            case (.categorical, let value?):
                guard let items = value.arrayValue?.compactMap(\.stringValue), !items.isEmpty,
                    items.count == value.arrayValue?.count
                else {
                    throw TaskErrors.badParameter("labels", expected: "a non-empty array of strings", stage: stage)
                }
                labels = items
            case (.categorical, nil):
                throw TaskErrors.badParameter("labels", expected: "a non-empty array of strings", stage: stage)
            }

            if let value = params["require_labels"] {
                guard let flag = value.boolValue else {
                    throw TaskErrors.badParameter("require_labels", expected: "true or false", stage: stage)
                }
                requireLabels = flag
            } else {
                requireLabels = true
            }

            let roleText = params["role"]?.stringValue ?? Role.testSet.rawValue
            guard let role = Role(rawValue: roleText) else {
                throw TaskErrors.badParameter("role", expected: "test_set or training_set", stage: stage)
            }
            self.role = role

            if let value = params["group_by"] {
                guard let column = value.stringValue, !column.isEmpty else {
                    throw TaskErrors.badParameter("group_by", expected: "a column name", stage: stage)
                }
                groupBy = column
            }
        }

        private static func format(fromExtensionOf path: String) -> String? {
            switch (path as NSString).pathExtension.lowercased() {
            case "csv": return "csv"
            case "jsonl", "ndjson": return "jsonl"
            default: return nil
            }
        }
    }
}
