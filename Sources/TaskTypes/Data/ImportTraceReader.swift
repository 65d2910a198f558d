import Basics
import Foundation
import Scoring
import TaskInterface

/// One span of a trace, whatever export it came from.
struct TraceSpan: Sendable {
    enum Kind: String, Sendable {
        case llm, retriever, agent, tool, chain, other
    }

    var traceID: String
    var spanID: String
    var parentID: String?
    var sessionID: String?
    var kind: Kind
    var name: String
    var input: String?
    var output: String?
    var documents: [String]?
    var tools: JSONValue?
    /// A sort key: zero-padded nanoseconds, or the ISO-8601 text as written.
    var start: String
    /// The order the span was read in, to break ties.
    var position: Int
}

/// Reads trace exports into ``TraceSpan``s.
///
/// Understood, detected per file (a whole-file JSON document) or per line (JSON Lines):
///
/// - **OTLP JSON** (`{"resourceSpans":[{"scopeSpans":[{"spans":[…]}]}]}`, as the OpenTelemetry
///   collector's file exporter writes, one document per line or one per file), with OpenInference
///   attributes: `openinference.span.kind` (`LLM`, `RETRIEVER`, `AGENT`, `TOOL`, `CHAIN`),
///   `input.value`, `output.value`, `llm.input_messages.N.message.{role,content}`,
///   `llm.output_messages.N.message.content`, `retrieval.documents.N.document.content`,
///   `llm.tools.N.tool.json_schema`, `session.id`.
/// - **Phoenix span exports** (`context.trace_id`, `context.span_id`, `parent_id`, `span_kind`,
///   `attributes` nested or dotted, `start_time`).
/// - **Langfuse exports**: traces with `observations` (`type` `GENERATION`, `SPAN`, `RETRIEVER`,
///   `AGENT`, `TOOL`; `input`, `output`, `startTime`, the trace's `sessionId`).
/// - **Lunette's plain format**, one span per line:
///   `{"trace_id","span_id","parent_id","session_id","kind":"llm|retriever|agent|tool|chain","name","input","output","documents":[…],"tools":…,"start_time"}`.
///   `columns` maps canonical fields to other key names (`columns: {input: question}`).
struct ImportTraceReader {
    var columns: [String: String] = [:]
    private(set) var spans: [TraceSpan] = []

    mutating func read(_ data: Data, path: String) throws {
        let text = String(decoding: data, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("["), let document = try? JSONValue.parse(trimmed) {
            add(document, inherited: [:])
            return
        }
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let content = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if content.isEmpty { continue }
            do {
                add(try JSONValue.parse(content), inherited: [:])
            } catch {
                throw TaskError(
                    "\(path):\(lineNumber): not JSON (\(error))",
                    remedy: "export traces as OTLP JSON, OpenInference/Phoenix or Langfuse JSON, or the plain JSONL format "
                        + "(see Sources/TaskTypes/Data/ImportTraceReader.swift)", code: .invalidInput)
            }
        }
    }

    /// Adds a document, a container of spans, or one span.
    mutating func add(_ value: JSONValue, inherited: [String: JSONValue]) {
        if let array = value.arrayValue {
            for item in array { add(item, inherited: inherited) }
            return
        }
        guard case .object(let object) = value else { return }
        if let resources = object["resourceSpans"]?.arrayValue {
            for resource in resources {
                for scope in resource["scopeSpans"]?.arrayValue ?? resource["instrumentationLibrarySpans"]?.arrayValue ?? [] {
                    for span in scope["spans"]?.arrayValue ?? [] { add(span, inherited: inherited) }
                }
            }
            return
        }
        if let observations = object["observations"]?.arrayValue {  // a Langfuse trace
            var context = inherited
            context["traceId"] = object["id"]
            context["sessionId"] = object["sessionId"] ?? object["session_id"]
            for observation in observations { add(observation, inherited: context) }
            if observations.isEmpty { appendSpan(object, inherited: [:], isTrace: true) }
            return
        }
        for key in ["data", "spans", "traces"] {
            if let items = object[key]?.arrayValue, object["span_id"] == nil, object["spanId"] == nil {
                for item in items { add(item, inherited: inherited) }
                return
            }
        }
        appendSpan(object, inherited: inherited, isTrace: false)
    }

    mutating func appendSpan(_ object: [String: JSONValue], inherited: [String: JSONValue], isTrace: Bool) {
        let attributes = ImportTraceReader.attributes(object["attributes"])
        func field(_ name: String, _ aliases: String...) -> JSONValue? {
            if let mapped = columns[name], let value = object[mapped] { return value }
            for key in [name] + aliases { if let value = object[key] { return value } }
            return nil
        }
        let context = object["context"]
        let traceID = (context?["trace_id"] ?? field("trace_id", "traceId") ?? inherited["traceId"])?.displayText ?? "trace"
        let spanID = (context?["span_id"] ?? field("span_id", "spanId", "id"))?.displayText ?? "span-\(spans.count + 1)"
        let parent = (field("parent_id", "parentSpanId", "parentObservationId"))?.displayText
        let session = (attributes["session.id"] ?? field("session_id", "sessionId") ?? inherited["sessionId"])?.displayText

        let kindText = (attributes["openinference.span.kind"] ?? field("span_kind", "kind", "type"))?.stringValue ?? ""
        var span = TraceSpan(
            traceID: traceID, spanID: spanID, parentID: parent?.isEmpty == true ? nil : parent, sessionID: session,
            kind: isTrace ? .chain : ImportTraceReader.kind(kindText), name: field("name")?.displayText ?? "",
            start: ImportTraceReader.startKey(field("start_time", "startTimeUnixNano", "startTime", "timestamp")),
            position: spans.count)
        span.input = ImportTraceReader.lastUserMessage(attributes, prefix: "llm.input_messages")
            ?? ImportTraceReader.text(attributes["input.value"] ?? field("input"))
        span.output = ImportTraceReader.messageContent(attributes, prefix: "llm.output_messages", index: 0)
            ?? ImportTraceReader.text(attributes["output.value"] ?? field("output"))
        let documents = ImportTraceReader.indexed(attributes, prefix: "retrieval.documents", suffix: "document.content")
        if !documents.isEmpty {
            span.documents = documents.compactMap { ImportTraceReader.text($0) }
        } else if let given = field("documents")?.arrayValue {
            span.documents = given.compactMap { ImportTraceReader.text($0["content"] ?? $0["page_content"] ?? $0) }
        }
        let tools = ImportTraceReader.indexed(attributes, prefix: "llm.tools", suffix: "tool.json_schema")
        if !tools.isEmpty {
            span.tools = .array(tools.map { $0.stringValue.flatMap { try? JSONValue.parse($0) } ?? $0 })
        } else if let given = field("tools") {
            span.tools = given
        }
        if span.kind == .tool, span.name.isEmpty, let name = attributes["tool.name"]?.stringValue { span.name = name }
        spans.append(span)
    }

