import Basics
import Foundation
import MLCore
import TaskInterface
import Testing
import WorkflowModel

@testable import Scoring
@testable import TaskTypes

@Suite struct RowRenderingTests {
    let row = CanonicalRow(
        row: 7, input: "Where is Paris?", output: "France", documents: ["Paris is in France.", "It rains."],
        tools: [["name": "search"]], label: "true")

    @Test(arguments: [
        (InputFormat.message, "Where is Paris?", nil),
        (.output, "France", nil),
        (.inputOutput, "Where is Paris?", "France"),
        (.rag, "Paris is in France.\n\nIt rains.", "Where is Paris?\nFrance"),
        (.tools, "[{\"name\":\"search\"}]\nWhere is Paris?", "France"),
    ] as [(InputFormat, String, String?)])
    func rendersEachFormat(format: InputFormat, text: String, pair: String?) throws {
        let input = try RowRendering(format: format, maxTokens: 128).render(row)
        #expect(input == TextInput(text, pair: pair))
    }

    @Test(arguments: [
        (InputFormat.message, nil, nil),
        (.output, nil, nil),
        (.trace, nil, nil),
        (.inputOutput, "Where is Paris?", "France"),
        (.rag, "Where is Paris?\n\nParis is in France.\n\nIt rains.", "France"),
        (.tools, "Where is Paris?\n[{\"name\":\"search\"}]", "France"),
    ] as [(InputFormat, String?, String?)])
    func pairSidesPutTheResponseAlone(format: InputFormat, first: String?, second: String?) throws {
        let rendering = RowRendering(format: format, maxTokens: 128)
        let sides = try rendering.sides(row)
        #expect(sides?.first == first)
        #expect(sides?.second == second)
        #expect(rendering.isPair == (first != nil))
    }

    @Test func ragSidesWithoutOutputAreTheDocumentsAndTheInput() throws {
        var row = self.row
        row.output = nil
        let sides = try #require(try RowRendering(format: .rag, maxTokens: 128).sides(row))
        #expect(sides.first == "Paris is in France.\n\nIt rains.")
        #expect(sides.second == "Where is Paris?")
    }

    @Test func ragWithoutOutputPairsDocumentsWithTheInputAlone() throws {
        var row = self.row
        row.output = nil
        #expect(try RowRendering(format: .rag, maxTokens: 128).render(row) == TextInput("Paris is in France.\n\nIt rains.",
                                                                                        pair: "Where is Paris?"))
    }

    @Test func toolsGivenAsAStringAreKeptAsTheyAre() throws {
        var row = self.row
        row.tools = "search(query)"
        #expect(try RowRendering(format: .tools, maxTokens: 128).render(row).text == "search(query)\nWhere is Paris?")
    }

    @Test func traceIsFlattenedToSortedKeyValueLines() throws {
        let trace: JSONValue = ["spans": [["name": "llm", "output": "hi", "meta": ["tokens": 3]], "done"], "id": 12]
        let row = CanonicalRow(row: 2, trace: trace)
        let text = try RowRendering(format: .trace, maxTokens: 128).render(row).text
        #expect(text == "id: 12\nspans:\n  - meta:\n      tokens: 3\n    name: llm\n    output: hi\n  - done")
    }

    @Test func longTraceKeepsHeadAndTailWithinTheBudget() throws {
        let tokenizer = try Tokenizer(vocabulary: Vocabulary(tokens: BertEncoder.tinyVocabulary))
        let words = (0..<60).map { $0 < 30 ? "cat" : "dog" }
        let row = CanonicalRow(row: 3, session: .string("hello " + words.joined(separator: " ") + " world"))
        let rendering = RowRendering(format: .session, maxTokens: 16)
        let text = try rendering.render(row, tokenizer: tokenizer).text
        #expect(text.hasPrefix("hello cat"))
        #expect(text.hasSuffix("dog world"))
        #expect(text.contains(RowRendering.cutMarker))
        #expect(tokenizer.pieceIDs(text).count <= 14)
        let encoding = try rendering.encode(row, tokenizer: tokenizer)
        #expect(encoding.ids == [tokenizer.classifierID] + tokenizer.pieceIDs(text) + [tokenizer.separatorID])  // never truncated
        let short = CanonicalRow(row: 4, session: .string("hello world"))
        #expect(try rendering.render(short, tokenizer: tokenizer).text == "hello world")
    }

    @Test func missingFieldNamesTheRowAndTheField() {
        let row = CanonicalRow(row: 12, input: "hi", label: "true")
        do {
            _ = try RowRendering(format: .inputOutput, maxTokens: 128).render(row)
            Issue.record("a row without output rendered")
        } catch let error as TaskError {
            #expect(error.message == "row 12: a input_output metric needs 'output', which this row lacks")
            #expect(error.remedy == "give every row the fields input, output")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func longDocumentsAreCutFromASideNotTheQuestion() throws {
        let tokenizer = try Tokenizer(vocabulary: Vocabulary(tokens: BertEncoder.tinyVocabulary))
        let row = CanonicalRow(row: 2, input: "hello world", output: "the cat",
                               documents: [Array(repeating: "dog", count: 30).joined(separator: " ")])
        let sides = try #require(try RowRendering(format: .rag, maxTokens: 8).encodeSides(row, tokenizer: tokenizer))
        #expect(sides.first.count == 8)
        #expect(Array(sides.first.ids.prefix(3)) == [tokenizer.classifierID] + tokenizer.pieceIDs("hello world"))
        #expect(sides.second.ids == [tokenizer.classifierID] + tokenizer.pieceIDs("the cat") + [tokenizer.separatorID])
    }

    @Test func pairsAreTruncatedLongestFirstLikeTransformers() throws {
        let tokenizer = try Tokenizer(vocabulary: Vocabulary(tokens: BertEncoder.tinyVocabulary))
        let row = CanonicalRow(row: 2, input: "the cat sat", output: Array(repeating: "dog", count: 20).joined(separator: " "))
        let encoding = try RowRendering(format: .inputOutput, maxTokens: 10).encode(row, tokenizer: tokenizer)
        #expect(encoding.count == 10)
        #expect(encoding.typeIDs.filter { $0 == 0 }.count == 5)  // [CLS] the cat sat [SEP]: the shorter text kept whole
    }
}
