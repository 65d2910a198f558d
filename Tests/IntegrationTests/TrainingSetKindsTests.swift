import Basics
import Foundation
import Scoring
import _TestSupport
import Testing

/// One project with a run of each kind of training set, run by the `lunette` binary built beside
/// these tests (in `scripts/test`, the release build `scripts/setup` installs) against a scripted
/// OpenAI-compatible server on loopback: every run must end `registered`.
///
/// Issue 14: the release build trapped in every LLM-judged `label` (a miscompiled task group), or
/// lost 39 of 40 answers at `max_concurrency: 64`, so no judged run could be registered; the debug
/// build the suite used to run never showed it.
@Suite("Every kind of training set, run by the shipped binary, ends registered", .serialized)
struct TrainingSetKindsTests {
    static let judgedRows = 40

    @Test("upload, unlabelled upload, generate and import each reach registered; a forced label rerun is all memo hits")
    func everyKindReachesRegistered() async throws {
        let workspace = try CaseWorkspace("generated", project: "gen")
        try TinyModel.write(to: workspace.models.appendingPathComponent("minilm-l6"))
        let server = try await ScriptedServer.start(immediate: { request in TrainingSetKindsTests.answer(request) })
        defer { Task { try? await server.stop() } }
        try Self.writeProject(in: workspace, baseURL: server.baseURL)
        let environment = ["OPENAI_API_KEY": "sk-test-kinds", "LUNETTE_THREADS": "1"]
        func lunette(_ arguments: [String], expect status: Int32 = 0) async throws -> ProcessTests.Result {
            let result = try await RawHTTPConnection.offPool { try ProcessTests.run(arguments, in: workspace, extra: environment) }
            #expect(result.status == status, "lunette \(arguments.joined(separator: " ")): \(result.output)\(result.error)")
            return result
        }

        _ = try await lunette(["check"], expect: 1)  // nothing has run yet: stale
        let run = try await lunette(["run"])
        let status = try JSONValue.parse(Data(try await lunette(["status", "--json"]).output.utf8))
        let statuses = Dictionary(
            uniqueKeysWithValues: (status["runs"]?.arrayValue ?? []).compactMap { run -> (String, String)? in
                guard let name = run["run"]?.stringValue ?? run["name"]?.stringValue,
                    let value = run["status"]?.stringValue
                else { return nil }
                return (name.split(separator: "/").last.map(String.init) ?? name, value)
            })
        #expect(
            statuses == ["labelled": "registered", "judged": "registered", "generated": "registered", "imported": "registered"],
            "\(status)\n\(run.output)")

        // Every one of the 40 rows was answered at 64 calls at once, none lost.
        let judged = try await lunette(["show", "gen/judged"])
        #expect(judged.output.contains("labelled \(Self.judgedRows) of \(Self.judgedRows) rows"), "\(judged.output)")
        let imported = try await lunette(["show", "gen/imported"])
        #expect(imported.output.contains("labelled 12 of 12 rows"), "\(imported.output)")

        // A forced label rerun finds every answer in the memo (it used to trap there too).
        let calls = server.statistics.requestHeaders.count
        let forced = try await lunette(["run", "gen/judged/label", "--force"])
        #expect(forced.output.contains("(0 new calls, \(Self.judgedRows) cached)"), "\(forced.output)")
        #expect(server.statistics.requestHeaders.count == calls)

        // The registered metrics score new rows.
        try workspace.write("{\"input\": \"thanks a lot, kind of you\"}\n{\"input\": \"this is rubbish\"}\n", to: "new.jsonl")
        let scored = try await lunette(["score", "judged", "--input", "new.jsonl"])
        #expect(scored.output.split(separator: "\n").count == 2, "\(scored.output)")
        // The imported run is a pair metric in head mode: the shipped binary trains its head on pair features
        // and scores new pairs exactly as the library does on the registered folder.
        let pairRows = [CanonicalRow(row: 1, input: "how do I start?", output: "glad to help: step one"),
                        CanonicalRow(row: 2, input: "how do I stop?", output: "figure it out")]
        try workspace.write(#"{"input": "how do I start?", "output": "glad to help: step one"}"# + "\n"
                                + #"{"input": "how do I stop?", "output": "figure it out"}"# + "\n", to: "pairs.jsonl")
        let pairScores = try await lunette(["score", "imported", "--input", "pairs.jsonl"])
        let model = try MetricModel(folder: workspace.root.appendingPathComponent("cache/registry/imported@1"), threads: 1)
        #expect(model.info.headFeatures == .pair)
        let lines = pairScores.output.split(separator: "\n").map { try? JSONValue.parse(Data($0.utf8)) }
        #expect(lines.count == 2, "\(pairScores.output)")
        for (line, expected) in zip(lines, try model.probabilities(for: pairRows)) {
            let served = line?["probabilities"]?["true"]?.doubleValue ?? -1
            #expect(abs(served - Double(expected[1])) < 1e-6, "\(pairScores.output)")
        }

        // Issue 14: `cache verify` covers the registered model folders, and says what it did.
        let head = workspace.root.appendingPathComponent("cache/registry/judged@1/head.safetensors")
        var bytes = try Data(contentsOf: head)
        bytes[bytes.count - 4] ^= 0xff
        try bytes.write(to: head)
        let damaged = try await lunette(["cache", "verify"], expect: 1)
        #expect(damaged.output.contains("damaged: "), "\(damaged.output)")
        #expect(damaged.output.contains("judged@1"), "\(damaged.output)")
        #expect(damaged.output.contains("restored from the cache"), "\(damaged.output)")
        let verified = try await lunette(["cache", "verify"])
        #expect(verified.output.contains("ok: no corrupt objects or model folders"), "\(verified.output)")
        #expect(try Data(contentsOf: head) != bytes)
    }

