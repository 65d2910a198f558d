import Basics
import Foundation
import _TestSupport
import TaskInterface

/// A ``MemoCache`` in a folder (`<root>/ab/<sha256>`), like the engine's `cache/memo/`.
struct DirectoryMemo: MemoCache {
    let root: URL

    func value(for key: ContentHash) -> Data? {
        FileManager.default.contents(atPath: path(key))
    }

    func store(_ data: Data, for key: ContentHash) throws {
        let file = path(key)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: file), options: .atomic)
    }

    /// How many answers are stored.
    var count: Int {
        (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? [])
            .filter { $0.count > 3 && !$0.hasSuffix(".tmp") && $0.contains("/") }.count
    }

    private func path(_ key: ContentHash) -> String { root.appendingPathComponent("\(key.hex.prefix(2))/\(key.hex)").path }
}

/// A pretend LLM for the scripted server: reads a chat-completions request and answers like a
/// model would, deterministically from the request's text.
enum ScriptedLLM {
    /// The last user message of a chat-completions body.
    static func lastUserMessage(_ request: ScriptedRequest) -> String { request.lastUserMessage }

    /// The text between `start` and `end` in `text`.
    static func between(_ text: String, _ start: String, _ end: String) -> String? {
        ScriptedRequest.text(in: text, between: start, and: end)
    }

    /// Rows for a generate prompt: `count` rows of the asked label, each unique to the prompt,
    /// after any `extra` inputs (to inject leaks and duplicates).
    static func generateAnswer(_ request: ScriptedRequest, extra: [String] = []) -> ScriptedReply {
        let prompt = lastUserMessage(request)
        let label = between(prompt, "examples whose label is \"", "\"") ?? "false"
        let count = Int(between(prompt, "Write ", " new examples") ?? "") ?? 1
        let tag = ContentHash.of(prompt).short
        var rows: [JSONValue] = extra.map { ["input": .string($0), "label": .string(label)] }
        rows += (0..<count).map { index in
            ["input": .string("synthetic \(label) message \(tag) number \(index)"), "label": .string(label)]
        }
        return .chat("Here you go:\n```json\n" + JSONValue.object(["rows": .array(rows)]).canonicalText + "\n```")
    }
}
