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
    /// Stderr collected while the process runs.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
    }

    /// Waits (up to 60 s) for the `listening on http://HOST:PORT/` line and returns the port.
    static func port(from collected: Collected, process: Process) async throws -> Int {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let text = collected.text
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), text[range.upperBound...].dropFirst(digits.count).hasPrefix("/") { return port }
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CancellationError()
    }

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
        let process = Process()
        process.executableURL = ProcessTests.binary
        process.arguments = ["serve", "--port", "0", "--metrics", "polite@1", "--token-env", "SERVE_TEST_TOKEN"]
        process.currentDirectoryURL = workspace.root
        process.environment = workspace.environment.merging(["SERVE_TEST_TOKEN": token]) { _, new in new }
        let errors = Pipe()
        let collected = Collected()
        errors.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let port = try await Self.port(from: collected, process: process)
        #expect(collected.text.contains("loaded polite@1"), "\(collected.text)")
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

        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "serve should stop within 20 s of SIGTERM")
        process.waitUntilExit()
        errors.fileHandleForReading.readabilityHandler = nil
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(collected.text)")
        #expect(!collected.text.contains(token))
    }

    @Test("serve on a non-loopback address without --token-env refuses to start and says how to fix it")
    func tokenRequiredOffLoopback() throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        let result = try ProcessTests.run(["serve", "--host", "0.0.0.0", "--port", "0"], in: workspace)
        #expect(result.status != 0)
        #expect(result.error.contains("--token-env"), "\(result.error)")
    }
}
