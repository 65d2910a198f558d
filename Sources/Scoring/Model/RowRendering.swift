import Basics
import MLCore
import TaskInterface
import WorkflowModel

/// How a canonical row becomes model input (one text, or a pair of texts) for a metric's input format.
///
/// | input format | model input | template (as stored in `metric.json`) |
/// |---|---|---|
/// | `message` | the input | `{input}` |
/// | `output` | the output | `{output}` |
/// | `input_output` | a pair: input, output | `{input} [SEP] {output}` |
/// | `rag` | a pair: the documents joined by a blank line, then the input (and output on its own line) | `{documents} [SEP] {input}\n{output}` |
/// | `tools` | a pair: the tools, a line break and the input, then the output | `{tools}\n{input} [SEP] {output}` |
/// | `trace`, `session` | the JSON flattened to `key: value` lines, cut to the token budget keeping its head and tail | `{trace}` |
///
/// Examples (max_tokens 128):
///
/// ```
/// {"input":"you are great","output":"thanks!"}                 input_output → ("you are great", "thanks!")
/// {"documents":["Paris is in France.","It rains."],"input":"Where is Paris?","output":"France"}
///                                                               rag → ("Paris is in France.\n\nIt rains.", "Where is Paris?\nFrance")
/// {"tools":[{"name":"search"}],"input":"find flights","output":"calling search"}
///                                                               tools → ("[{\"name\":\"search\"}]\nfind flights", "calling search")
/// {"trace":{"spans":[{"name":"llm","output":"hi"}]}}           trace → "spans:\n- name: llm\n  output: hi"
/// ```
///
/// Pairs are encoded `[CLS] a [SEP] b [SEP]` and truncated longest-first to `max_tokens`, exactly as
/// Hugging Face tokenizers do with `truncation=True`. A JSON `tools` value is written as its canonical
/// JSON (sorted keys, no spaces); a string as it is. A trace or session longer than the budget keeps
/// its first half and last half of word pieces, cut on word boundaries and joined by a line `...`: the
/// rendered text always fits, so any BERT tokenizer encodes it the same way without truncating.
///
/// Rendering is a pure function of the row, the format and (for traces) the tokenizer and budget.
public struct RowRendering: Sendable, Hashable {
    /// The metric's input format.
    public var format: InputFormat
    /// The token budget, special tokens included.
    public var maxTokens: Int

    /// The line that joins the head and the tail of a cut trace or session.
    public static let cutMarker = "\n...\n"

    public init(format: InputFormat, maxTokens: Int) {
        self.format = format
        self.maxTokens = maxTokens
    }

    /// The template text stored in `metric.json`.
    public var template: String {
        switch format {
        case .message: return "{input}"
        case .output: return "{output}"
        case .inputOutput: return "{input} [SEP] {output}"
        case .rag: return "{documents joined by a blank line} [SEP] {input}\\n{output, when present}"
        case .tools: return "{tools}\\n{input} [SEP] {output}"
        case .trace: return "{trace flattened to key: value lines, cut to max_tokens keeping head and tail}"
        case .session: return "{session flattened to key: value lines, cut to max_tokens keeping head and tail}"
        }
    }

    /// The model input for `row`.
    ///
    /// - Parameter tokenizer: Needed to cut traces and sessions to the budget; without it they are not cut.
    /// - Throws: ``TaskError`` naming the row and the missing field.
    public func render(_ row: CanonicalRow, tokenizer: Tokenizer? = nil) throws -> TextInput {
        func field(_ value: String?, _ name: String) throws -> String {
            guard let value else { throw missing(row, name) }
            return value
        }
        switch format {
        case .message:
            return TextInput(try field(row.input, "input"))
        case .output:
            return TextInput(try field(row.output, "output"))
        case .inputOutput:
            return TextInput(try field(row.input, "input"), pair: try field(row.output, "output"))
        case .rag:
            guard let documents = row.documents else { throw missing(row, "documents") }
            var question = try field(row.input, "input")
            if let output = row.output { question += "\n" + output }
            return TextInput(documents.joined(separator: "\n\n"), pair: question)
        case .tools:
            guard let tools = row.tools else { throw missing(row, "tools") }
            return TextInput(Self.text(of: tools) + "\n" + (try field(row.input, "input")), pair: try field(row.output, "output"))
        case .trace, .session:
            let value = format == .trace ? row.trace : row.session
            guard let value else { throw missing(row, format.rawValue) }
            let flat = Self.flatten(value)
            guard let tokenizer else { return TextInput(flat) }
            return TextInput(Self.cut(flat, budget: max(0, maxTokens - 2), tokenizer: tokenizer))
        }
    }

    /// Renders and tokenises `row` (truncated to ``maxTokens``).
    public func encode(_ row: CanonicalRow, tokenizer: Tokenizer) throws -> Encoding {
        let input = try render(row, tokenizer: tokenizer)
        return tokenizer.encode(input.text, pair: input.pair, maxTokens: maxTokens)
    }

