import Foundation
import _TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A misbehaving S3 server for the fault tests: an HTTP proxy on loopback in front of a real one
/// (``MotoServer``) that forwards every request unless a rule injects a fault into it first.
///
/// ```swift
/// let proxy = try await S3FaultProxy.start(upstream: moto.endpoint)
/// proxy.inject(.status(500, code: "InternalError"), method: "PUT", matching: "/objects/", times: 3)
/// // lunette push against proxy.endpoint: three 500s, then moto answers.
/// ```
///
/// Requests are forwarded as they came (moto does not check signatures, so the proxy's own host in
/// the signed `Host` header is fine). Every request is logged with the fault it got, if any.
final class S3FaultProxy: @unchecked Sendable {
    /// What a matching request gets instead of the server's answer.
    enum Fault: Sendable, Hashable {
        /// An S3 error answer (`<Error><Code>…`), never forwarded.
        case status(Int, code: String)
        /// Forwarded, then half the answer's body is sent with a longer `Content-Length` and the
        /// connection is closed.
        case drop
        /// Never answered (the connection stays open and silent).
        case hang
        /// Forwarded, then the answer's body dripped 64 bytes at a time with this pause before each.
        case slow(Duration)
    }

    struct Rule {
        var method: String?
        var matching: String
        var fault: Fault
        var remaining: Int
    }

    struct Entry: Sendable {
        var method: String
        var uri: String
        var fault: Fault?
    }

    let upstream: String
    private let lock = NSLock()
    private var rules: [Rule] = []
    private var entries: [Entry] = []
    private var server: ScriptedServer?

    private init(upstream: String) {
        self.upstream = upstream
    }

    var endpoint: String { "http://127.0.0.1:\(server?.port ?? 0)" }

    /// Starts a proxy on a free loopback port forwarding to `upstream` (`http://127.0.0.1:PORT`).
    static func start(upstream: String) async throws -> S3FaultProxy {
        let proxy = S3FaultProxy(upstream: upstream)
        proxy.server = try await ScriptedServer.start { [proxy] request in await proxy.answer(request) }
        return proxy
    }

    func stop() async {
        try? await server?.stop()
    }

    /// Gives the next `times` requests whose method is `method` (any when nil) and whose path and
    /// query contain `matching` the `fault`; rules are tried in the order they were added.
    func inject(_ fault: Fault, method: String? = nil, matching: String = "", times: Int = 1) {
        lock.withLock { rules.append(Rule(method: method, matching: matching, fault: fault, remaining: times)) }
    }

    /// Drops every rule not used up yet.
    func clearFaults() {
        lock.withLock { rules.removeAll() }
    }

    /// Every request so far, in arrival order.
    var log: [Entry] { lock.withLock { entries } }

    /// Requests whose method is `method` and whose path and query contain `text`.
    func requests(_ method: String, containing text: String) -> [Entry] {
        log.filter { $0.method == method && $0.uri.contains(text) }
    }

    private func take(_ request: ScriptedRequest) -> Fault? {
        lock.withLock {
            let index = rules.firstIndex {
                $0.remaining > 0 && ($0.method == nil || $0.method == request.method)
                    && ($0.matching.isEmpty || request.uri.contains($0.matching))
            }
            let fault = index.map { rules[$0].fault }
            if let index { rules[index].remaining -= 1 }
            entries.append(Entry(method: request.method, uri: request.uri, fault: fault))
            return fault
        }
    }

    private func answer(_ request: ScriptedRequest) async -> ScriptedReply {
        let fault = take(request)
        switch fault {
        case .status(let status, let code):
            let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>injected by the test</Message></Error>"
            return ScriptedReply(status: status, headers: [("Content-Type", "application/xml")], body: Data(xml.utf8))
        case .hang:
            return ScriptedReply(status: 200, body: Data(), delay: .seconds(3600))
        case .drop, .slow, nil:
            var reply = await forward(request)
            if fault == .drop {
                reply.body = reply.body.prefix(reply.body.count / 2)
                reply.truncate = true
            }
            if case .slow(let pause) = fault { reply.drip = ScriptedReply.Drip(chunkBytes: 64, pause: pause) }
            return reply
        }
    }

    /// The upstream server's answer to `request`, headers that matter to S3 clients kept.
    private func forward(_ request: ScriptedRequest) async -> ScriptedReply {
        guard let url = URL(string: upstream + request.uri) else { return ScriptedReply(status: 502) }
        var outgoing = URLRequest(url: url)
        outgoing.httpMethod = request.method
        for (name, value) in request.headers where !["host", "content-length", "connection", "expect"].contains(name) {
            outgoing.setValue(value, forHTTPHeaderField: name)
        }
        if !request.body.isEmpty { outgoing.httpBody = request.body }
        do {
            let (data, response) = try await URLSession.shared.data(for: outgoing)
            guard let http = response as? HTTPURLResponse else { return ScriptedReply(status: 502) }
            var headers: [(String, String)] = []
            for (name, value) in http.allHeaderFields {
                guard let name = name as? String, let value = value as? String,
                    ["etag", "content-type", "last-modified", "x-amz-request-id"].contains(name.lowercased())
                else { continue }
                headers.append((name, value))
            }
            return ScriptedReply(status: http.statusCode, headers: headers, body: data)
        } catch {
            return ScriptedReply(status: 502, body: Data("proxy: \(error)".utf8))
        }
    }
}
