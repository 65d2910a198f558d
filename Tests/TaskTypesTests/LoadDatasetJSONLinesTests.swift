import Basics
import Testing

@testable import Scoring
@testable import TaskTypes

@Suite struct LoadDatasetJSONLinesTests {
    @Test func linesBecomeRowsNumberedByLine() async throws {
        let text = """
            {"input": "a", "label": true, "id": 5}

            {"input": "b\\nc", "label": "no"}
            """
        let (result, rows) = try await load(text, file: "x.jsonl")
        #expect(
            rows == [
                CanonicalRow(row: 1, id: "5", input: "a", label: "true"),
                CanonicalRow(row: 3, input: "b\nc", label: "false"),
            ])
        #expect(result.summary == "loaded 2 rows from x.jsonl (true 1, false 1)")
    }

    @Test func malformedLineNamesItsLineAndWhatIsWrong() async throws {
        let text = "{\"input\": \"a\", \"label\": 1}\n{\"input\": \"b\" \"label\": 0}\n[1]\n"
        let error = await loadError(text, file: "x.jsonl")
        #expect(
            error?.message == """
                x.jsonl has 2 problems:
                  line 2: invalid JSON: expected ',' or '}' after an object member at column 15
                  line 3: expected a JSON object ({"input": …}), found an array
                """)
        #expect(error?.remedy == "fix these rows in the file (lines count from 1)")
    }

    @Test func byteOrderMarkIsSkipped() async throws {
        let (_, rows) = try await load([0xEF, 0xBB, 0xBF] + Array("{\"input\": \"a\", \"label\": 0}\n".utf8), file: "x.jsonl")
        #expect(rows == [CanonicalRow(row: 1, input: "a", label: "false")])
    }

    @Test func documentsMayBeAnArrayOrAString() async throws {
        let text = """
            {"input": "q", "documents": ["d1", "d2"], "label": 1}
            {"input": "q", "documents": "only one", "label": 0}
            """
        let (_, rows) = try await load(text, file: "x.jsonl", params: ["input_format": "rag"])
        #expect(rows.map(\.documents) == [["d1", "d2"], ["only one"]])
    }

    @Test func traceAndToolsKeepTheirJSON() async throws {
        let text = #"{"tools": [{"name": "search"}], "input": "q", "output": "a", "label": 1}"#
        let (_, rows) = try await load(text, file: "x.jsonl", params: ["input_format": "tools"])
        #expect(rows.first?.tools == [["name": "search"]])
    }

    @Test func keyMissingFromEveryLineIsAMissingColumn() async throws {
        let error = await loadError("{\"question\": \"a\", \"label\": 1}\n", file: "x.jsonl")
        #expect(
            error?.message == """
                Missing column "input" in x.jsonl (columns: label, question); did you mean to map columns: {input: question}?
                """)
    }

    @Test func keyMissingFromSomeLinesIsARowProblem() async throws {
        let error = await loadError("{\"input\": \"a\", \"label\": 1}\n{\"label\": 0}\n", file: "x.jsonl")
        #expect(error?.message == "x.jsonl has 1 problem:\n  line 2: empty \"input\"")
    }
}

@Suite struct JSONLineParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONLineParser.parse(Array(text.utf8)) }

    @Test func parsesEveryKindOfValue() throws {
        #expect(
            try parse(#" {"a": [1, -2.5, 1e3, true, false, null], "b": "\u00e9\ud83d\ude00\n\"x\""} "#) == [
                "a": [1, -2.5, 1000.0, true, false, nil], "b": "é😀\n\"x\"",
            ])
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "expected a quoted member name at column 9"),
        ("[1 2]", "expected ',' or ']' after an array item at column 4"),
        ("{\"a\": 01}", "numbers must not have leading zeros at column 8"),
        ("\"abc", "string is never closed at column 1"),
        ("{\"a\": 1} x", "unexpected text after the value at column 10"),
        ("{\"a\": 1, \"a\": 2}", "duplicate member \"a\" at column 15"),
        ("nul", "unexpected text (expected null) at column 1"),
    ])
    func errorsSayWhatAndWhere(_ text: String, _ expected: String) {
        #expect(throws: JSONLineParser.Failure.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch let failure as JSONLineParser.Failure {
            #expect(failure.description == expected)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite struct CanonicalRowTests {
    @Test func canonicalLineMatchesCanonicalText() {
        let row = CanonicalRow(
            row: 3, id: "x", input: "in \"q\"", output: "out", documents: ["d"], tools: ["t": 1], trace: [1, 2],
            session: "s", label: "true")
        #expect(row.canonicalLine == row.jsonValue.canonicalText)
        var withExtra = row
        withExtra.extra = ["rationale": "because"]
        #expect(withExtra.canonicalLine == withExtra.jsonValue.canonicalText)
        #expect(withExtra.canonicalLine.contains("\"rationale\":\"because\""))
    }

    @Test func roundTripsThroughJSON() throws {
        let row = CanonicalRow(row: 9, input: "a", documents: ["x", "y"], label: "b", extra: ["score": 0.5])
        #expect(try CanonicalRow(json: row.jsonValue) == row)
    }

    @Test func rejectsRowsWithoutARowNumber() {
        #expect(throws: CanonicalRow.Failure.self) { try CanonicalRow(json: ["input": "a"]) }
    }
}
