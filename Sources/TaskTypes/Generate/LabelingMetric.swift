import Basics
import Scoring
import TaskInterface
import WorkflowModel

/// The metric as the generate and label stages see it: read from the stage's `metric` parameter
/// (`{name, output, labels, step, input, prompt}`), with helpers to show a row to a model and to
/// read a label back.
struct LabelingMetric: Sendable {
    var name: String
    var prompt: String?
    var output: MetricOutput
    var labels: [String]
    var input: InputFormat

    init(params: [String: JSONValue], stage: String) throws {
        guard let metric = params["metric"], let name = metric["name"]?.stringValue else {
            throw TaskErrors.badParameter("metric", expected: "an object with a name", stage: stage)
        }
        self.name = name
        prompt = metric["prompt"]?.stringValue
        output = metric["output"]?.stringValue.flatMap(MetricOutput.init(rawValue:)) ?? .boolean
        labels = metric["labels"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if labels.isEmpty, output == .boolean { labels = ["false", "true"] }
        input = metric["input"]?.stringValue.flatMap(InputFormat.init(rawValue:)) ?? .message
        guard labels.count >= 2 else {
            throw TaskErrors.badParameter("metric.labels", expected: "at least two labels", stage: stage)
        }
    }

    /// The fields a row of this metric holds (required, then optional).
    var fields: [String] { input.requiredFields + input.optionalFields }

    /// A label as the model wrote it, matched to one of ``labels``: exact, then case-insensitive;
    /// for boolean metrics also JSON booleans, `yes`/`no` and `1`/`0`. `nil` when it matches none.
    func matchLabel(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        var text: String
        switch value {
        case .string(let string): text = string
        case .bool(let flag): text = flag ? "true" : "false"
        case .int(let number): text = String(number)
        default: return nil
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        while let last = text.last, last == "." || last == "\"" || last == "'" || last == "`" { text.removeLast() }
        while let first = text.first, first == "\"" || first == "'" || first == "`" { text.removeFirst() }
        if labels.contains(text) { return text }
        let lowered = text.lowercased()
        if let match = labels.first(where: { $0.lowercased() == lowered }) { return match }
        if output == .boolean, labels == ["false", "true"] {
            switch lowered {
            case "yes", "1": return "true"
            case "no", "0": return "false"
            default: return nil
            }
        }
        return nil
    }

    /// The row's fields as the model reads them: `Input: …`, `Output: …`, numbered documents, JSON
    /// for tools, traces and sessions.
    func render(_ row: CanonicalRow) -> String {
        var parts: [String] = []
        for field in fields {
            switch field {
            case "input": if let input = row.input { parts.append("Input: \(input)") }
            case "output": if let output = row.output { parts.append("Output: \(output)") }
            case "documents":
                if let documents = row.documents {
                    parts.append(
                        "Documents:\n" + documents.enumerated().map { "[\($0.offset + 1)] \($0.element)" }.joined(separator: "\n"))
                }
            case "tools": if let tools = row.tools { parts.append("Tools: \(tools.displayText)") }
            case "trace": if let trace = row.trace { parts.append("Trace: \(trace.canonicalText)") }
            case "session": if let session = row.session { parts.append("Session: \(session.canonicalText)") }
            default: break
            }
        }
        return parts.joined(separator: "\n")
    }

    /// The row's fields (and label, when asked) as a JSON object, the shape generate asks for.
    func fieldObject(_ row: CanonicalRow, withLabel: Bool) -> JSONValue {
        var object: [String: JSONValue] = [:]
        let json = row.jsonValue
        for field in fields { if let value = json[field] { object[field] = value } }
        if withLabel, let label = row.label { object["label"] = .string(label) }
        return .object(object)
    }

    /// What the model must write for each field, for prompts.
    var fieldDescriptions: String {
        fields.map { field in
            switch field {
            case "input": return "\"input\" (string): the message sent to the AI system"
            case "output": return "\"output\" (string): the AI system's response"
            case "documents": return "\"documents\" (array of strings): the retrieved context"
            case "tools": return "\"tools\" (string or JSON): the tools available and the calls made"
            case "trace": return "\"trace\" (JSON): the whole trace"
            case "session": return "\"session\" (JSON): the whole session"
            default: return "\"\(field)\""
            }
        }.joined(separator: "; ")
    }
}
