import Basics
import Foundation
import _TestSupport
import Providers
import TaskInterface
import Testing
@testable import Scoring
@testable import TaskTypes

/// A workspace with seeds and eval rows for the generate stage, and a memo folder.
struct GenerateWorkspace {
    let fixture: StageFixture
    let memo: DirectoryMemo

    static let metric: JSONValue = [
        "name": "toxicity", "output": "boolean", "labels": ["false", "true"], "step": "llm_span", "input": "message",
        "prompt": "Is the message toxic?",
    ]
    static let seedRows = [
        CanonicalRow(row: 2, input: "you are a wonderful and kind person", label: "false"),
        CanonicalRow(row: 3, input: "thanks so much for the quick helpful answer", label: "false"),
        CanonicalRow(row: 4, input: "what a lovely idea for the weekend trip", label: "false"),
        CanonicalRow(row: 5, input: "you are a worthless idiot and everyone hates you", label: "true"),
        CanonicalRow(row: 6, input: "shut up you stupid pathetic clown", label: "true"),
    ]
    static let evalRows = [
        CanonicalRow(row: 7, input: "Hello, world! Have a nice day.", label: "false"),
        CanonicalRow(row: 8, input: "go away you disgusting moron", label: "true"),
    ]

    init() throws {
        fixture = try StageFixture()
        memo = DirectoryMemo(root: fixture.url("cache/memo"))
        try DatasetRows.write(Self.seedRows, to: fixture.url("seeds.jsonl"))
        try DatasetRows.write(Self.evalRows, to: fixture.url("eval.jsonl"))
    }

    func context(
        provider: JSONValue, settings: [String: JSONValue] = [:], environment: [String: String] = [:], run: String = "a"
    ) throws -> StageContext {
        var params = settings
        params["metric"] = Self.metric
        params["seed"] = 7
        params["provider"] = provider
        var context = try fixture.context(
            stage: "demo/run/generate", params: params,
            inputs: ["seeds": fixture.url("seeds.jsonl"), "eval": fixture.url("eval.jsonl")],
            outputs: ["rows": "out-\(run)/rows.jsonl", "review": "out-\(run)/review.jsonl"], environment: environment)
        context.memo = memo
        return context
    }

    static func provider(_ server: ScriptedServer, concurrency: Int = 4, keyVariable: String? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "name": "scripted", "kind": "openai-compatible", "base_url": .string(server.baseURL), "model": "tiny",
            "max_concurrency": .int(concurrency), "temperature": 0.7,
        ]
        if let keyVariable { object["api_key_env"] = .string(keyVariable) }
        return .object(object)
    }

    func remove() { fixture.remove() }
}

let quickRetries = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20))

@Suite("generate")
struct GenerateDataTests {
    @Test func offlineGenerationIsDeterministicAndKeepsOutEvalAndSeeds() async throws {
        let workspace = try GenerateWorkspace()
        defer { workspace.remove() }
        let offline: JSONValue = ["name": "offline", "kind": "offline"]
        let settings: [String: JSONValue] = ["count": 60, "review_sample": 10]
        let first = try await GenerateData().run(workspace.context(provider: offline, settings: settings, run: "a"))
        _ = try await GenerateData().run(workspace.context(provider: offline, settings: settings, run: "b"))
        let a = try workspace.fixture.read("out-a/rows.jsonl")
        #expect(a == (try workspace.fixture.read("out-b/rows.jsonl")))
        let rows = try DatasetRows.read(from: workspace.fixture.url("out-a/rows.jsonl"))
        #expect(rows.count == 60)
        #expect(rows.map(\.row) == Array(1...60))
        #expect(Set(rows.compactMap(\.label)) == ["false", "true"])
        let forbidden = Set((GenerateWorkspace.seedRows + GenerateWorkspace.evalRows).compactMap(\.input).map(GenerateFilter.normalise))
        #expect(rows.allSatisfy { !forbidden.contains(GenerateFilter.normalise($0.input ?? "")) })
        #expect(try DatasetRows.read(from: workspace.fixture.url("out-a/review.jsonl")).count == 10)
        #expect(first.metrics["provider_calls"] == 0)
        #expect(workspace.memo.count == 0)
    }

