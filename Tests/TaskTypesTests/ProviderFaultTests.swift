import Basics
import Foundation
import _TestSupport
import Providers
import TaskInterface
import Testing
@testable import TaskTypes

/// A whole generation and labelling against a scripted LLM server that misbehaves in every way a
/// real provider does: it ends with the right rows, or fails naming the fault and the remedy, and a
/// rerun never asks again what was already answered.
@Suite("provider faults across a generation and a labelling")
struct ProviderFaultTests {
    /// Rows generated (12 calls of 5) and rows labelled (16 calls).
    static let generated = 60
    static let labelled = 16
    /// The provider's request timeout, in seconds: hangs and over-slow drips pass it. Generous, so
    /// that a busy machine (the whole suite runs in parallel) does not time out a normal answer.
    static let timeout = 2.0

    @Test("a seeded mix of transient faults clears within the retry budget; a rerun makes no call", arguments: [1, 2, 3])
    func transientFaults(seed: UInt64) async throws {
        let plan = FaultPlan(seed: seed, storm: 16..<24)
        let workspace = try GenerateWorkspace()
        defer { workspace.remove() }
        let retries = RetryPolicy(maxAttempts: 12, baseDelay: .milliseconds(2), maxDelay: .milliseconds(20))
        try await withImmediateServer({ plan.reply(to: $0) }) { server in
            let pipeline = FaultPipeline(workspace: workspace, server: server, retries: retries)
            let (generate, label) = try await pipeline.run("a")
            #expect(generate.metrics["provider_calls"] == .int(Self.generated / 5))
            #expect(label.metrics["provider_calls"] == .int(Self.labelled))
            #expect(try pipeline.rowCounts("a") == (Self.generated, Self.labelled))
            #expect(try pipeline.labelsAreRight("a"))
            // Every kind of fault was injected, and the client said it retried.
            let injected = plan.injected
            #expect(Set(injected.keys) == Set(InjectedFault.allCases), "injected: \(injected)")
            #expect(plan.stormHits == 8)
            #expect(workspace.fixture.reporter.logs.contains { $0.contains("; retry 1 of 11 in") })
            // Every call got its answer, and none that got it in good time was asked again.
            #expect(Set(plan.goodDeliveries(server, within: .seconds(3600))).count == Self.generated / 5 + Self.labelled)
            let good = plan.goodDeliveries(server)
            #expect(Set(good).count == good.count)

            plan.isHealthy = true
            let before = server.statistics.requestCount
            let (again, labelAgain) = try await pipeline.run("b")
            #expect(server.statistics.requestCount == before)
            #expect(again.metrics["cached_calls"] == .int(Self.generated / 5))
            #expect(labelAgain.metrics["cached_calls"] == .int(Self.labelled))
            #expect(try workspace.fixture.read("out-a/rows.jsonl") == workspace.fixture.read("out-b/rows.jsonl"))
        }
    }

    /// A fault that never clears, on the fourth call of the generation or of the labelling, and the
    /// words its message must hold.
    static let persistentCases: [(InjectedFault, FaultPlan.Phase, [String])] = [
        (.rateLimited, .generate, ["HTTP 429: Rate limit reached", "gave up after 4 attempts", "lower requests_per_minute"]),
        (.rateLimitedWithoutHint, .generate, ["HTTP 429", "gave up after 4 attempts", "lower requests_per_minute"]),
        (.internalError, .generate, ["HTTP 500: The server had an error", "gave up after 4 attempts"]),
        (.badGateway, .label, ["HTTP 502: <html><body>502 Bad Gateway", "gave up after 4 attempts"]),
        (.unavailable, .generate, ["HTTP 503: The engine is currently overloaded", "gave up after 4 attempts"]),
        (.hang, .label, ["no answer within 2 s", "gave up after 4 attempts", "raise the provider's timeout"]),
        (.dripPastTimeout, .generate, ["no answer within 2 s", "gave up after 4 attempts"]),
        (.invalidJSON, .generate, ["the response body is not JSON", "gave up after 4 attempts", "OpenAI-compatible /v1 endpoint"]),
        (.truncated, .label, ["the response ended before its declared length", "gave up after 4 attempts"]),
        (.wrongShape, .generate, ["the response has no choices[0].message", "gave up after 4 attempts"]),
    ]

