import Basics
import Foundation

/// Reading what servers send back: error details and JSON inside a model's answer.
public enum ProviderResponseText {
    /// `": <the server's error message>"` (at most 300 characters, the secret scrubbed), or `""`.
    ///
    /// Understands `{"error":{"message":…}}` (OpenAI and most compatible servers),
    /// `{"error":"…"}`, `{"message":…}` and `{"type":"error","error":{…}}` (Anthropic); falls back
    /// to the start of the body when it is text.
    public static func errorDetail(_ body: Data, redacting secret: Secret? = nil) -> String {
        var text: String?
        if let json = try? JSONValue.parse(body) {
            text = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue ?? json["message"]?.stringValue
                ?? json["detail"]?.stringValue
        } else if let raw = String(data: body.prefix(2048), encoding: .utf8) {
            text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard var detail = text?.replacingOccurrences(of: "\n", with: " "), !detail.isEmpty else { return "" }
        if let secret, !secret.revealedValue.isEmpty {
            detail = detail.replacingOccurrences(of: secret.revealedValue, with: "<redacted>")
        }
        if detail.count > 300 { detail = String(detail.prefix(297)) + "…" }
        return ": " + detail
    }

    /// The JSON value in a model's answer, found even when the model wraps it.
    ///
    /// Reasoning at the start (see ``droppingReasoning(_:)``) is dropped first. Then tries, in
    /// order: the whole answer; each fenced code block (```` ```json … ``` ````); then
    /// each `{` or `[` from left to right, taking the longest balanced span from it that parses.
    /// So `Sure! Here are the rows: {"rows": […]} Hope this helps` gives the object.
    /// - Returns: the value, or `nil` when the answer holds no JSON object or array.
    public static func extractJSON(from answer: String) -> JSONValue? {
        firstJSON(in: droppingReasoning(answer))
    }

    /// The first JSON object or array in `text` (whole, fenced, then embedded).
    static func firstJSON(in text: String) -> JSONValue? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let value = try? JSONValue.parse(trimmed), value.isContainer { return value }
        for block in fencedBlocks(trimmed) {
            if let value = try? JSONValue.parse(block), value.isContainer { return value }
        }
        let bytes = Array(trimmed.utf8)
        var start = 0
        while start < bytes.count {
            if bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "["),
                let end = balancedEnd(bytes, from: start),
                let value = try? JSONValue.parse(Data(bytes[start...end])), value.isContainer
            {
                return value
            }
            start += 1
        }
        return nil
    }

    /// `answer` without the reasoning a thinking model puts before it.
    ///
    /// Reasoning models served by Ollama, llama.cpp or vLLM (DeepSeek-R1, Qwen3, QwQ, …) start
    /// with `<think>…</think>` (or `<thinking>…</thinking>`); some chat templates open the tag in
    /// the prompt, so only `…</think>` comes back. Blocks at the start are removed, an unclosed
    /// one to the end (the answer was cut off while thinking). A bare `</think>` ends reasoning
    /// only when it stands outside any bracket and code fence opened before it (and no `<think`
    /// comes before it): inside them it is the answer's own text, as in
    /// `{"rationale":"it says </think>"}`. When what follows a bare `</think>` holds no JSON but
    /// the text before dropping it does, the tag was the answer's text too, and is kept.
    ///
    /// Dropping is idempotent: the result has nothing left to drop, so the provider's dropping
    /// and ``extractJSON(from:)``'s own give the same text.
    public static func droppingReasoning(_ answer: String) -> String {
        let dropped = droppingReasoning(answer, bareClosingTag: true)
        let blocksOnly = droppingReasoning(answer, bareClosingTag: false)
        if dropped != blocksOnly, firstJSON(in: dropped) == nil, firstJSON(in: blocksOnly) != nil { return blocksOnly }
        return dropped
    }

    /// `answer` without leading reasoning blocks and, when `bareClosingTag`, reasoning ended by a
    /// bare `</think>`.
    static func droppingReasoning(_ answer: String, bareClosingTag: Bool) -> String {
        var rest = Substring(answer)
        while true {
            let start = rest.drop { $0.isWhitespace }
            if let tag = ["<think>", "<thinking>"].first(where: { start.hasPrefix($0) }) {
                guard let end = start.range(of: "</" + tag.dropFirst()) else { return "" }
                rest = start[end.upperBound...]
            } else if bareClosingTag, let end = reasoningEnd(start) {
                rest = start[end...]
            } else {
                break
            }
        }
        return rest.startIndex == answer.startIndex ? answer : String(rest.drop { $0.isWhitespace })
    }

    /// Where reasoning ended by the first bare `</think>` in `text` stops; `nil` when there is no
    /// such tag, or it comes after a `<think`, inside an open `{`/`[` (a JSON string quoting it)
    /// or inside an open ```` ``` ```` fence.
    static func reasoningEnd(_ text: Substring) -> String.Index? {
        guard let tag = text.range(of: "</think>") else { return nil }
        let before = text[..<tag.lowerBound]
        guard !before.contains("<think"), before.components(separatedBy: "```").count % 2 == 1 else { return nil }
        var scanner = BracketScanner()
        for byte in before.utf8 { scanner.feed(byte) }
        return scanner.depth == 0 && !scanner.inString ? tag.upperBound : nil
    }

    /// The contents of ```` ``` ```` fenced blocks, in order (the language tag dropped).
    static func fencedBlocks(_ text: String) -> [String] {
        let parts = text.components(separatedBy: "```")
        guard parts.count >= 3 else { return [] }
        var blocks: [String] = []
        var index = 1
        while index < parts.count - 1 {
            var block = Substring(parts[index])
            if let newline = block.firstIndex(of: "\n"),
                block[..<newline].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == " " })
            {
                block = block[block.index(after: newline)...]
            }
            blocks.append(block.trimmingCharacters(in: .whitespacesAndNewlines))
            index += 2
        }
        return blocks
    }

    /// The index of the bracket closing the one at `start`, skipping strings; `nil` when unbalanced.
    static func balancedEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var scanner = BracketScanner()
        for index in start..<bytes.count {
            let closes = scanner.feed(bytes[index])
            if closes && scanner.depth == 0 { return index }
        }
        return nil
    }
}

/// Tracks JSON brackets, and strings inside them, byte by byte (escapes included).
struct BracketScanner {
    /// Open `{`/`[` not yet closed (never below 0).
    private(set) var depth = 0
    /// Whether the last byte fed lies inside a string.
    private(set) var inString = false
    private var escaped = false

    /// Takes the next byte; `true` when it closed a bracket.
    @discardableResult
    mutating func feed(_ byte: UInt8) -> Bool {
        if inString {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
            return false
        }
        switch byte {
        case UInt8(ascii: "\""):
            if depth > 0 { inString = true }  // outside any bracket a quote is prose, not JSON
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth = max(0, depth - 1)
            return true
        default:
            break
        }
        return false
    }
}

extension JSONValue {
    var isContainer: Bool {
        switch self {
        case .object, .array: return true
        default: return false
        }
    }
}