    static func writeProject(in workspace: CaseWorkspace, baseURL: String) throws {
        var unlabelled = "text\n"
        var labelled = "text,label\n"
        for index in 0..<judgedRows {
            let polite = index % 2 == 0
            let text = polite ? "Thanks so much, that was kind #\(index)" : "This is rubbish, sort it out #\(index)"
            unlabelled += "\"\(text)\"\n"
            labelled += "\"\(text)\",\(polite ? "yes" : "no")\n"
        }
        try workspace.write(unlabelled, to: "data/unlabelled.csv")
        try workspace.write(labelled, to: "data/labelled.csv")
        var pairs = "question,answer,label\n"
        var traces = ""
        for index in 0..<20 {
            let helpful = index % 2 == 0
            pairs += "\"question \(index)\",\"\(helpful ? "glad to help, here is how" : "no idea") #\(index)\",\(helpful)\n"
        }
        for index in 0..<12 {
            let helpful = index % 2 == 1
            traces += #"{"trace_id":"t\#(index)","span_id":"s\#(index)","kind":"llm","input":"how do I \#(index)?","#
                + #""output":"\#(helpful ? "glad to help: step one" : "figure it out") \#(index)","start_time":"2025-01-01T00:00:\#(10 + index)Z"}"#
                + "\n"
        }
        try workspace.write(pairs, to: "data/pairs.csv")
        try workspace.write(traces, to: "data/traces.jsonl")
        let polite = #"{ name: NAME, output: boolean, input: message, prompt: "Is the message polite?" }"#
        func metric(_ name: String) -> String { polite.replacingOccurrences(of: "NAME", with: name) }
        try workspace.write(
            """
            project: gen
            providers:
              openai: { kind: openai-compatible, base_url: "\(baseURL)", model: tiny, api_key_env: OPENAI_API_KEY, max_concurrency: 64 }
            defaults:
              provider: openai
              train: { mode: head }
            runs:
              labelled:
                metric: \(metric("labelled"))
                test_set: { path: ../data/test.csv, columns: { input: text } }
                training_set: { upload: { path: ../data/labelled.csv, columns: { input: text } } }
              judged:
                metric: \(metric("judged"))
                test_set: { path: ../data/test.csv, columns: { input: text } }
                training_set: { upload: { path: ../data/unlabelled.csv, labelled: false, columns: { input: text } } }
              generated:
                metric: \(metric("generated"))
                test_set: { path: ../data/test.csv, columns: { input: text } }
                training_set: { generate: { count: 30, examples_per_call: 5, review_sample: 6 } }
              imported:
                metric: { name: imported, output: boolean, input: input_output, prompt: "Does the answer help?" }
                test_set: { path: ../data/pairs.csv, columns: { input: question, output: answer } }
                training_set: { import: ../data/traces.jsonl }

            """, to: "workflows/gen.yaml")
    }

    /// A pretend LLM: writes rows for generate prompts, and judges a row by its words otherwise.
    static func answer(_ request: ScriptedRequest) -> ScriptedReply {
        let prompt = request.lastUserMessage
        if let count = ScriptedRequest.text(in: prompt, between: "Write ", and: " new examples").flatMap(Int.init) {
            let label = ScriptedRequest.text(in: prompt, between: "examples whose label is \"", and: "\"") ?? "false"
            let tag = ContentHash.of(prompt).short
            let rows: [JSONValue] = (0..<count).map { index in
                let input = label == "true" ? "thank you kindly, friend \(tag) \(index)" : "this is rubbish, fix it \(tag) \(index)"
                return ["input": .string(input), "label": .string(label)]
            }
            return .chat(JSONValue.object(["rows": .array(rows)]).canonicalText)
        }
        let yes = ["Thanks", "thank", "kind", "glad"].contains { prompt.contains($0) }
        return .chat(#"{"label": "\#(yes)", "rationale": "It \#(yes ? "helps" : "does not help")."}"#)
    }
}
