import Basics
import Foundation
import TaskInterface
import Testing

@testable import Scoring
@testable import TaskTypes

/// Loads `bytes` saved as `file` with `params` (plus `path: file`).
func load(
    _ bytes: [UInt8], file: String = "data/x.csv", params: [String: JSONValue] = [:]
) async throws -> (result: StageResult, rows: [CanonicalRow]) {
    let fixture = try StageFixture()
    defer { fixture.remove() }
    let source = try fixture.write(bytes, to: file)
    var allParams: [String: JSONValue] = ["path": .string(file)]
    allParams.merge(params) { _, new in new }
    let context = try fixture.context(
        params: allParams, inputs: ["source": source], outputs: ["rows": "out/rows.jsonl"])
    let result = try await LoadDataset().run(context)
    return (result, try DatasetRows.read(from: fixture.url("out/rows.jsonl")))
}

func load(_ text: String, file: String = "data/x.csv", params: [String: JSONValue] = [:]) async throws -> (
    result: StageResult, rows: [CanonicalRow]
) {
    try await load(Array(text.utf8), file: file, params: params)
}

/// The ``TaskError`` loading fails with.
func loadError(_ text: String, file: String = "data/x.csv", params: [String: JSONValue] = [:]) async -> TaskError? {
    do {
        _ = try await load(Array(text.utf8), file: file, params: params)
        Issue.record("loading succeeded")
        return nil
    } catch let error as TaskError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

@Suite struct LoadDatasetTests {
    @Test func csvRowsBecomeCanonicalRows() async throws {
        let (result, rows) = try await load(
            "id,input,label\r\n7,\"hello, \"\"you\"\"\",true\r\n8,\"two\nlines\",no\r\n")
        #expect(
            rows == [
                CanonicalRow(row: 2, id: "7", input: "hello, \"you\"", label: "true"),
                CanonicalRow(row: 3, id: "8", input: "two\nlines", label: "false"),
            ])
        #expect(result.summary == "loaded 2 rows from data/x.csv (true 1, false 1)")
        #expect(result.metrics["rows"] == 2)
        #expect(result.metrics["labels"] == ["true": 1, "false": 1])
    }

    @Test func outputFileIsCanonicalJSONLines() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let source = try fixture.write("input,label\nhi,1\n", to: "x.csv")
        let context = try fixture.context(
            params: ["path": "x.csv"], inputs: ["source": source], outputs: ["rows": "rows.jsonl"])
        _ = try await LoadDataset().run(context)
        #expect(try fixture.read("rows.jsonl") == "{\"input\":\"hi\",\"label\":\"true\",\"row\":2}\n")
    }

    @Test(arguments: [
        ("true", "true"), ("TRUE", "true"), ("Yes", "true"), ("1", "true"), ("1.0", "true"), (" yes ", "true"),
        ("false", "false"), ("False", "false"), ("NO", "false"), ("0", "false"), ("0.0", "false"),
    ])
    func booleanLabelSpellings(_ raw: String, _ expected: String) async throws {
        let (_, rows) = try await load("input,label\nx,\(raw)\n")
        #expect(rows.first?.label == expected)
    }

    @Test func booleanLabelThatIsNotABoolean() async throws {
        let error = await loadError("input,label\nx,maybe\ny,true\n")
        #expect(error?.code == .invalidInput)
        #expect(
            error?.message
                == "data/x.csv has 1 problem:\n  row 2: label \"maybe\" is not a boolean (write true/false, yes/no or 1/0)"
        )
    }

    @Test func mixedBooleanCasingWarns() async throws {
        let (result, _) = try await load("input,label\na,True\nb,true\nc,false\n")
        #expect(result.warnings.contains("mixed label casing: \"True\" (1 row), \"true\" (1 row) all read as true"))
    }

    @Test func categoricalLabelsAreNormalisedToTheDeclaredSpelling() async throws {
        let params: [String: JSONValue] = ["output": "categorical", "labels": ["positive", "negative"]]
        let (result, rows) = try await load("input,label\na,Positive\nb,positive\nc,NEGATIVE\n", params: params)
        #expect(rows.map(\.label) == ["positive", "positive", "negative"])
        #expect(
            result.warnings.contains("mixed label casing: \"Positive\" (1 row) normalised to the declared \"positive\"")
        )
        #expect(
            result.warnings.contains("mixed label casing: \"NEGATIVE\" (1 row) normalised to the declared \"negative\"")
        )
        #expect(result.summary == "loaded 3 rows from data/x.csv (positive 2, negative 1)")
    }

    @Test func unknownCategoricalLabelSuggestsTheClosest() async throws {
        let params: [String: JSONValue] = ["output": "categorical", "labels": ["positive", "negative"]]
        let error = await loadError("input,label\na,postive\n", params: params)
        #expect(
            error?.message.contains(
                "row 2: label \"postive\" is not one of the metric's labels (positive, negative); did you mean \"positive\"?"
            ) == true)
    }

    @Test func columnMappingReadsTheUsersColumns() async throws {
        let params: [String: JSONValue] = ["columns": ["input": "text", "label": "class"], "input_format": "message"]
        let (_, rows) = try await load("class,text,extra\n1,hello,zzz\n", params: params)
        #expect(rows == [CanonicalRow(row: 2, input: "hello", label: "true")])
    }

    @Test func missingColumnSaysWhichColumnsThereAreAndSuggestsAMapping() async throws {
        let error = await loadError("text,label\nhello,true\n", file: "workflows/../data/x.csv")
        #expect(
            error?.message == """
                Missing column "input" in workflows/../data/x.csv (columns: text, label); \
                did you mean to map columns: {input: text}?
                """)
        #expect(
            error?.remedy
                == "add `columns: {input: text}` to this dataset in the manifest, or rename the column in the file")
        #expect(error?.code == .invalidInput)
    }

    @Test func missingMappedColumnAndLabel() async throws {
        let error = await loadError("body,verdict\nhello,true\n", params: ["columns": ["input": "tweet"]])
        #expect(
            error?.message == """
                Missing columns "tweet" (mapped to "input"), "label" in data/x.csv (columns: body, verdict); \
                did you mean to map columns: {label: verdict}?
                """)
    }

    @Test func unlabelledUploadsNeedNoLabelColumn() async throws {
        let params: [String: JSONValue] = ["require_labels": false, "role": "training_set"]
        let (result, rows) = try await load("input\na\nb\n", params: params)
        #expect(rows.map(\.label) == [nil, nil])
        #expect(result.summary == "loaded 2 rows from data/x.csv (2 unlabelled)")
        #expect(result.metrics["unlabelled"] == 2)
        #expect(result.warnings.isEmpty)
    }

    @Test func emptyCellsAndWrongFieldCountsAreCollectedWithRowNumbers() async throws {
        let error = await loadError("input,label\n,true\nok\nfine,false\n\"  \",\n")
        #expect(
            error?.message == """
                data/x.csv has 4 problems:
                  row 2: empty "input"
                  row 3 has 1 fields but the header has 2 (a comma or line break outside quotes?)
                  row 5: empty "input"
                  row 5: empty "label"
                """)
        #expect(error?.remedy == "fix these rows in the file (the header is row 1)")
    }

    @Test func problemsBeyondTwentyAreCounted() async throws {
        let text = "input,label\n" + String(repeating: "x,maybe\n", count: 25)
        let error = await loadError(text)
        let lines = error?.message.split(separator: "\n") ?? []
        #expect(lines.first == "data/x.csv has 25 problems:")
        #expect(lines.count == 22)
        #expect(lines.last == "  and 5 more")
    }

    @Test func invalidUTF8AndNULNameTheirRows() async throws {
        let bytes =
            Array("input,label\nok,true\n".utf8) + [0xC3, 0x28] + Array(",true\nn".utf8) + [0] + Array("l,false\n".utf8)
        do {
            _ = try await load(bytes)
            Issue.record("loading succeeded")
        } catch let error as TaskError {
            #expect(error.message.contains("row 3: field 1 is not valid UTF-8"))
            #expect(error.message.contains("row 4: contains a NUL byte"))
        }
    }

    @Test(arguments: ["", "input,label\n", "input,label\r\n\r\n", "\n\n"])
    func emptyDataset(_ text: String) async throws {
        let error = await loadError(text)
        #expect(error?.message == "Empty dataset. data/x.csv has no data rows.")
    }

    @Test func blankRowsInTheMiddleWarnButTrailingOnesDoNot() async throws {
        let (result, rows) = try await load("input,label\na,1\n\nb,0\n\n\n")
        #expect(rows.map(\.row) == [2, 4])
        #expect(result.warnings.contains("skipped 1 empty row (3)"))
    }

    @Test func smallTestSetGetsTheReferenceRecommendations() async throws {
        let text = "input,label\n" + String(repeating: "x,true\n", count: 120) + "y,false\n"
        let (result, _) = try await load(text)
        #expect(
            result.warnings == [
                "the test set has 121 rows; at least 300 are recommended (1,000–3,000 is a strong target)",
                "class \"false\" has 1 row; at least 100 per class are recommended",
            ])
    }

    @Test func labelledTrainingSetRecommendationAndEmptyClass() async throws {
        let params: [String: JSONValue] = ["role": "training_set", "output": "categorical", "labels": ["a", "b"]]
        let (result, _) = try await load("input,label\nx,a\n", params: params)
        #expect(
            result.warnings == [
                "the labelled training set has 1 row; at least 2000 are recommended",
                "class \"a\" has 1 row; at least 100 per class are recommended",
                "no rows are labelled \"b\": the metric cannot learn or be scored on that class",
            ])
    }

    @Test func unsupportedExtension() async throws {
        let error = await loadError("input\n", file: "data/x.xlsx")
        #expect(error?.message == "Unsupported file type: data/x.xlsx (expected a .csv or .jsonl file)")
    }

    @Test func ragRowsReadDocumentsFromAJSONArrayCell() async throws {
        let params: [String: JSONValue] = ["input_format": "rag", "columns": ["documents": "context"]]
        let text = "input,context,output,label\nq,\"[\"\"d1\"\",\"\"d2\"\"]\",a,1\nq2,plain doc,,0\n"
        let (_, rows) = try await load(text, params: params)
        #expect(rows.map(\.documents) == [["d1", "d2"], ["plain doc"]])
        #expect(rows.map(\.output) == ["a", nil])
    }

    @Test func davidsonSliceLoadsWithTheRightCounts() async throws {
        let bytes = try [UInt8](Data(contentsOf: Fixtures.url("davidson-sample.csv")))
        let params: [String: JSONValue] = [
            "output": "categorical", "labels": ["hate_speech", "offensive", "neither"],
        ]
        let (result, rows) = try await load(bytes, file: "data/davidson.csv", params: params)
        #expect(result.summary == "loaded 200 rows from data/davidson.csv (hate_speech 4, offensive 172, neither 24)")
        #expect(rows.count == 200)
        #expect(rows.first?.id == "0")
        #expect(rows.last?.row == 201)
        #expect(rows.filter { $0.input?.contains("\n") == true }.count == 9)

        let boolean = try await load(bytes, file: "data/davidson.csv", params: ["columns": ["label": "toxic"]])
        #expect(boolean.result.summary == "loaded 200 rows from data/davidson.csv (true 176, false 24)")
    }
}

