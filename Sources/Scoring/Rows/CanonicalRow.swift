import Basics

/// One row of a dataset in the form every stage after `load` reads and writes.
///
/// On disk a dataset is JSON Lines: one row per line, each the canonical JSON text of
/// ``jsonValue`` (keys sorted, no whitespace; see ``JSONValue/canonicalText``), each line ended by
/// `\n`. Absent fields are left out, never written as `null`:
///
/// ```
/// {"id":"17","input":"you are great","label":"false","row":18}
/// ```
///
/// | key | meaning |
/// |---|---|
/// | `row` | 1-based source row: the CSV row number with the header as row 1 (first data row = 2), or the JSONL line number |
/// | `id` | the row's id in the source, when it has one |
/// | `input`, `output` | strings |
/// | `documents` | array of strings (retrieved context) |
/// | `tools` | a string or any JSON (tool definitions and calls) |
/// | `trace`, `session` | any JSON |
/// | `label` | one of the metric's labels (`"true"`/`"false"` for boolean metrics); absent when unlabelled |
/// | `group` | the value of the test set's `split: {group_by: COLUMN}` column, as text; only in `load`'s rows of a run that groups (`SplitDataset` in `TaskTypes` reads it and leaves it out of `seeds` and `eval`) |
///
/// Keys a later stage adds (a judge's rationale, a score) survive a read and write through
/// ``extra``.
public struct CanonicalRow: Hashable, Sendable {
    public var row: Int
    public var id: String?
    public var input: String?
    public var output: String?
    public var documents: [String]?
    public var tools: JSONValue?
    public var trace: JSONValue?
    public var session: JSONValue?
    public var label: String?
    /// The row's group for the split (`split: {group_by: COLUMN}`); nil unless the run groups rows.
    public var group: String?
    /// Members other than the fields above, kept as they are.
    public var extra: [String: JSONValue]

    /// The canonical field names, sorted.
    public static let fieldNames = [
        "documents", "group", "id", "input", "label", "output", "row", "session", "tools", "trace",
    ]
    /// The fields a dataset file may provide (every field except `row`), in the order they are
    /// listed to users.
    public static let sourceFields = ["id", "input", "output", "documents", "tools", "trace", "session", "label"]

    public init(
        row: Int, id: String? = nil, input: String? = nil, output: String? = nil, documents: [String]? = nil,
        tools: JSONValue? = nil, trace: JSONValue? = nil, session: JSONValue? = nil, label: String? = nil,
        group: String? = nil, extra: [String: JSONValue] = [:]
    ) {
        self.row = row
        self.id = id
        self.input = input
        self.output = output
        self.documents = documents
        self.tools = tools
        self.trace = trace
        self.session = session
        self.label = label
        self.group = group
        self.extra = extra
    }

    /// The row as a JSON object (absent fields left out).
    public var jsonValue: JSONValue {
        var members = extra
        members["row"] = .int(row)
        if let id { members["id"] = .string(id) }
        if let input { members["input"] = .string(input) }
        if let output { members["output"] = .string(output) }
        if let documents { members["documents"] = .array(documents.map(JSONValue.string)) }
        if let tools { members["tools"] = tools }
        if let trace { members["trace"] = trace }
        if let session { members["session"] = session }
        if let label { members["label"] = .string(label) }
        if let group { members["group"] = .string(group) }
        return .object(members)
    }

    /// The row's line in a dataset file, without the `\n`: exactly `jsonValue.canonicalText`.
    public var canonicalLine: String {
        guard extra.isEmpty else { return jsonValue.canonicalText }
        // The same text as canonicalText, written in the fixed key order without building a dictionary.
        var out = "{"
        var isFirst = true
        func key(_ name: String) {
            if !isFirst { out += "," }
            isFirst = false
            out += "\"\(name)\":"
        }
        if let documents {
            key("documents")
            JSONValue.array(documents.map(JSONValue.string)).writeCanonical(to: &out)
        }
        if let group {
            key("group")
            CanonicalRow.writeEscaped(group, to: &out)
        }
        if let id {
            key("id")
            CanonicalRow.writeEscaped(id, to: &out)
        }
        if let input {
            key("input")
            CanonicalRow.writeEscaped(input, to: &out)
        }
        if let label {
            key("label")
            CanonicalRow.writeEscaped(label, to: &out)
        }
        if let output {
            key("output")
            CanonicalRow.writeEscaped(output, to: &out)
        }
        key("row")
        out += String(row)
        if let session {
            key("session")
            session.writeCanonical(to: &out)
        }
        if let tools {
            key("tools")
            tools.writeCanonical(to: &out)
        }
        if let trace {
            key("trace")
            trace.writeCanonical(to: &out)
        }
        out += "}"
        return out
    }

    /// ``JSONValue/writeEscaped(_:to:)`` with a fast path for the common string that needs no escapes.
    static func writeEscaped(_ text: String, to out: inout String) {
        let needsEscape = text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        if needsEscape {
            JSONValue.writeEscaped(text, to: &out)
        } else {
            out += "\""
            out += text
            out += "\""
        }
    }

    /// Reads a row back from its JSON object.
    /// - Throws: ``Failure`` naming the member that has the wrong type.
    public init(json: JSONValue) throws(Failure) {
        guard case .object(var members) = json else { throw Failure(message: "a row must be a JSON object") }
        guard let row = members.removeValue(forKey: "row")?.intValue else {
            throw Failure(message: "\"row\" must be an integer")
        }
        func string(_ key: String) throws(Failure) -> String? {
            switch members.removeValue(forKey: key) {
            case nil: return nil
            case .string(let text)?: return text
            default: throw Failure(message: "\"\(key)\" must be a string")
            }
        }
        self.init(row: row)
        id = try string("id")
        input = try string("input")
        output = try string("output")
        label = try string("label")
        group = try string("group")
        if let value = members.removeValue(forKey: "documents") {
            guard let items = value.arrayValue else {
                throw Failure(message: "\"documents\" must be an array of strings")
            }
            var documents: [String] = []
            for item in items {
                guard let text = item.stringValue else {
                    throw Failure(message: "\"documents\" must be an array of strings")
                }
                documents.append(text)
            }
            self.documents = documents
        }
        tools = members.removeValue(forKey: "tools")
        trace = members.removeValue(forKey: "trace")
        session = members.removeValue(forKey: "session")
        extra = members
    }

    /// Why a JSON value is not a row.
    public struct Failure: Error, Hashable, Sendable {
        public var message: String
    }
}
