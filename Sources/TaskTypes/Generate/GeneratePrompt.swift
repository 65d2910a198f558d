import Basics
import Providers
import Scoring

/// Builds the prompt of one generate call and reads the rows out of its answer.
struct GeneratePrompt {
    let metric: LabelingMetric
    let settings: GenerateSettings

    static let system =
        "You write realistic, varied examples for training an evaluation metric. You answer with one JSON object and nothing else."

    /// The request of call `call` for `count` rows labelled `label`, shown `examples`.
    ///
    /// The call index is the request's sample index and is named in the prompt ("batch N"), so two
    /// calls that happen to show the same examples are still two calls with their own answers.
    func request(call: Int, label: String, examples: [CanonicalRow], count: Int) -> ChatRequest {
        var text = "The metric \"\(metric.name)\" is \(metric.output.rawValue), with labels: "
            + metric.labels.map { "\"\($0)\"" }.joined(separator: ", ") + ".\n"
        if let prompt = metric.prompt {
            text += "Its definition, as given to the judge:\n\"\"\"\n\(prompt)\n\"\"\"\n"
        }
        text += "\nEach example has these fields: \(metric.fieldDescriptions); and \"label\".\n"
        if !examples.isEmpty {
            text += "\nExamples from the hand-labelled set:\n"
            for example in examples { text += metric.fieldObject(example, withLabel: true).canonicalText + "\n" }
        }
        text += "\nThis is batch \(call + 1). Write \(count) new examples whose label is \"\(label)\". Vary topic, length, tone and wording; "
            + "make them realistic for the AI system being evaluated; do not copy or closely paraphrase the examples above.\n"
        if let instructions = settings.instructions { text += "\nSpecial instructions: \(instructions)\n" }
        if let feedback = settings.feedback { text += "\nA reviewer rejected earlier examples: \(feedback). Avoid that.\n" }
        let shape = metric.fields.map { "\"\($0)\": …" }.joined(separator: ", ")
        text += "\nAnswer with a JSON object of the form {\"rows\": [{\(shape), \"label\": \"\(label)\"}, …]} and nothing else."
        return ChatRequest(messages: [.system(GeneratePrompt.system), .user(text)], wantsJSON: true, sampleIndex: call)
    }

    /// What one answer gave: rows, and why others were refused.
    struct Parsed {
        var rows: [CanonicalRow] = []
        var invalid: [String: Int] = [:]
        var isUnparseable = false
    }

    /// The rows in `answer`, each with the metric's fields and a valid label (`label` when the
    /// model left it out). For `rag`, missing documents are taken from the first example shown.
    func parse(_ answer: String, label: String, examples: [CanonicalRow]) -> Parsed {
        var parsed = Parsed()
        guard let json = ProviderResponseText.extractJSON(from: answer) else {
            parsed.isUnparseable = true
            return parsed
        }
        let items: [JSONValue]
        if let array = json.arrayValue {
            items = array
        } else if let rows = json["rows"]?.arrayValue ?? json["examples"]?.arrayValue ?? json["data"]?.arrayValue {
            items = rows
        } else if let object = json.objectValue, let array = object.keys.sorted().lazy.compactMap({ object[$0]?.arrayValue }).first {
            items = array
        } else if json.objectValue != nil {
            items = [json]
        } else {
            parsed.isUnparseable = true
            return parsed
        }
        for item in items {
            switch row(from: item, label: label, examples: examples) {
            case .success(let row): parsed.rows.append(row)
            case .failure(let reason): parsed.invalid[reason.text, default: 0] += 1
            }
        }
        return parsed
    }

    struct Reason: Error { var text: String }

    func row(from item: JSONValue, label: String, examples: [CanonicalRow]) -> Result<CanonicalRow, Reason> {
        guard case .object(let object) = item else { return .failure(Reason(text: "not an object")) }
        var members: [String: JSONValue] = ["row": 0]
        for field in metric.fields {
            guard var value = object[field] else { continue }
            if field == "input" || field == "output" {
                guard let text = value.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
                    return .failure(Reason(text: "\(field) is not a non-empty string"))
                }
                value = .string(text)
            }
            if field == "documents" {
                if let single = value.stringValue { value = [.string(single)] }
                guard let documents = value.arrayValue, !documents.isEmpty, documents.allSatisfy({ $0.stringValue != nil }) else {
                    return .failure(Reason(text: "documents is not a list of strings"))
                }
            }
            members[field] = value
        }
        if metric.input == .rag, members["documents"] == nil, let documents = examples.first?.documents {
            members["documents"] = .array(documents.map(JSONValue.string))
        }
        for field in metric.input.requiredFields where members[field] == nil {
            return .failure(Reason(text: "missing \(field)"))
        }
        let rowLabel: String
        if let given = object["label"] {
            guard let matched = metric.matchLabel(given) else { return .failure(Reason(text: "label not in the metric's labels")) }
            rowLabel = matched
        } else {
            rowLabel = label
        }
        members["label"] = .string(rowLabel)
        guard let row = try? CanonicalRow(json: .object(members)) else {
            return .failure(Reason(text: "fields of the wrong type"))
        }
        return .success(row)
    }
}
