import Basics
import Foundation
import _TestSupport
import Testing

/// `lunette serve` as a user runs it, under abuse: off loopback it insists on a token, and its
/// memory stays bounded while it refuses oversized bodies by the thousand.
@Suite("lunette serve as a process under abuse", .serialized)
struct ServeAbuseProcessTests {
    /// Oversized bodies in the memory test: `LUNETTE_ABUSE_BODIES`, else 1,000 (`scripts/serve-abuse` sends more).
    static var bodyCount: Int { Int(ProcessInfo.processInfo.environment["LUNETTE_ABUSE_BODIES"] ?? "") ?? 1000 }

    /// A workspace whose `polite@1` was trained (on the tiny encoder) and registered by the binary.
    static func registeredWorkspace() throws -> CaseWorkspace {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        try TinyModel.write(to: workspace.models.appendingPathComponent("minilm-l6"))
        let text = try workspace.read("workflows/shop.yaml").replacingOccurrences(of: "train: { epochs: 3 }", with: "train: { mode: head }")
        try workspace.write(text, to: "workflows/shop.yaml")
        let run = try ProcessTests.run(["run", "shop/tone-b"], in: workspace, extra: ["LUNETTE_THREADS": "1"])
        guard run.status == 0 else { throw ServeFailure(description: "the fixture's run failed: \(run.output)\(run.error)") }
        return workspace
    }

    @Test("off loopback, serve needs a token that is set; with one, every route but the health checks needs it")
    func tokenOffLoopback() async throws {
        let workspace = try CaseWorkspace("incremental", project: "shop")
        let refused = try await RawHTTPConnection.offPool { try ProcessTests.run(["serve", "--host", "0.0.0.0", "--port", "0"], in: workspace) }
        #expect(refused.error.contains("refusing to listen on 0.0.0.0 without a token"), "\(refused.error)")
        let unset = try await RawHTTPConnection.offPool {
            try ProcessTests.run(["serve", "--host", "0.0.0.0", "--port", "0", "--token-env", "LUNETTE_UNSET_TOKEN"], in: workspace)
        }
        #expect(unset.status != 0)
        #expect(unset.error.contains("--token-env LUNETTE_UNSET_TOKEN: the variable is not set or empty"), "\(unset.error)")

        let token = "serve-token-\(UUID().uuidString)"
        let serve = try await RawHTTPConnection.offPool {
            try ServeProcess.start(["--host", "0.0.0.0", "--port", "0", "--token-env", "SERVE_TOKEN"], in: workspace, extra: ["SERVE_TOKEN": token])
        }
        let port = serve.port
        let statuses = try await RawHTTPConnection.offPool {
            func status(_ path: String, _ authorization: String?) throws -> Int {
                let socket = try RawHTTPConnection(port: port)
                try socket.send(RawHTTPConnection.request("GET", path, headers: authorization.map { [("Authorization", $0)] } ?? []))
                return try socket.readResponse().status
            }
            return [
                try status("/healthz", nil), try status("/v1/metrics", nil), try status("/v1/metrics", "Bearer wrong"),
                try status("/v1/metrics", "Bearer \(token)"), try status("/metrics", nil), try status("/", nil),
            ]
        }
        let stopped = try await RawHTTPConnection.offPool { serve.stop() }
        #expect(statuses == [200, 401, 401, 200, 401, 401])
        #expect(!(stopped.output + stopped.error).contains(token))
    }

    @Test("resident memory grows less than 100 MB over 1,000 rejected bodies of over 1 MiB, and the server still answers")
    func memoryStaysBounded() async throws {
        let workspace = try await RawHTTPConnection.offPool { try Self.registeredWorkspace() }
        let serve = try await RawHTTPConnection.offPool {
            try ServeProcess.start(["--port", "0", "--metrics", "polite"], in: workspace, extra: ["LUNETTE_THREADS": "1"])
        }
        let port = serve.port
        // Warm up: good requests and a few of each oversized kind.
        _ = try await Self.burst(port: port, count: 48, connections: 8)
        let baseline = try #require(serve.residentBytes)
        let peak = PeakSampler(serve)
        let started = ContinuousClock.now
        let answers = try await Self.burst(port: port, count: Self.bodyCount, connections: 8)
        let elapsed = ContinuousClock.now - started
        let highest = peak.stop()
        let after = try #require(serve.residentBytes)
        let health = try await RawHTTPConnection.offPool {
            let socket = try RawHTTPConnection(port: port)
            try socket.send(Self.good)
            return try socket.readResponse().status
        }
        let stopped = try await RawHTTPConnection.offPool { serve.stop() }
        #expect(answers == Array(repeating: 413, count: Self.bodyCount), "\(Set(answers))")
        #expect(health == 200)
        #expect(after - baseline < 100 << 20, "RSS \(baseline >> 20) MiB before, \(after >> 20) MiB after")
        #expect(stopped.status == 0, "\(stopped.error)")
        print(
            "memory: \(Self.bodyCount) oversized bodies in \(elapsed); RSS \(baseline >> 20) MiB before, peak \(highest >> 20) MiB, "
                + "\(after >> 20) MiB after")
    }

    static let good = RawHTTPConnection.request(
        "POST", "/v1/metrics/polite/score", headers: [("Content-Type", "application/json")],
        body: Array(#"{"rows":[{"input":"thank you"}]}"#.utf8))

    /// `count` oversized requests over `connections` keep-alive connections, alternating a declared
    /// 1.5 MiB body (refused from its `Content-Length`) and a chunked 1.1 MiB one (refused once
    /// 1 MiB has been read); returns the statuses.
    static func burst(port: Int, count: Int, connections: Int) async throws -> [Int] {
        try await withThrowingTaskGroup(of: [Int].self) { group in
            for connection in 0..<connections {
                group.addTask {
                    try await RawHTTPConnection.offPool {
                        let socket = try RawHTTPConnection(port: port, timeout: 60)
                        var statuses: [Int] = []
                        for index in stride(from: connection, to: count, by: connections) {
                            if index % 2 == 0 {
                                try socket.send(
                                    RawHTTPConnection.request(
                                        "POST", "/v1/metrics/polite/score", headers: [("Content-Type", "application/json")],
                                        body: declared))
                            } else {
                                try socket.send(chunkedHead)
                                for _ in 0..<chunkCount { try socket.send(chunk) }
                                try socket.send(Array("0\r\n\r\n".utf8))
                            }
                            statuses.append(try socket.readResponse().status)
                        }
                        return statuses
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    static let declared = Array(#"{"rows":[{"input":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 3 << 19) + Array(#""}]}"#.utf8)
    static let chunkedHead = Array(
        "POST /v1/metrics/polite/score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
    static let chunkCount = 18
    static let chunk = Array("10000\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "b"), count: 1 << 16) + Array("\r\n".utf8)
}

/// Samples a process's resident memory every 50 ms until stopped; keeps the highest.
final class PeakSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var highest = 0
    private var running = true

    init(_ serve: ServeProcess) {
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                if let bytes = serve.residentBytes { lock.withLock { highest = max(highest, bytes) } }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        thread.start()
    }

    /// Stops sampling; the highest resident size seen, in bytes.
    func stop() -> Int { lock.withLock { running = false; return highest } }
}