    @Test("a fault that never clears fails the stage naming it and the remedy; the rerun repeats no answered call",
          arguments: persistentCases)
    func persistentFault(fault: InjectedFault, phase: FaultPlan.Phase, words: [String]) async throws {
        let plan = FaultPlan(seed: 11, storm: 0..<0, persistent: (fault, phase))
        let workspace = try GenerateWorkspace()
        defer { workspace.remove() }
        let retries = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(2), maxDelay: .milliseconds(20))
        try await withImmediateServer({ plan.reply(to: $0) }) { server in
            let pipeline = FaultPipeline(workspace: workspace, server: server, retries: retries)
            var caught: TaskError?
            do {
                _ = try await pipeline.run("a")
            } catch let error as TaskError {
                caught = error
            }
            let error = try #require(caught, "the \(fault) fault should fail the \(phase) stage")
            let stage = phase == .generate ? "generate: " : "demo/run/label: "
            #expect(error.message.hasPrefix(stage), "\(error)")
            #expect(error.message.contains("POST \(server.baseURL)/chat/completions"), "\(error)")
            // On a starved machine (the whole suite on 2 cores) the client's timer can fire before a
            // fast fault is read; "no answer within" is then the honest message for that attempt.
            let starved = error.description.contains("no answer within \(Int(ProviderFaultTests.timeout)) s")
            for word in words where !(starved && word == words.first) {
                #expect(error.description.contains(word), "\(error)")
            }
            #expect(error.remedy?.hasSuffix("answers already received are cached: rerun to resume") == true, "\(error)")
            let answered = Set(plan.goodDeliveries(server))
            #expect(!answered.isEmpty)

            // The provider recovers: the rerun finishes and asks nothing that was answered.
            plan.isHealthy = true
            let before = server.statistics.requestCount
            _ = try await pipeline.run("b")
            let asked = server.statistics.requestBodies.dropFirst(before)
            #expect(asked.filter(answered.contains).isEmpty)
            #expect(try pipeline.rowCounts("b") == (Self.generated, Self.labelled))
            #expect(try pipeline.labelsAreRight("b"))
        }
    }
}

/// Runs `body` with a scripted server that answers on its event loop, then stops it.
func withImmediateServer<T: Sendable>(
    _ script: @escaping ScriptedServer.ImmediateScript, _ body: (ScriptedServer) async throws -> T
) async throws -> T {
    try await withStarted(ScriptedServer.start(immediate: script), body)
}

/// Generates rows, strips their labels from the first 16 and has the judge label those, through
/// one memo folder, as a run's `generate` and `label` stages would.
struct FaultPipeline {
    let workspace: GenerateWorkspace
    let server: ScriptedServer
    let retries: RetryPolicy

    var provider: JSONValue {
        [
            "name": "faulty", "kind": "openai-compatible", "base_url": .string(server.baseURL), "model": "tiny",
            "max_concurrency": 4, "temperature": 0.7, "timeout": .double(ProviderFaultTests.timeout),
        ]
    }

    /// Runs both stages, writing `out-<run>/rows.jsonl` and `out-<run>/labelled.jsonl`.
    func run(_ run: String) async throws -> (generate: StageResult, label: StageResult) {
        let generate = try await GenerateData(retryPolicy: retries).run(
            workspace.context(provider: provider, settings: ["count": .int(ProviderFaultTests.generated), "examples_per_call": 5], run: run))
        let rows = try DatasetRows.read(from: workspace.fixture.url("out-\(run)/rows.jsonl"))
        let unlabelled = rows.prefix(ProviderFaultTests.labelled).map { row in
            var row = row
            row.label = nil
            return row
        }
        try DatasetRows.write(Array(unlabelled), to: workspace.fixture.url("out-\(run)/unlabelled.jsonl"))
        var context = try workspace.fixture.context(
            stage: "demo/run/label", params: ["metric": GenerateWorkspace.metric, "provider": provider],
            inputs: ["rows": workspace.fixture.url("out-\(run)/unlabelled.jsonl")],
            outputs: ["rows": "out-\(run)/labelled.jsonl"])
        context.memo = workspace.memo
        let label = try await LabelRows(retryPolicy: retries).run(context)
        return (generate, label)
    }

