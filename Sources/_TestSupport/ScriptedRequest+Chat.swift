import Basics

extension ScriptedRequest {
    /// The last user message of a chat-completions body (`""` when there is none).
    public var lastUserMessage: String {
        guard let body = try? JSONValue.parse(body), let messages = body["messages"]?.arrayValue else { return "" }
        return messages.last { $0["role"]?.stringValue == "user" }?["content"]?.stringValue ?? ""
    }

    /// The text between the first `start` in `text` and the next `end` after it.
    public static func text(in text: String, between start: String, and end: String) -> String? {
        guard let lower = text.range(of: start) else { return nil }
        guard let upper = text.range(of: end, range: lower.upperBound..<text.endIndex) else { return nil }
        return String(text[lower.upperBound..<upper.lowerBound])
    }
}
