import Basics
import Foundation
import _TestSupport
import Testing
import Workspace

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `lunette serve` as a user starts it: the listening line, the token, scoring, a clean stop.
@Suite("lunette serve as a process", .serialized)
struct ServeProcessTests {
    static func request(
        _ url: String, method: String = "GET", body: String? = nil, token: String? = nil
    ) async throws -> (status: Int, text: String) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test("serve prints where it listens, loads --metrics at start, wants the token, scores, and stops cleanly on SIGTERM")
    func serve() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try TinyModel.write(to: workspace.models.appendingPathComponent("minilm-l6"))
        var manifest = try workspace.read("workflows/shop.yaml")
        manifest = manifest.replacingOccurrences(of: "train: { epochs: 3 }", with: "train: { mode: head }")
        try workspace.write(manifest, to: "workflows/shop.yaml")
        let report = try #require(try await workspace.workspace([]).run(RunRequest(targets: ["shop/tone-b"])).report)
        #expect(report.failed.isEmpty)

        let token = "serve-test-\(UUID().uuidString)"
        let serve = try ServeProcess.start(
            ["--port", "0", "--metrics", "polite@1", "--token-env", "SERVE_TEST_TOKEN", "--batch-window", "2.5"], in: workspace,
            extra: ["SERVE_TEST_TOKEN": token])
        let port = serve.port
        let base = "http://127.0.0.1:\(port)"
        #expect(try await Self.request(base + "/healthz").status == 200)
        let refused = try await Self.request(base + "/v1/metrics")
        #expect(refused.status == 401)
        #expect(!refused.text.contains(token))
        let scored = try await Self.request(
            base + "/v1/metrics/polite@1/score", method: "POST",
            body: #"{"rows":[{"input":"Thank you so much"},{"input":"Fix it now"}]}"#, token: token)
        #expect(scored.status == 200, "\(scored.text)")
        let scores = try JSONValue.parse(scored.text)["scores"]?.arrayValue
        #expect(scores?.count == 2)

        let stopped = serve.stop()
        #expect(stopped.status == 0, "serve should exit 0 on SIGTERM: \(stopped.error)")
        #expect(stopped.error.contains("loaded polite@1"), "\(stopped.error)")
        #expect(!stopped.error.contains(token) && !stopped.output.contains(token))
    }

    @Test("a --batch-window outside 0…1000 ms is refused with the range to use")
    func badBatchWindow() throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        let result = try ProcessTests.run(["serve", "--port", "0", "--batch-window=-5"], in: workspace)
        #expect(result.status == 2, "\(result.error)")
        #expect(result.error.contains("--batch-window -5.0: give milliseconds from 0 to 1000 (default 0)"), "\(result.error)")
    }
}
