import Basics
import Foundation
import _TestSupport
import MLCore
import TaskTypes
import Testing
import Workspace
@testable import Server

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A temporary workspace (a copy of `Cases/incremental`) whose run `shop/tone-b` went through the
/// real pipeline on a tiny random encoder, so `polite@1` is registered. Built once per test process.
final class ServerFixture: Sendable {
    let root: URL
    let workspace: Workspace

    private static let shared = Task { try await ServerFixture() }

    /// The shared fixture.
    static func get() async throws -> ServerFixture { try await shared.value }

    private init() async throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Cases/incremental")
        root = FileManager.default.temporaryDirectory.appendingPathComponent("lunette-serve-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: root)
        let models = root.appendingPathComponent("models")
        try Self.writeTinyModel(to: models.appendingPathComponent("minilm-l6"))
        let manifest = root.appendingPathComponent("workflows/shop.yaml")
        let text = try String(contentsOf: manifest, encoding: .utf8)
            .replacingOccurrences(of: "train: { epochs: 3 }", with: "train: { mode: head }")
        try Data(text.utf8).write(to: manifest)
        var environment = ProcessInfo.processInfo.environment
        environment["LUNETTE_MODELS"] = models.path
        environment.removeValue(forKey: "LUNETTE_CACHE")
        workspace = Workspace(root: root, registry: .builtin, environment: environment)
        let summary = try await workspace.run(RunRequest(targets: ["shop/tone-b"]))
        let failed = summary.report?.failed ?? []
        guard failed.isEmpty else { throw FixtureError("the fixture's run failed: \(failed.map(\.status))") }
    }

    /// A 2-layer, hidden-32 random BERT written as transformers would.
    static func writeTinyModel(to folder: URL) throws { try TinyModel.write(to: folder) }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A server running on a free loopback port for the length of one test.
struct RunningServer {
    let port: Int
    let task: Task<Void, any Error>
    let server: LunetteServer

    /// Starts `configuration` (its port forced to 0) on the fixture's workspace.
    static func start(_ configuration: ServerConfiguration = ServerConfiguration(), fixture: ServerFixture) async throws -> RunningServer {
        var configuration = configuration
        configuration.port = 0
        let server = try LunetteServer(workspace: fixture.workspace, configuration: configuration)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run { port in continuation.yield(port) } }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw FixtureError("the server did not start") }
        return RunningServer(port: port, task: task, server: server)
    }

    func stop() { task.cancel() }

    var base: String { "http://127.0.0.1:\(port)" }

    /// Sends a request; returns the status, headers and body text.
    ///
    /// - Parameter closeConnection: Asks for `Connection: close`, so that the next request opens a new
    ///   connection instead of reusing one the server may have closed as idle meanwhile (a server with a
    ///   short idle timeout on a starved machine).
    func request(
        _ path: String, method: String = "GET", json: JSONValue? = nil, body: Data? = nil, token: String? = nil,
        closeConnection: Bool = false
    ) async throws -> (status: Int, headers: [String: String], text: String) {
        guard let url = URL(string: base + path) else { throw FixtureError("bad path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let json { request.httpBody = json.canonicalData }
        if let body { request.httpBody = body }
        if request.httpBody != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if closeConnection { request.setValue("close", forHTTPHeaderField: "Connection") }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw FixtureError("not an HTTP response") }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers[String(describing: key).lowercased()] = String(describing: value) }
        return (http.statusCode, headers, String(decoding: data, as: UTF8.self))
    }

    /// Sends a request and parses the JSON answer.
    func json(_ path: String, method: String = "GET", json: JSONValue? = nil, token: String? = nil,
              closeConnection: Bool = false) async throws -> (status: Int, value: JSONValue) {
        let answer = try await request(path, method: method, json: json, token: token, closeConnection: closeConnection)
        return (answer.status, try JSONValue.parse(answer.text))
    }
}