    /// Whether the format renders a pair, whose sides a head can also read alone (``HeadFeatures/pair``).
    public var isPair: Bool { [.inputOutput, .rag, .tools].contains(format) }

    /// The two sides of a pair, each encoded alone for ``HeadFeatures/pair``: what is judged against
    /// (the input, the context) and what is judged (the response). `nil` for a format of one text.
    ///
    /// | input format | first side | second side |
    /// |---|---|---|
    /// | `input_output` | the input | the output |
    /// | `rag` with an output | the input, a blank line, the documents joined by a blank line | the output |
    /// | `rag` without one | the documents joined by a blank line | the input |
    /// | `tools` | the input, a line break, the tools | the output |
    ///
    /// The input comes first in a first side that holds more, so that cutting a side to ``maxTokens``
    /// (from its end) cuts the documents or the tools, never the question. For `rag` the response is read on
    /// its own, without the question (the rendered pair's second text holds both).
    /// - Throws: ``TaskError`` naming the row and the missing field.
    public func sides(_ row: CanonicalRow) throws -> (first: String, second: String)? {
        func field(_ value: String?, _ name: String) throws -> String {
            guard let value else { throw missing(row, name) }
            return value
        }
        switch format {
        case .inputOutput:
            return (try field(row.input, "input"), try field(row.output, "output"))
        case .rag:
            guard let documents = row.documents else { throw missing(row, "documents") }
            let question = try field(row.input, "input"), context = documents.joined(separator: "\n\n")
            guard let output = row.output else { return (context, question) }
            return (question + "\n\n" + context, output)
        case .tools:
            guard let tools = row.tools else { throw missing(row, "tools") }
            return (try field(row.input, "input") + "\n" + Self.text(of: tools), try field(row.output, "output"))
        case .message, .output, .trace, .session:
            return nil
        }
    }

    /// ``sides(_:)`` tokenised, each side alone and truncated to ``maxTokens``.
    public func encodeSides(_ row: CanonicalRow, tokenizer: Tokenizer) throws -> (first: Encoding, second: Encoding)? {
        try sides(row).map {
            (tokenizer.encode($0.first, maxTokens: maxTokens), tokenizer.encode($0.second, maxTokens: maxTokens))
        }
    }

    /// A JSON value as text: a string as it is, anything else as canonical JSON.
    static func text(of value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return value.canonicalText
    }

    /// A JSON value as indented `key: value` lines; object keys sorted, array items as `- ` lines in order.
    static func flatten(_ value: JSONValue) -> String {
        var lines: [String] = []
        func scalar(_ value: JSONValue) -> String? {
            switch value {
            case .object, .array: return nil
            case .string(let text): return text
            default: return value.canonicalText
            }
        }
        func walk(_ value: JSONValue, indent: String) {
            switch value {
            case .object(let members):
                for key in members.keys.sorted() {
                    guard let member = members[key] else { continue }
                    if let text = scalar(member) {
                        lines.append("\(indent)\(key): \(text)")
                    } else {
                        lines.append("\(indent)\(key):")
                        walk(member, indent: indent + "  ")
                    }
                }
            case .array(let items):
                for item in items {
                    if let text = scalar(item) {
                        lines.append("\(indent)- \(text)")
                    } else {
                        let before = lines.count
                        walk(item, indent: indent + "  ")
                        if lines.count > before {  // put the dash on the item's first line
                            let first = lines[before]
                            lines[before] = indent + "- " + first.dropFirst(indent.count + 2)
                        } else {
                            lines.append("\(indent)-")
                        }
                    }
                }
            default:
                lines.append(indent + (scalar(value) ?? ""))
            }
        }
        walk(value, indent: "")
        return lines.joined(separator: "\n")
    }

    /// `text` cut to at most `budget` word pieces, keeping whole words from its start and its end.
    ///
    /// The head gets ⌈budget/2⌉ pieces, the tail the rest minus the marker's pieces.
    static func cut(_ text: String, budget: Int, tokenizer: Tokenizer) -> String {
        if tokenizer.pieceIDs(text).count <= budget { return text }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        let counts = words.map { tokenizer.pieceIDs(String($0)).count }
        let markerCost = tokenizer.pieceIDs(cutMarker).count
        let available = max(0, budget - markerCost)
        let headBudget = (available + 1) / 2
        var head = 0, used = 0
        while head < words.count, used + counts[head] <= headBudget {
            used += counts[head]
            head += 1
        }
        var tail = words.count, tailUsed = 0
        while tail > head, tailUsed + counts[tail - 1] <= available - used {
            tailUsed += counts[tail - 1]
            tail -= 1
        }
        return words[..<head].joined(separator: " ") + cutMarker + words[tail...].joined(separator: " ")
    }

    private func missing(_ row: CanonicalRow, _ name: String) -> TaskError {
        TaskError(
            "row \(row.row): a \(format.rawValue) metric needs '\(name)', which this row lacks",
            remedy: "give every row the fields \(format.requiredFields.joined(separator: ", "))", code: .invalidInput)
    }
}