    @Test func secondRunMakesNoCallsAndRaisingCountMakesOnlyTheNewOnes() async throws {
        let workspace = try GenerateWorkspace()
        defer { workspace.remove() }
        try await withScriptedServer({ ScriptedLLM.generateAnswer($0) }) { server in
            let provider = GenerateWorkspace.provider(server)
            let result = try await GenerateData().run(workspace.context(provider: provider, settings: ["count": 40], run: "a"))
            #expect(server.statistics.requestCount == 4)
            #expect(result.metrics["provider_calls"] == 4)
            #expect(try DatasetRows.read(from: workspace.fixture.url("out-a/rows.jsonl")).count == 40)

            let again = try await GenerateData().run(workspace.context(provider: provider, settings: ["count": 40], run: "b"))
            #expect(server.statistics.requestCount == 4)
            #expect(again.metrics["cached_calls"] == 4)
            #expect(try workspace.fixture.read("out-a/rows.jsonl") == workspace.fixture.read("out-b/rows.jsonl"))

            _ = try await GenerateData().run(workspace.context(provider: provider, settings: ["count": 60], run: "c"))
            #expect(server.statistics.requestCount == 6)
            let grown = try DatasetRows.read(from: workspace.fixture.url("out-c/rows.jsonl"))
            let before = try DatasetRows.read(from: workspace.fixture.url("out-a/rows.jsonl"))
            #expect(Array(grown.prefix(40)) == before)
            #expect(grown.count == 60)
        }
    }

    @Test func anInterruptedRunResumesWithoutLosingOrRepeatingRows() async throws {
        let workspace = try GenerateWorkspace()
        defer { workspace.remove() }
        let settings: [String: JSONValue] = ["count": 100]
        let slow: ScriptedServer.Script = { request in
            var reply = ScriptedLLM.generateAnswer(request)
            reply.delay = .milliseconds(80)
            return reply
        }
        try await withScriptedServer(slow) { server in
            let provider = GenerateWorkspace.provider(server, concurrency: 2)
            let context = try workspace.context(provider: provider, settings: settings, run: "a")
            let task = Task { try await GenerateData(retryPolicy: quickRetries).run(context) }
            for _ in 0..<500 where workspace.memo.count < 3 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(workspace.memo.count >= 3)
            task.cancel()
            _ = await task.result
            let answered = workspace.memo.count
            #expect(answered < 10)
            let callsBefore = server.statistics.requestCount

            _ = try await GenerateData().run(workspace.context(provider: provider, settings: settings, run: "b"))
            // The resume asks each unanswered call, and no answered one. Counted by distinct request: on a
            // starved machine a cancelled call can still reach the server after the count above, or a call
            // can be retried, and neither repeats an answered call.
            let resumed = Set(server.statistics.requestBodies.dropFirst(callsBefore))
            #expect(resumed.count == 10 - answered, "\(server.statistics.requestCount - callsBefore) requests after the interruption")
        }
        // The same run, uninterrupted, against a fresh memo and server, writes the same bytes.
        let fresh = try GenerateWorkspace()
        defer { fresh.remove() }
        try await withScriptedServer(slow) { server in
            _ = try await GenerateData().run(
                fresh.context(provider: GenerateWorkspace.provider(server, concurrency: 2), settings: settings, run: "b"))
        }
        let resumed = try workspace.fixture.read("out-b/rows.jsonl")
        #expect(resumed == (try fresh.fixture.read("out-b/rows.jsonl")))
        let rows = try DatasetRows.read(from: workspace.fixture.url("out-b/rows.jsonl"))
        #expect(rows.count == 100)
        #expect(Set(rows.compactMap(\.input)).count == 100)
    }

    @Test func leakedEvalRowsSeedsAndDuplicatesAreDropped() async throws {
        let workspace = try GenerateWorkspace()
        defer { workspace.remove() }
        let extra = [
            "Hello, world! Have a nice day.",  // an eval row, exactly
            "hello world have a NICE day",  // the same eval row, normalised
            "shut up you stupid pathetic clown",  // a seed row
            "a sentence that every call repeats",  // duplicates across calls
        ]
        let result = try await withScriptedServer({ ScriptedLLM.generateAnswer($0, extra: extra) }) { server in
            try await GenerateData().run(workspace.context(provider: GenerateWorkspace.provider(server), settings: ["count": 30]))
        }
        let rows = try DatasetRows.read(from: workspace.fixture.url("out-a/rows.jsonl"))
        let inputs = rows.compactMap(\.input)
        #expect(!inputs.contains("Hello, world! Have a nice day."))
        #expect(!inputs.contains("hello world have a NICE day"))
        #expect(!inputs.contains("shut up you stupid pathetic clown"))
        #expect(inputs.filter { $0 == "a sentence that every call repeats" }.count == 1)
        let dropped = try #require(result.metrics["dropped"])
        #expect(dropped["eval_exact"] == 3)
        #expect(dropped["eval_normalised"] == 3)
        #expect(dropped["seed_exact"] == 3)
        #expect(dropped["duplicate_exact"] == 2)
        #expect(result.summary?.contains("dropped 11") == true)
    }

