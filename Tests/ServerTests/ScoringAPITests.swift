import Basics
import Foundation
import Scoring
import TaskTypes
import Testing
import Workspace
@testable import Server

@Suite("The scoring API over real HTTP", .serialized)
struct ScoringAPITests {
    static let rows: [JSONValue] = [
        ["input": "Thank you so much for your help"], ["input": "This is useless, fix it now"],
        ["input": "Would you mind resending the file", "id": "r3"],
    ]

    @Test("scores equal MetricModel's, in order, and the metric list describes polite")
    func scores() async throws {
        let fixture = try await ServerFixture.get()
        let server = try await RunningServer.start(fixture: fixture)
        defer { server.stop() }
        let (status, body) = try await server.json("/v1/metrics/polite/score", method: "POST", json: ["rows": .array(Self.rows)])
        #expect(status == 200, "\(body.canonicalText)")
        #expect(body["metric"]?.stringValue == "polite@1")
        let model = try MetricModel(folder: try fixture.workspace.modelFolder(for: try fixture.workspace.registeredMetric("polite")))
        let expected = try model.predictions(
            for: Self.rows.enumerated().map { CanonicalRow(row: $0.offset, input: $0.element["input"]?.stringValue) })
        let scores = try #require(body["scores"]?.arrayValue)
        #expect(scores.count == 3)
        for (score, prediction) in zip(scores, expected) {
            for (index, label) in model.info.labels.enumerated() {
                let served = try #require(score["probabilities"]?[label]?.doubleValue)
                #expect(abs(served - Double(prediction.probabilities[index])) < 1e-6)
            }
            let isBoolean = model.info.labels == ["false", "true"]
            #expect(score["score"] == (isBoolean ? .bool(prediction.label == "true") : .string(prediction.label)))
        }

        let (listStatus, list) = try await server.json("/v1/metrics")
        #expect(listStatus == 200)
        let polite = try #require(list["metrics"]?.arrayValue?.first)
        #expect(polite["name"]?.stringValue == "polite")
        #expect(polite["output"]?.stringValue == "boolean")
        #expect(polite["labels"]?.arrayValue?.map(\.displayText) == model.info.labels)
        #expect(polite["versions"]?.arrayValue?.first?["scores"]?["macro_f1"]?.doubleValue != nil)
        #expect(try await server.request("/healthz").status == 200)
        #expect(try await server.request("/readyz").status == 200)
    }

