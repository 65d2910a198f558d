import Foundation
@testable import MLCore
import Testing

@Suite("JSON Lines embedding job and model folders")
struct EmbeddingJobTests {
    let job = EmbeddingJob(encoder: try! BertEncoder.makeTiny(seed: 3), maxTokens: 16, batchSize: 2, chunkSize: 2)

    func run(_ text: String) throws -> [String] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).jsonl")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var lines: [String] = []
        try job.run(reading: handle) { lines.append($0) }
        return lines
    }

    func embedding(of line: String) throws -> [Float] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return try #require(object["embedding"] as? [NSNumber]).map(\.floatValue)
    }

    @Test("each line keeps its text and keys, gains an embedding, in input order; blank lines are skipped")
    func embedsInOrder() throws {
        let input = """
            {"id": 1, "text": "the cat sat on the mat, the good dog"}

            {"text": "hello", "text_pair": "world", "meta": {"k": [1, 2]}}\r
            {"text": "a"}
            """
        let lines = try run(input)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix(#"{"id": 1, "text": "the cat sat on the mat, the good dog", "embedding": ["#))
        #expect(lines[1].hasPrefix(#"{"text": "hello", "text_pair": "world", "meta": {"k": [1, 2]}, "embedding": ["#))
        let expected = try job.encoder.embed(["the cat sat on the mat, the good dog", TextInput("hello", pair: "world"), "a"],
                                             maxTokens: 16)
        for (line, vector) in zip(lines, expected) {
            let parsed = try embedding(of: line)
            #expect(parsed.count == 32)
            #expect(zip(parsed, vector).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }

    @Test("an existing embedding key is replaced, not duplicated")
    func replacesEmbedding() throws {
        let lines = try run(#"{"text": "cat", "embedding": [1, 2]}"#)
        #expect(lines[0].hasPrefix(#"{"text":"cat", "embedding": ["#))
        #expect(try embedding(of: lines[0]).count == 32)
    }

    @Test("malformed lines are errors naming the line number", arguments: [
        ("{\"text\": \"ok\"}\nnot json\n", "line 2: not valid JSON"),
        ("{\"text\": \"ok\"}\n\n[1, 2]\n", "line 3: expected a JSON object"),
        ("{\"title\": \"x\"}\n", "line 1: missing \"text\""),
        ("{\"text\": 5}\n", "line 1: \"text\" must be a string"),
        ("{\"text\": \"a\", \"text_pair\": 3}\n", "line 1: \"text_pair\" must be a string or null"),
    ])
    func malformed(input: String, message: String) throws {
        let error = try #require(throws: MLCoreError.self) { _ = try run(input) }
        #expect(error.code == .invalidInput)
        #expect(error.message.hasPrefix(message), "\(error.message)")
    }

    @Test("models live in $LUNETTE_MODELS, else cache/models under the nearest workspace or package root")
    func modelLocation() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        let nested = root.appendingPathComponent("workflows/sub")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(ModelLocation.directory(for: "minilm-l6", environment: ["LUNETTE_MODELS": "/opt/models"], currentDirectory: nested).path
                == "/opt/models/minilm-l6")
        #expect(ModelLocation.directory(for: "minilm-l6", environment: [:], currentDirectory: nested).path
                == root.appendingPathComponent("cache/models/minilm-l6").standardizedFileURL.path)
    }
}