    @Test func concurrencyIsBoundedByMaxConcurrency() async throws {
        let workspace = try GenerateWorkspace()
        defer { workspace.remove() }
        let peak = try await withScriptedServer({ request in
            var reply = ScriptedLLM.generateAnswer(request)
            reply.delay = .milliseconds(40)
            return reply
        }) { server in
            _ = try await GenerateData().run(
                workspace.context(provider: GenerateWorkspace.provider(server, concurrency: 3), settings: ["count": 120]))
            return server.statistics.maxInFlight
        }
        #expect(peak == 3)
    }

    @Test func theKeyIsSentButNeverWritten() async throws {
        let workspace = try GenerateWorkspace()
        defer { workspace.remove() }
        let key = "sk-FAKE-known-key-4242"
        let seen = LockedStrings()
        try await withScriptedServer({ request in
            seen.append(request.headers["authorization"] ?? "")
            return ScriptedLLM.generateAnswer(request)
        }) { server in
            _ = try await GenerateData().run(
                workspace.context(
                    provider: GenerateWorkspace.provider(server, keyVariable: "SCRIPTED_KEY"), settings: ["count": 20],
                    environment: ["SCRIPTED_KEY": key]))
        }
        #expect(seen.values.allSatisfy { $0 == "Bearer \(key)" })
        #expect(workspace.memo.count == 2)
        var hits: [String] = []
        for case let relative as String in FileManager.default.enumerator(atPath: workspace.fixture.root.path)?.allObjects ?? [] {
            let data = FileManager.default.contents(atPath: workspace.fixture.url(relative).path) ?? Data()
            if String(decoding: data, as: UTF8.self).contains(key) { hits.append(relative) }
        }
        #expect(hits.isEmpty)
    }

    @Test func preflightNamesTheMissingVariable() {
        let params: [String: JSONValue] = [
            "provider": [
                "name": "groq", "kind": "openai-compatible", "base_url": "https://api.groq.com/openai/v1", "model": "m",
                "api_key_env": "GROQ_API_KEY",
            ],
        ]
        let messages = GenerateData().preflight(params: params, environment: ["HOME": "/nonexistent"])
        #expect(messages.count == 1)
        #expect(messages.first?.contains("GROQ_API_KEY is not set") == true)
        #expect(GenerateData().preflight(params: params, environment: ["GROQ_API_KEY": "k"]).isEmpty)
        #expect(GenerateData().preflight(params: ["provider": ["name": "o", "kind": "offline"]], environment: [:]).isEmpty)
        #expect(LabelRows().preflight(params: ["provider": .null], environment: [:]).first?.contains("no provider") == true)
    }

    @Test func labelSequenceIsAStablePrefix() throws {
        let metric = try LabelingMetric(params: ["metric": GenerateWorkspace.metric], stage: "s")
        let settings = try GenerateSettings(
            params: ["label_distribution": ["false": 3, "true": 1]], metric: metric, seeds: GenerateWorkspace.seedRows,
            stage: "s")
        let long = settings.labelSequence(40)
        #expect(Array(long.prefix(8)) == settings.labelSequence(8))
        #expect(long.filter { $0 == "true" }.count == 10)
    }
}

/// Strings collected from a server script.
final class LockedStrings: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var values: [String] { lock.withLock { stored } }
    func append(_ value: String) { lock.withLock { stored.append(value) } }
}

/// Runs `body` with a scripted server, then stops it.
func withScriptedServer<T: Sendable>(
    _ script: @escaping ScriptedServer.Script, _ body: (ScriptedServer) async throws -> T
) async throws -> T {
    try await withStarted(ScriptedServer.start(script), body)
}

/// Runs `body` with `server`, then stops it, whether `body` throws or not.
func withStarted<T: Sendable>(_ server: ScriptedServer, _ body: (ScriptedServer) async throws -> T) async throws -> T {
    do {
        let value = try await body(server)
        try await server.stop()
        return value
    } catch {
        try? await server.stop()
        throw error
    }
}
