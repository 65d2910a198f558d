import Basics
import Foundation
import TaskInterface
import Testing
@testable import Scoring
@testable import TaskTypes

@Suite("import")
struct ImportTracesTests {
    /// An OTLP JSON export with OpenInference attributes: one trace with an agent, an LLM call, a
    /// retriever and a tool.
    static let otlp = """
        {"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[
          {"traceId":"t1","spanId":"a","name":"agent","startTimeUnixNano":"100","attributes":[
            {"key":"openinference.span.kind","value":{"stringValue":"AGENT"}},
            {"key":"input.value","value":{"stringValue":"What is our refund policy?"}},
            {"key":"output.value","value":{"stringValue":"Refunds within 30 days."}},
            {"key":"session.id","value":{"stringValue":"s1"}}]},
          {"traceId":"t1","spanId":"r","parentSpanId":"a","name":"retrieve","startTimeUnixNano":"200","attributes":[
            {"key":"openinference.span.kind","value":{"stringValue":"RETRIEVER"}},
            {"key":"input.value","value":{"stringValue":"refund policy"}},
            {"key":"retrieval.documents.1.document.content","value":{"stringValue":"Shipping is free."}},
            {"key":"retrieval.documents.0.document.content","value":{"stringValue":"Refunds within 30 days."}}]},
          {"traceId":"t1","spanId":"l","parentSpanId":"a","name":"chat","startTimeUnixNano":"300","attributes":[
            {"key":"openinference.span.kind","value":{"stringValue":"LLM"}},
            {"key":"llm.input_messages.0.message.role","value":{"stringValue":"system"}},
            {"key":"llm.input_messages.0.message.content","value":{"stringValue":"Be brief."}},
            {"key":"llm.input_messages.1.message.role","value":{"stringValue":"user"}},
            {"key":"llm.input_messages.1.message.content","value":{"stringValue":"What is our refund policy?"}},
            {"key":"llm.output_messages.0.message.content","value":{"stringValue":"Refunds within 30 days."}}]},
          {"traceId":"t1","spanId":"x","parentSpanId":"a","name":"lookup_order","startTimeUnixNano":"250","attributes":[
            {"key":"openinference.span.kind","value":{"stringValue":"TOOL"}},
            {"key":"input.value","value":{"stringValue":"{\\"order\\": 7}"}},
            {"key":"output.value","value":{"stringValue":"shipped"}}]}
        ]}]}]}
        """

    /// Lunette's plain JSONL format, two sessions over three traces, and a span with no output.
    static let plain = """
        {"trace_id":"p1","span_id":"1","session_id":"u1","kind":"llm","input":"hi","output":"hello","start_time":"2025-01-01T00:00:01Z"}
        {"trace_id":"p2","span_id":"2","session_id":"u1","kind":"llm","input":"bye","output":"goodbye","start_time":"2025-01-01T00:00:02Z"}
        {"trace_id":"p3","span_id":"3","session_id":"u2","kind":"llm","input":"help","start_time":"2025-01-01T00:00:03Z"}
        """

    func run(_ text: String, file: String, step: String, input: String) async throws -> (StageResult, [CanonicalRow]) {
        let fixture = try StageFixture()
        defer { fixture.remove() }
        let source = try fixture.write(text, to: file)
        let context = try fixture.context(
            stage: "demo/run/import", params: ["path": .string(file), "step": .string(step), "input_format": .string(input)],
            inputs: ["source": source], outputs: ["rows": "rows.jsonl"])
        let result = try await ImportTraces().run(context)
        return (result, try DatasetRows.read(from: fixture.url("rows.jsonl")))
    }

    @Test func llmSpansGiveInputAndOutput() async throws {
        let (_, rows) = try await run(Self.otlp, file: "export.json", step: "llm_span", input: "input_output")
        #expect(rows == [CanonicalRow(row: 1, id: "l", input: "What is our refund policy?", output: "Refunds within 30 days.")])
    }

    @Test func retrieverSpansGiveDocumentsInOrder() async throws {
        let (_, rows) = try await run(Self.otlp, file: "export.json", step: "retriever", input: "rag")
        #expect(rows.count == 1)
        #expect(rows.first?.documents == ["Refunds within 30 days.", "Shipping is free."])
        #expect(rows.first?.input == "refund policy")
        #expect(rows.first?.output == "Refunds within 30 days.")
    }

    @Test func agentSpansCollectTheirToolCalls() async throws {
        let (_, rows) = try await run(Self.otlp, file: "export.json", step: "agent_span", input: "tools")
        #expect(rows.first?.tools == [["name": "lookup_order", "input": "{\"order\": 7}", "output": "shipped"]])
    }

    @Test func wholeTracesAreFlattenedInStartOrder() async throws {
        let (_, rows) = try await run(Self.otlp, file: "export.json", step: "trace", input: "trace")
        let trace = try #require(rows.first?.trace?.arrayValue)
        #expect(trace.map { $0["name"]?.stringValue } == ["agent", "retrieve", "lookup_order", "chat"])
        #expect(rows.first?.input == "What is our refund policy?")
    }

    @Test func sessionsGroupTracesAndRowsMissingFieldsAreCounted() async throws {
        let (_, sessions) = try await run(Self.plain, file: "traces.jsonl", step: "session", input: "session")
        #expect(sessions.map(\.id) == ["u1", "u2"])
        #expect(sessions.first?.session?.arrayValue?.count == 2)
        #expect(sessions.first?.output == "goodbye")

        let (result, spans) = try await run(Self.plain, file: "traces.jsonl", step: "llm_span", input: "input_output")
        #expect(spans.map(\.input) == ["hi", "bye"])
        #expect(result.metrics["skipped"] == ["no output": 1])
    }

    @Test func phoenixStyleSpansWithNestedAttributes() async throws {
        let phoenix = """
            {"name":"llm","context":{"trace_id":"t","span_id":"s"},"span_kind":"LLM","parent_id":null,"start_time":"2025-01-01T00:00:00Z",\
            "attributes":{"input":{"value":"Summarise this."},"output":{"value":"A summary."},"openinference":{"span":{"kind":"LLM"}}}}
            """
        let (_, rows) = try await run(phoenix, file: "spans.jsonl", step: "llm_span", input: "input_output")
        #expect(rows == [CanonicalRow(row: 1, id: "s", input: "Summarise this.", output: "A summary.")])
    }

    @Test func aCSVIsRefusedWithTheUploadAlternative() async throws {
        await #expect {
            try await run("input,output\na,b\n", file: "logs.csv", step: "llm_span", input: "input_output")
        } throws: { error in
            (error as? TaskError)?.remedy?.contains("labelled: false") == true
        }
    }
}
