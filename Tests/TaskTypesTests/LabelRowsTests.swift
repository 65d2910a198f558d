import Basics
import Foundation
import _TestSupport
import Providers
import TaskInterface
import Testing
@testable import Scoring
@testable import TaskTypes

@Suite("label")
struct LabelRowsTests {
    static let metric: JSONValue = [
        "name": "toxicity", "output": "boolean", "labels": ["false", "true"], "step": "llm_span", "input": "message",
        "prompt": "Is the message toxic?",
    ]

    /// Judges by keyword; answers garbage for rows containing "mumble".
    static let judge: ScriptedServer.Script = { request in
        let prompt = ScriptedLLM.lastUserMessage(request)
        if request.bodyText.contains("mumble") { return .chat("hmm, hard to say really") }
        let toxic = prompt.contains("idiot")
        return .chat("{\"label\": \(toxic), \"rationale\": \"It \(toxic ? "insults" : "does not insult") someone. Extra.\"}")
    }

    func context(_ fixture: StageFixture, rows: [CanonicalRow], provider: JSONValue, extra: [String: JSONValue] = [:]) throws
        -> StageContext
    {
        try DatasetRows.write(rows, to: fixture.url("in.jsonl"))
        var params = extra
        params["metric"] = Self.metric
        params["provider"] = provider
        var context = try fixture.context(
            stage: "demo/run/label", params: params, inputs: ["rows": fixture.url("in.jsonl")], outputs: ["rows": "out.jsonl"])
        context.memo = DirectoryMemo(root: fixture.url("memo"))
        return context
    }

    @Test func labelledRowsPassThroughWithoutCalls() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let rows = [CanonicalRow(row: 2, input: "hi", label: "false"), CanonicalRow(row: 3, input: "you idiot", label: "true")]
        let unreachable: JSONValue = ["name": "p", "kind": "openai-compatible", "base_url": "http://127.0.0.1:9/v1", "model": "m"]
        let result = try await LabelRows().run(context(fixture, rows: rows, provider: unreachable))
        #expect(try DatasetRows.read(from: fixture.url("out.jsonl")) == rows)
        #expect(result.metrics["provider_calls"] == 0)
    }

    @Test func labelsUnlabelledRowsWithRationales() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let rows = [
            CanonicalRow(row: 2, input: "have a nice day"), CanonicalRow(row: 3, input: "you idiot", label: "true"),
            CanonicalRow(row: 4, input: "what an idiot you are"),
        ]
        let calls = try await withScriptedServer(Self.judge) { server in
            _ = try await LabelRows().run(context(fixture, rows: rows, provider: GenerateWorkspace.provider(server)))
            return server.statistics.requestCount
        }
        #expect(calls == 2)
        let out = try DatasetRows.read(from: fixture.url("out.jsonl"))
        #expect(out.map(\.row) == [2, 3, 4])
        #expect(out.map(\.label) == ["false", "true", "true"])
        #expect(out[0].extra["rationale"] == "It does not insult someone.")
        #expect(out[1].extra["rationale"] == nil)
    }

    @Test func unreadableAnswersAreRetriedThenReportedByRow() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        var rows = (0..<9).map { CanonicalRow(row: $0 + 2, input: "message \($0)") }
        rows.append(CanonicalRow(row: 11, input: "mumble mumble"))
        // 1 of 10 fails: over the default 5 %, the stage fails naming the row.
        let (error, calls, result) = try await withScriptedServer(Self.judge) { server in
            let provider = GenerateWorkspace.provider(server)
            var caught: TaskError?
            do {
                _ = try await LabelRows().run(context(fixture, rows: rows, provider: provider))
            } catch let error as TaskError {
                caught = error
            }
            let calls = server.statistics.requestCount
            // Within the allowed fraction, the row is left out with a warning; answers come from the memo.
            let result = try await LabelRows().run(
                context(fixture, rows: rows, provider: provider, extra: ["max_failure_fraction": 0.2]))
            return (caught, calls, result)
        }
        #expect(calls == 9 + LabelRows.maxSamples)
        #expect(error?.message.contains("no usable label for 1 of 10 rows (row 11: the answer is neither JSON nor a label") == true)
        #expect(result.metrics["provider_calls"] == 0)
        #expect(result.metrics["cached_calls"] == .int(9 + LabelRows.maxSamples))
        #expect(result.warnings.first?.contains("left out 1 rows") == true)
        #expect(try DatasetRows.read(from: fixture.url("out.jsonl")).count == 9)
    }

    /// Issue 14: a refusal (OpenAI's `refusal` field) fails its row, quoted, not the whole stage.
    @Test func aRefusedRowIsLeftOutAndTheRestLabelled() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let rows = (0..<20).map { CanonicalRow(row: $0 + 2, input: $0 == 7 ? "forbidden words" : "message \($0)") }
        let refusing: ScriptedServer.Script = { request in
            guard request.bodyText.contains("forbidden") else { return await LabelRowsTests.judge(request) }
            return .json(
                #"{"id":"c","object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":"#
                    + #"{"role":"assistant","content":null,"refusal":"I can't help with that."}}]}"#)
        }
        let result = try await withScriptedServer(refusing) { server in
            try await LabelRows().run(
                context(fixture, rows: rows, provider: GenerateWorkspace.provider(server), extra: ["max_failure_fraction": 0.1]))
        }
        #expect(result.metrics["labelled"] == 19)
        #expect(result.metrics["failed"] == 1)
        #expect(result.warnings.first?.contains("row 9: ") == true, "\(result.warnings)")
        #expect(result.warnings.first?.contains("I can't help with that.") == true, "\(result.warnings)")
        #expect(try DatasetRows.read(from: fixture.url("out.jsonl")).map(\.row) == rows.map(\.row).filter { $0 != 9 })
    }

    @Test func theOfflineProviderCannotLabel() async throws {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        await #expect {
            try await LabelRows().run(
                context(fixture, rows: [CanonicalRow(row: 2, input: "x")], provider: ["name": "o", "kind": "offline"]))
        } throws: { error in
            (error as? TaskError)?.message.contains("the offline provider cannot label rows; configure an LLM provider") == true
        }
    }

    @Test(arguments: [
        ("{\"label\":\"TRUE\",\"rationale\":\"Rude.\"}", "true"), ("```json\n{\"label\": false}\n```", "false"),
        ("true", "true"), ("No.", "false"),
    ])
    func readsVerdicts(answer: String, label: String) throws {
        let judge = LabelJudge(metric: try LabelingMetric(params: ["metric": Self.metric], stage: "s"))
        #expect((try? judge.read(answer).get())?.label == label)
    }
}