    func rowCounts(_ run: String) throws -> (Int, Int) {
        (try DatasetRows.read(from: workspace.fixture.url("out-\(run)/rows.jsonl")).count,
         try DatasetRows.read(from: workspace.fixture.url("out-\(run)/labelled.jsonl")).count)
    }

    /// Whether every labelled row got the label its generated twin had.
    func labelsAreRight(_ run: String) throws -> Bool {
        let generated = try DatasetRows.read(from: workspace.fixture.url("out-\(run)/rows.jsonl"))
        let labelled = try DatasetRows.read(from: workspace.fixture.url("out-\(run)/labelled.jsonl"))
        return labelled.map(\.label) == generated.prefix(labelled.count).map(\.label)
    }
}

/// One way a provider call goes wrong.
enum InjectedFault: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case rateLimited, rateLimitedWithoutHint, rateLimitedPastDate, internalError, badGateway, unavailable, hang
    case dripPastTimeout, invalidJSON, truncated, wrongShape, slowDrip
    /// Not injected per body: a 429 during the storm.
    case storm

    /// Faults a call may meet and still succeed once they pass.
    static var allCases: [InjectedFault] {
        [.rateLimited, .rateLimitedWithoutHint, .rateLimitedPastDate, .internalError, .badGateway, .unavailable, .hang,
         .dripPastTimeout, .invalidJSON, .truncated, .wrongShape, .slowDrip]
    }

    var testDescription: String { rawValue }

    /// The server's reply when this fault hits a call whose right answer is `answer`.
    func reply(answer: ScriptedReply) -> ScriptedReply {
        let timeout = Duration.seconds(ProviderFaultTests.timeout)
        let json = [("Content-Type", "application/json")]
        switch self {
        case .rateLimited, .storm:
            return ScriptedReply(
                status: 429, headers: json + [("Retry-After", "0")],
                body: Data(#"{"error":{"message":"Rate limit reached for requests","type":"requests"}}"#.utf8))
        case .rateLimitedWithoutHint:
            return ScriptedReply(status: 429, body: Data(#"{"error":{"message":"Too many requests"}}"#.utf8))
        case .rateLimitedPastDate:
            return ScriptedReply(
                status: 429, headers: json + [("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")],
                body: Data(#"{"error":"slow down"}"#.utf8))
        case .internalError:
            return .json(#"{"error":{"message":"The server had an error while processing your request"}}"#, status: 500)
        case .badGateway:
            return ScriptedReply(
                status: 502, headers: [("Content-Type", "text/html")], body: Data("<html><body>502 Bad Gateway</body></html>".utf8))
        case .unavailable:
            return .json(#"{"error":{"message":"The engine is currently overloaded, please try again later"}}"#, status: 503)
        case .hang:
            var reply = answer
            reply.delay = timeout * 3
            return reply
        case .dripPastTimeout:
            var reply = answer
            // 8 s in all against the 2 s timeout: a late timer (a starved pool) must not let it finish.
            reply.drip = .init(chunkBytes: max(1, answer.body.count / 8), pause: timeout / 2)
            return reply
        case .invalidJSON:
            return ScriptedReply(headers: [("Content-Type", "text/html")], body: Data("<html><body>Welcome to nginx!</body></html>".utf8))
        case .truncated:
            return ScriptedReply(body: answer.body.prefix(answer.body.count / 2), truncate: true)
        case .wrongShape:
            return .json(#"{"object":"list","data":[{"id":"tiny","object":"model"}]}"#)
        case .slowDrip:
            var reply = answer
            reply.drip = .init(chunkBytes: 48, pause: .milliseconds(3))
            return reply
        }
    }
}

/// Decides how the scripted server answers each request, deterministically from a seed.
///
/// Distinct request bodies are ranked by first arrival, per phase. The body of rank *r* meets the
/// fault `allCases[r mod 12]` first, then, one time in three (by the seed and *r*), one more; then it
/// gets its right answer. Requests whose arrival index falls in `storm` get a 429 whatever their
/// body. With `persistent`, the fourth body of that phase meets that fault on every attempt.
/// Once ``isHealthy`` is set, every request gets its right answer.
final class FaultPlan: @unchecked Sendable {
    enum Phase: String, Sendable, CustomTestStringConvertible {
        case generate, label
        var testDescription: String { rawValue }
    }

    let seed: UInt64
    let storm: Range<Int>
    let persistent: (fault: InjectedFault, phase: Phase)?
    private let lock = NSLock()
    private var ranks: [String: Int] = [:]  // guarded by lock
    private var ranked: [Phase: Int] = [:]
    private var attempts: [String: Int] = [:]
    private var counts: [InjectedFault: Int] = [:]
    private var storms = 0
    private var healthy = false

    init(seed: UInt64, storm: Range<Int>, persistent: (InjectedFault, Phase)? = nil) {
        self.seed = seed
        self.storm = storm
        self.persistent = persistent.map { (fault: $0.0, phase: $0.1) }
    }

    var isHealthy: Bool {
        get { lock.withLock { healthy } }
        set { lock.withLock { healthy = newValue } }
    }

    /// How many times each fault was injected (the storm apart).
    var injected: [InjectedFault: Int] { lock.withLock { counts } }
    var stormHits: Int { lock.withLock { storms } }

    func reply(to request: ScriptedRequest) -> ScriptedReply {
        let prompt = ScriptedLLM.lastUserMessage(request)
        let phase: Phase = prompt.contains(" new examples") ? .generate : .label
        let answer = phase == .generate ? ScriptedLLM.generateAnswer(request) : Self.judge(prompt)
        let fault: InjectedFault? = lock.withLock {
            if healthy { return nil }
            if storm.contains(request.index) {
                storms += 1
                return .storm
            }
            let body = request.bodyText
            let rank: Int
            if let known = ranks[body] {
                rank = known
            } else {
                rank = ranked[phase, default: 0]
                ranked[phase] = rank + 1
                ranks[body] = rank
            }
            let attempt = attempts[body, default: 0]
            attempts[body] = attempt + 1
            if let persistent, persistent.phase == phase, rank == 3 { return persistent.fault }
            let faults = plannedFaults(rank: rank, phase: phase)
            guard attempt < faults.count else { return nil }
            counts[faults[attempt], default: 0] += 1
            return faults[attempt]
        }
        return fault?.reply(answer: answer) ?? answer
    }

    /// The faults the body of `rank` meets before its answer.
    private func plannedFaults(rank: Int, phase: Phase) -> [InjectedFault] {
        let all = InjectedFault.allCases
        let offset = phase == .generate ? 0 : 5
        var generator = SeededGenerator(seed: seed &* 1_000_003 &+ UInt64(rank + offset))
        var faults = [all[(rank + offset) % all.count]]
        if generator.next() % 3 == 0 { faults.append(all[Int(generator.next() % UInt64(all.count))]) }
        // A slow drip is an answer: it ends the list.
        if let drip = faults.firstIndex(of: .slowDrip) { faults = Array(faults[...drip]) }
        return faults
    }

    /// A judge's verdict on a generated row: its text says which label it was written for.
    static func judge(_ prompt: String) -> ScriptedReply {
        let label = prompt.contains("synthetic true") ? "true" : "false"
        return .chat(#"{"label": \#(label), "rationale": "The message was written to be \#(label == "true" ? "toxic" : "harmless")."}"#)
    }

    /// Request bodies the server answered whole, with a chat completion the client accepts, within
    /// `limit` of the request's arrival (by default half the client's timeout: an answer finished
    /// later may have crossed the client giving up, on a busy machine).
    func goodDeliveries(_ server: ScriptedServer, within limit: Duration = .seconds(ProviderFaultTests.timeout / 2)) -> [String] {
        server.statistics.deliveries.filter { delivery in
            delivery.status == 200 && delivery.elapsed < limit
                && (try? JSONValue.parse(delivery.replyBody))?["choices"]?.arrayValue?.first?["message"] != nil
        }.map(\.requestBody)
    }
}
