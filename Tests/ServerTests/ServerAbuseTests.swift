import Basics
import Foundation
import _TestSupport
import Scoring
import TaskTypes
import Testing
import Workspace
@testable import Server

/// The scoring server under load from clients that misbehave: malformed and oversized requests
/// mixed in with good ones, heads and bodies dribbled a byte at a time.
@Suite("The scoring server under abuse", .serialized)
struct ServerAbuseTests {
    /// One request of the load mix and the answer it must get.
    struct Probe: Sendable {
        var name: String
        var bytes: [UInt8]
        var status: Int
        /// The `error.code` of a refusal; `nil` for a good request.
        var code: String?
        /// For a good request: the texts scored, in order.
        var texts: [String] = []
    }

    static let texts = [
        "Thank you so much for your help", "This is useless, fix it now", "Would you mind resending the file",
        "Answer me already", "Could you please check my order", "whatever, do it yourself",
    ]
    static let limits = ServerConfiguration(maxBodyBytes: 32 << 10, maxRowsPerRequest: 20)

    static func post(_ path: String, _ body: [UInt8], headers: [(String, String)] = []) -> [UInt8] {
        RawHTTPConnection.request("POST", path, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    /// The `index`th request of the mix (a seeded choice among good and bad kinds).
    static func probe(_ index: Int, generator: inout SeededGenerator) -> Probe {
        let score = "/v1/metrics/polite/score"
        switch generator.next() % 12 {
        case 0, 1, 2, 3, 4:
            let count = Int(generator.next() % 3) + 1
            let chosen = (0..<count).map { _ in texts[Int(generator.next() % UInt64(texts.count))] }
            let body = JSONValue.object(["rows": .array(chosen.map { ["input": .string($0)] })]).canonicalData
            return Probe(name: "good", bytes: post(score, Array(body)), status: 200, code: nil, texts: chosen)
        case 5:
            return Probe(name: "malformed JSON", bytes: post(score, Array("{\"rows\": [{\"input\": \"unterminated".utf8)), status: 400, code: "invalid_json")
        case 6:
            let bodies = [#"{"rows": 5}"#, #"{"row": []}"#, #"[{"input": "x"}]"#, #""rows""#]
            return Probe(
                name: "wrong shape", bytes: post(score, Array(bodies[Int(generator.next() % 4)].utf8)), status: 400,
                code: "invalid_request")
        case 7:
            return Probe(name: "bad row", bytes: post(score, Array(#"{"rows": [{"input": "ok"}, 7, {"text": "x"}]}"#.utf8)), status: 400, code: "invalid_row")
        case 8:
            let body = Array(#"{"rows": [{"input": ""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: (32 << 10) + 100) + Array(#""}]}"#.utf8)
            return Probe(name: "oversized body", bytes: post(score, body), status: 413, code: "too_large")
        case 9:
            let body = JSONValue.object(["rows": .array(Array(repeating: ["input": "hi"], count: 21 + Int(generator.next() % 500)))]).canonicalData
            return Probe(name: "too many rows", bytes: post(score, Array(body)), status: 413, code: "too_many_rows")
        case 10:
            return Probe(name: "unknown metric", bytes: post("/v1/metrics/impolite/score", Array(#"{"rows": []}"#.utf8)), status: 404, code: "unknown_metric")
        default:
            let garbage = (0..<64).map { _ in UInt8(truncatingIfNeeded: generator.next() | 0x80) }
            return Probe(name: "binary body", bytes: post(score, garbage), status: 400, code: "invalid_json")
        }
    }

    /// Requests in the load test: `LUNETTE_ABUSE_REQUESTS`, else 1,000 (`scripts/serve-abuse` sends more).
    static var requestCount: Int { max(8, Int(ProcessInfo.processInfo.environment["LUNETTE_ABUSE_REQUESTS"] ?? "") ?? 1000) }

    @Test("1,000 requests over 8 connections, 7 in 12 of them bad: every one gets its answer, and the server stays up")
    func loadWithMalformedRequests() async throws {
        let fixture = try await ServerFixture.get()
        let server = try await RunningServer.start(Self.limits, fixture: fixture)
        defer { server.stop() }
        let model = try MetricModel(folder: try fixture.workspace.modelFolder(for: try fixture.workspace.registeredMetric("polite")))
        var expected: [String: [Float]] = [:]
        for text in Self.texts { expected[text] = try model.predictions(for: [CanonicalRow(row: 1, input: text)])[0].probabilities }
        let labels = model.info.labels
        let reference = expected
        let port = server.port
        let perConnection = Self.requestCount / 8
        let started = ContinuousClock.now
        let (outcomes, tally) = try await withThrowingTaskGroup(of: ([String], [String: Int]).self) { group in
            for connection in 0..<8 {
                group.addTask {
                    try await RawHTTPConnection.offPool {
                        var generator = SeededGenerator(seed: 1000 + connection)
                        // Generous: the whole suite runs in parallel and can stall this server for seconds.
                        let socket = try RawHTTPConnection(port: port, timeout: 120)
                        defer { socket.close() }
                        var problems: [String] = []
                        var kinds: [String: Int] = [:]
                        for index in 0..<perConnection {
                            let probe = Self.probe(index, generator: &generator)
                            try socket.send(probe.bytes)
                            let response = try socket.readResponse()
                            problems += Self.check(response, against: probe, expected: reference, labels: labels)
                            kinds[probe.name, default: 0] += 1
                        }
                        return (problems, kinds)
                    }
                }
            }
            var problems: [String] = []
            var kinds: [String: Int] = [:]
            for try await (found, counted) in group {
                problems += found
                kinds.merge(counted, uniquingKeysWith: +)
            }
            return (problems, kinds)
        }
        let elapsed = ContinuousClock.now - started
        #expect(outcomes.isEmpty, "\(outcomes.prefix(10))")
        // Requests that break HTTP itself get a 400 and a closed connection, and do not disturb the rest.
        for bytes in [Array("HELLO WORLD\r\n\r\n".utf8), RawHTTPConnection.request("GET", "/healthz", headers: [("X-Big", String(repeating: "h", count: 100 << 10))])] {
            let response = try await RawHTTPConnection.offPool {
                let socket = try RawHTTPConnection(port: port)
                defer { socket.close() }
                try socket.send(bytes)
                return (try? socket.readResponse())?.status ?? 0
            }
            #expect(response == 400 || response == 431 || response == 0, "\(response)")
        }
        #expect(try await server.request("/healthz").status == 200)
        let good = try await server.json("/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": "still here?"]]])
        #expect(good.status == 200)
        let metrics = try await server.request("/metrics").text
        #expect(metrics.contains("lunette_http_requests_total{route=\"score\",status=\"4xx\"}"))
        #expect(tally.count == 8 && tally.values.allSatisfy { $0 > 0 }, "\(tally)")
        print("load: \(perConnection * 8) mixed requests over 8 connections in \(elapsed): \(tally.sorted { $0.key < $1.key })")
    }

    /// What is wrong with `response` as the answer to `probe` (nothing: empty).
    static func check(_ response: RawHTTPConnection.Response, against probe: Probe, expected: [String: [Float]], labels: [String]) -> [String] {
        guard response.status == probe.status else { return ["\(probe.name): status \(response.status), want \(probe.status): \(response.text.prefix(200))"] }
        guard response.headers["content-type"]?.hasPrefix("application/json") == true, let body = try? JSONValue.parse(response.body) else {
            return ["\(probe.name): not JSON: \(response.text.prefix(200))"]
        }
        if let code = probe.code {
            return body["error"]?["code"]?.stringValue == code && body["error"]?["message"]?.stringValue?.isEmpty == false
                ? [] : ["\(probe.name): error \(body.canonicalText.prefix(200)), want code \(code)"]
        }
        guard body["metric"] == "polite@1", let scores = body["scores"]?.arrayValue, scores.count == probe.texts.count else {
            return ["good: \(body.canonicalText.prefix(200))"]
        }
        for (score, text) in zip(scores, probe.texts) {
            for (index, label) in labels.enumerated() {
                guard let served = score["probabilities"]?[label]?.doubleValue, let want = expected[text]?[index],
                    abs(served - Double(want)) < 1e-4
                else { return ["good: \(text) scored \(score.canonicalText), want \(expected[text] ?? [])"] }
            }
        }
        return []
    }

    @Test("heads and bodies dribbled a byte at a time are cut off while normal requests are answered")
    func slowClients() async throws {
        let fixture = try await ServerFixture.get()
        var configuration = ServerConfiguration()
        configuration.idleTimeout = .seconds(1)
        configuration.requestBodyTimeout = .seconds(2)
        let server = try await RunningServer.start(configuration, fixture: fixture)
        defer { server.stop() }
        let port = server.port
        _ = try await server.json("/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": "warm up"]]])

        // 32 connections send half a head, 32 a head and then a body, each a byte every 100 ms.
        let slow = Task {
            try await RawHTTPConnection.offPool { () -> [Double] in
                let start = Date()
                var sockets: [(RawHTTPConnection, closedAt: Double?)] = []
                for index in 0..<64 {
                    let socket = try RawHTTPConnection(port: port)
                    if index < 32 {
                        try socket.send("POST /v1/metrics/polite/score HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                    } else {
                        try socket.send(RawHTTPConnection.request("POST", "/v1/metrics/polite/score", headers: [("Content-Length", "100000")]))
                        try socket.send("{\"rows\": [")
                    }
                    sockets.append((socket, nil))
                }
                while Date().timeIntervalSince(start) < 8, sockets.contains(where: { $0.closedAt == nil }) {
                    for index in sockets.indices where sockets[index].closedAt == nil {
                        let socket = sockets[index].0
                        if (try? socket.send(index < 32 ? "a" : " ")) == nil || socket.isClosedByPeer(within: 0.001) {
                            sockets[index].closedAt = Date().timeIntervalSince(start)
                        }
                    }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                for (socket, _) in sockets { socket.close() }
                return sockets.map { $0.closedAt ?? .infinity }
            }
        }
        // Meanwhile, normal requests are answered promptly.
        try await Task.sleep(for: .milliseconds(200))
        var slowest = Duration.zero
        for index in 0..<20 {
            let clock = ContinuousClock.now
            // A new connection each time: with a 1 s idle timeout, a kept-alive one can be closed by the
            // server between two requests on a starved machine, and the reuse then reads a reset.
            let answer = try await server.json(
                "/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": .string("row \(index)")]]], closeConnection: true)
            #expect(answer.status == 200)
            slowest = max(slowest, ContinuousClock.now - clock)
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(slowest < .seconds(10), "slowest normal request: \(slowest)")
        let closedAt = try await slow.value
        let heads = closedAt.prefix(32), bodies = closedAt.suffix(32)
        // Upper bounds are loose: the whole suite on 2 cores delays the server's timers.
        #expect(heads.allSatisfy { $0 >= 0.8 && $0 < 10 }, "half heads closed at \(heads)")
        #expect(bodies.allSatisfy { $0 >= 1.8 && $0 < 10 }, "dribbled bodies closed at \(bodies)")
        #expect(try await server.request("/healthz").status == 200)
        print("slow clients: heads closed after \(heads.max() ?? 0) s, bodies after \(bodies.max() ?? 0) s; slowest normal request \(slowest)")
    }

    @Test("timeouts must be positive")
    func timeoutsArePositive() throws {
        var configuration = ServerConfiguration()
        configuration.idleTimeout = .zero
        #expect(throws: ServerConfigurationError.self) { try configuration.validate() }
        configuration.idleTimeout = .seconds(1)
        configuration.requestBodyTimeout = .zero
        #expect(throws: ServerConfigurationError.self) { try configuration.validate() }
    }
}