    @Test("bad rows, unknown metrics and oversized requests get JSON errors that say where")
    func errors() async throws {
        let fixture = try await ServerFixture.get()
        let server = try await RunningServer.start(ServerConfiguration(maxBodyBytes: 4096, maxRowsPerRequest: 3), fixture: fixture)
        defer { server.stop() }
        let bad = try await server.json(
            "/v1/metrics/polite/score", method: "POST",
            json: ["rows": [["input": "fine"], ["input": "fine"], ["inputs": "typo"], "not an object"]])
        #expect(bad.status == 413)  // four rows: over the limit of three, checked before the rows
        let invalid = try await server.json(
            "/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": "fine"], ["input": "fine"], ["inputs": "typo"]]])
        #expect(invalid.status == 400)
        #expect(invalid.value["error"]?["code"]?.stringValue == "invalid_row")
        #expect(invalid.value["error"]?["message"]?.stringValue?.hasPrefix("rows[2]: missing 'input'") == true)

        let unknown = try await server.json("/v1/metrics/polit/score", method: "POST", json: ["rows": []])
        #expect(unknown.status == 404)
        #expect(unknown.value["error"]?["code"]?.stringValue == "unknown_metric")
        #expect(unknown.value["error"]?["message"]?.stringValue?.contains("did you mean 'polite'?") == true)

        let many = try await server.json(
            "/v1/metrics/polite/score", method: "POST", json: ["rows": .array(Array(repeating: ["input": "hi"], count: 4))])
        #expect(many.status == 413)
        #expect(many.value["error"]?["code"]?.stringValue == "too_many_rows")

        let big = try await server.json(
            "/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": .string(String(repeating: "a", count: 5000))]]])
        #expect(big.status == 413)
        #expect(big.value["error"]?["code"]?.stringValue == "too_large")

        let garbage = try await server.request("/v1/metrics/polite/score", method: "POST", body: Data("{rows".utf8))
        #expect(garbage.status == 400)
        #expect(garbage.text.contains("invalid_json"))
    }

    @Test("an alias set while the server runs is used by the next request")
    func aliasMove() async throws {
        let fixture = try await ServerFixture.get()
        let server = try await RunningServer.start(fixture: fixture)
        defer { server.stop() }
        let alias = "staging-\(UUID().uuidString.prefix(6).lowercased())"
        let before = try await server.json("/v1/metrics/polite@\(alias)/score", method: "POST", json: ["rows": .array(Self.rows)])
        #expect(before.status == 404)
        _ = try fixture.workspace.setAlias(alias, for: "polite@1")
        let after = try await server.json("/v1/metrics/polite@\(alias)/score", method: "POST", json: ["rows": .array(Self.rows)])
        #expect(after.status == 200)
        #expect(after.value["metric"]?.stringValue == "polite@1")
        let list = try await server.json("/v1/metrics")
        #expect(list.value["metrics"]?.arrayValue?.first?["aliases"]?[alias]?.intValue == 1)
    }

    @Test("with a token, every request but the health checks must carry it; off loopback one is required")
    func token() async throws {
        let fixture = try await ServerFixture.get()
        #expect(throws: ServerConfigurationError.self) {
            try LunetteServer(workspace: fixture.workspace, configuration: ServerConfiguration(host: "0.0.0.0"))
        }
        _ = try LunetteServer(workspace: fixture.workspace, configuration: ServerConfiguration(host: "0.0.0.0", token: "t"))
        let server = try await RunningServer.start(ServerConfiguration(token: "s3cret"), fixture: fixture)
        defer { server.stop() }
        let denied = try await server.json("/v1/metrics")
        #expect(denied.status == 401)
        #expect(denied.value["error"]?["code"]?.stringValue == "unauthorized")
        #expect(try await server.json("/v1/metrics", token: "wrong").status == 401)
        #expect(try await server.json("/v1/metrics", token: "s3cret").status == 200)
        #expect(try await server.request("/healthz").status == 200)
        // The dashboard asks a browser for the token as a Basic password (URLSession on Linux waits
        // for credentials on that challenge, so curl checks it).
        #expect(await Self.curlStatus(server.base + "/") == "401")
        #expect(await Self.curlStatus(server.base + "/", user: "any:s3cret") == "200")
        #expect(tokensEqual("abc", "abc"))
        #expect(!tokensEqual("abc", "abd"))
        #expect(!tokensEqual("abc", "abcd"))
    }

    @Test("concurrent requests share batches; a full queue answers 503 with Retry-After")
    func batching() async throws {
        let fixture = try await ServerFixture.get()
        let server = try await RunningServer.start(ServerConfiguration(batchWindow: .milliseconds(100)), fixture: fixture)
        defer { server.stop() }
        _ = try await server.json("/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": "warm up"]]])
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await server.json("/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": .string("row \(index)")]]]).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 8))
        let text = try await server.request("/metrics").text
        let batches = Self.sample(text, "lunette_batch_rows_count")
        #expect(Self.sample(text, "lunette_rows_scored_total") == 9)
        #expect(batches.map { $0 < 9 } == true, "batches: \(batches.map(String.init(describing:)) ?? "none")")
        #expect(text.contains("lunette_model_load_seconds{metric=\"polite@1\"}"))
        #expect(text.contains("lunette_http_request_duration_seconds_bucket{route=\"score\""))

        let small = try await RunningServer.start(
            ServerConfiguration(maxRowsPerRequest: 2, maxQueuedRows: 2, batchWindow: .milliseconds(400)), fixture: fixture)
        defer { small.stop() }
        _ = try await small.json("/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": "warm up"]]])
        async let first = small.request("/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": "a"], ["input": "b"]]])
        try await Task.sleep(for: .milliseconds(100))
        let second = try await small.request("/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": "c"]]])
        #expect(try await first.status == 200)
        #expect(second.status == 503)
        #expect(second.headers["retry-after"] == "1")
        #expect(second.text.contains("overloaded"))
    }

    @Test("an idle model holds a lone request for the batch window, and not at all when the window is zero")
    func batchWindow() async throws {
        let fixture = try await ServerFixture.get()
        for (window, held) in [(Duration.seconds(2), true), (.zero, false)] {
            let server = try await RunningServer.start(ServerConfiguration(batchWindow: window), fixture: fixture)
            defer { server.stop() }
            _ = try await server.json("/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": "warm up"]]])
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try await server.json("/v1/metrics/polite/score", method: "POST", json: ["rows": [["input": "alone"]]])
            let elapsed = clock.now - start
            #expect(answer.status == 200)
            // A window never ends early; without one, a warm tiny model answers far within 2 s.
            #expect((elapsed >= .seconds(2)) == held, "window \(window): answered after \(elapsed)")
        }
    }

    /// The HTTP status curl gets for `url`, or "" when curl is missing.
    static func curlStatus(_ url: String, user: String? = nil) async -> String {
        // Off the cooperative pool: the server under test needs its threads to answer.
        await withCheckedContinuation { done in DispatchQueue.global().async { done.resume(returning: curlNow(url, user: user)) } }
    }

    private static func curlNow(_ url: String, user: String?) -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { return "" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + (user.map { ["-u", $0] } ?? []) + [url]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// The value of an unlabelled sample in Prometheus text.
    static func sample(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