/// `group_by`: the test set's group column read into ``CanonicalRow/group``.
@Suite struct LoadDatasetGroupTests {
    @Test func theGroupColumnBecomesTheRowsGroup() async throws {
        let (_, rows) = try await load(
            "input,label,conversation_id\nhi,true, c1 \nyo,false,c2\n", params: ["group_by": "conversation_id"])
        #expect(
            rows == [
                CanonicalRow(row: 2, input: "hi", label: "true", group: "c1"),
                CanonicalRow(row: 3, input: "yo", label: "false", group: "c2"),
            ])
    }

    @Test func jsonLinesGroupsMayBeNumbers() async throws {
        let (_, rows) = try await load(
            "{\"input\": \"hi\", \"label\": true, \"thread\": 17}\n", file: "data/x.jsonl", params: ["group_by": "thread"])
        #expect(rows.map(\.group) == ["17"])
    }

    @Test func withoutGroupByTheColumnIsIgnored() async throws {
        let (_, rows) = try await load("input,label,conversation_id\nhi,true,c1\n")
        #expect(rows == [CanonicalRow(row: 2, input: "hi", label: "true")])
        #expect(!rows[0].canonicalLine.contains("group"))
    }

    @Test func aMissingGroupColumnIsLocatedWithTheClosestName() async throws {
        let error = await loadError(
            "input,label,Conversation_ID\nhi,true,c1\n", file: "data/chats.csv", params: ["group_by": "conversation"])
        #expect(
            error?.message == """
                Missing column "conversation" in data/chats.csv, named by split.group_by \
                (columns: input, label, Conversation_ID); did you mean "Conversation_ID"?
                """)
        #expect(
            error?.remedy
                == "write `split: {group_by: Conversation_ID}` in the manifest, or add the column \"conversation\" to the file")
        #expect(error?.code == .invalidInput)
    }

    @Test func aMissingGroupKeyInJSONLinesIsLocatedToo() async throws {
        let error = await loadError(
            "{\"input\": \"hi\", \"label\": true}\n", file: "data/x.jsonl", params: ["group_by": "thread"])
        #expect(error?.message == "Missing column \"thread\" in data/x.jsonl, named by split.group_by (columns: input, label)")
    }

    @Test func anEmptyGroupValueIsAProblemOfItsRow() async throws {
        let error = await loadError("input,label,conv\nhi,true,c1\nyo,false,\n", params: ["group_by": "conv"])
        #expect(
            error?.message == """
                data/x.csv has 1 problem:
                  row 3: empty "conv" (the split's group_by column); give a row that stands alone a value of its own
                """)
    }
}