    static func kind(_ text: String) -> TraceSpan.Kind {
        switch text.uppercased() {
        case "LLM", "GENERATION", "SPAN_KIND_LLM", "CHAT": return .llm
        case "RETRIEVER", "RETRIEVAL": return .retriever
        case "AGENT": return .agent
        case "TOOL": return .tool
        case "CHAIN", "SPAN", "WORKFLOW", "": return .chain
        default: return .other
        }
    }

    /// Attributes as one flat dictionary with dotted keys: from OTLP's `[{key, value:{stringValue…}}]`,
    /// from nested objects, or from already dotted keys.
    static func attributes(_ value: JSONValue?) -> [String: JSONValue] {
        var flat: [String: JSONValue] = [:]
        func flatten(_ value: JSONValue, prefix: String) {
            switch value {
            case .object(let members):
                for (key, member) in members { flatten(member, prefix: prefix.isEmpty ? key : "\(prefix).\(key)") }
            case .array(let items) where items.contains(where: { $0.objectValue != nil }) && !prefix.isEmpty:
                for (index, item) in items.enumerated() { flatten(item, prefix: "\(prefix).\(index)") }
            default:
                flat[prefix] = value
            }
        }
        if let list = value?.arrayValue, list.allSatisfy({ $0["key"] != nil }) {
            for item in list {
                guard let key = item["key"]?.stringValue, let wrapped = item["value"] else { continue }
                flat[key] = otlpValue(wrapped)
            }
        } else if let value {
            flatten(value, prefix: "")
        }
        return flat
    }

    /// An OTLP `AnyValue` as plain JSON.
    static func otlpValue(_ value: JSONValue) -> JSONValue {
        if let text = value["stringValue"] { return text }
        if let flag = value["boolValue"] { return flag }
        if let number = value["intValue"] { return number.stringValue.flatMap(Int.init).map(JSONValue.int) ?? number }
        if let number = value["doubleValue"] { return number }
        if let list = value["arrayValue"]?["values"]?.arrayValue { return .array(list.map(otlpValue)) }
        if let members = value["kvlistValue"]?["values"]?.arrayValue {
            var object: [String: JSONValue] = [:]
            for member in members { if let key = member["key"]?.stringValue, let inner = member["value"] { object[key] = otlpValue(inner) } }
            return .object(object)
        }
        return value
    }

    /// Values of `prefix.N.suffix`, by N ascending.
    static func indexed(_ attributes: [String: JSONValue], prefix: String, suffix: String) -> [JSONValue] {
        var found: [(Int, JSONValue)] = []
        for (key, value) in attributes where key.hasPrefix(prefix + ".") && key.hasSuffix("." + suffix) {
            let middle = key.dropFirst(prefix.count + 1).dropLast(suffix.count + 1)
            if let index = Int(middle) { found.append((index, value)) }
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func messageContent(_ attributes: [String: JSONValue], prefix: String, index: Int) -> String? {
        text(attributes["\(prefix).\(index).message.content"])
    }

    /// The content of the last `user` message among `prefix.N.message.*`.
    static func lastUserMessage(_ attributes: [String: JSONValue], prefix: String) -> String? {
        let roles = indexed(attributes, prefix: prefix, suffix: "message.role")
        let contents = indexed(attributes, prefix: prefix, suffix: "message.content")
        guard roles.count == contents.count else { return contents.last.flatMap { text($0) } }
        for (role, content) in zip(roles, contents).reversed() where role.stringValue == "user" { return text(content) }
        return nil
    }

    /// Text for a value: strings as they are; the content of the last message in a chat list; JSON otherwise.
    static func text(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        switch value {
        case .null: return nil
        case .string(let text): return text.isEmpty ? nil : text
        case .array(let items):
            if let last = items.last(where: { $0["role"]?.stringValue == "user" }) ?? items.last, let content = last["content"] {
                return text(content)
            }
            return value.canonicalText
        case .object(let members):
            for key in ["content", "text", "value", "query", "input", "output"] {
                if let inner = members[key], let found = text(inner) { return found }
            }
            return value.canonicalText
        default: return value.displayText
        }
    }

    static func startKey(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        if let number = value.intValue ?? value.stringValue.flatMap({ Int($0) }) {
            let digits = String(number)
            return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
        }
        return value.displayText
    }
}
