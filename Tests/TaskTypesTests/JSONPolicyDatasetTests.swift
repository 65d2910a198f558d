import Basics
import Foundation
import TaskInterface
import Testing

@testable import Scoring
@testable import TaskTypes

/// The JSON policy (`Basics/JSONValue+Parsing.swift`) through the readers of rows: the `load` stage,
/// canonical row files, trace imports and `lunette score`'s input. `BasicsTests/JSONParsingPolicyTests`
/// checks the same cases on ``JSONValue/parse(bytes:)``.
@Suite struct JSONPolicyDatasetTests {
    @Test("load: a JSONL row with a duplicate key is refused with its row number, the key and the column")
    func duplicateKeyInADatasetRow() async throws {
        let text = "{\"input\": \"a\", \"label\": 1}\n{\"input\": \"b\", \"label\": 1, \"label\": 0}\n"
        let error = await loadError(text, file: "x.jsonl")
        #expect(error?.message == """
            x.jsonl has 1 problem:
              line 2: invalid JSON: duplicate member "label" at column 37
            """)
        #expect(error?.remedy == "fix these rows in the file (lines count from 1)")
    }

    @Test("load: a lone surrogate escape is read as U+FFFD and the row loads")
    func loneSurrogateInADatasetRow() async throws {
        let (_, rows) = try await load(#"{"input": "cut \ud83d", "label": 1}"#, file: "x.jsonl")
        #expect(rows == [CanonicalRow(row: 1, input: "cut \u{FFFD}", label: "true")])
    }

    @Test("JSONLineParser is Basics' parser: same value and same error on the same bytes")
    func lineParserIsTheBasicsParser() throws {
        for text in [#"{"a": 1, "a": 2}"#, #"{"a": "\udc00"}"#, "[01]", #"{"a": [1.0, 2, "é"]}"#] {
            let bytes = Array(text.utf8)
            let line = Result { () throws(JSONLineParser.Failure) -> JSONValue in try JSONLineParser.parse(bytes) }
            let basics = Result { () throws(JSONValue.ParseError) -> JSONValue in try JSONValue.parse(bytes: bytes) }
            #expect(line == basics, "\(text)")
        }
    }

    @Test("a canonical row file with a duplicate key is refused with its path and line")
    func duplicateKeyInACanonicalRowFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("json-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("rows.jsonl")
        try Data("{\"input\":\"a\",\"row\":1}\n{\"input\":\"b\",\"input\":\"c\",\"row\":2}\n".utf8).write(to: file)
        do {
            _ = try DatasetRows.read(from: file)
            Issue.record("read succeeded")
        } catch let error as TaskError {
            #expect(error.message == "\(file.path):2: not a canonical dataset row: duplicate member \"input\" at column 22")
        }
    }

    @Test("import: a trace line with a duplicate key is refused with its line")
    func duplicateKeyInATrace() throws {
        var reader = ImportTraceReader()
        let text = "{\"trace_id\": \"t\", \"kind\": \"llm\", \"input\": \"a\"}\n{\"trace_id\": \"t\", \"trace_id\": \"u\"}\n"
        do {
            try reader.read(Data(text.utf8), path: "traces.jsonl")
            Issue.record("read succeeded")
        } catch let error as TaskError {
            #expect(error.message == "traces.jsonl:2: not JSON (duplicate member \"trace_id\" at column 31)")
        }
    }

    @Test("score's input: a duplicate key is reported with its line and the row left out")
    func duplicateKeyInScoringInput() throws {
        let data = Data("{\"input\": \"a\"}\n{\"input\": \"b\", \"input\": \"c\"}\n".utf8)
        let input = try ScoringInput.readJSONLines(data, format: .message)
        #expect(input.items.map(\.row.input) == ["a"])
        #expect(input.problems == [#"line 2: invalid JSON: duplicate member "input" at column 25"#])
    }
}
