import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP server on 127.0.0.1 that answers from a script, for testing clients end to end.
///
/// Each request is handed to the script, which returns a ``ScriptedReply``: a status, headers, a
/// body, an optional delay before answering, and whether to cut the body short (the declared
/// `Content-Length` is larger than what is sent before the connection closes). The server counts
/// requests and the most it saw in flight at once.
///
/// ```swift
/// let server = try await ScriptedServer.start { request in .json(["choices": …]) }
/// defer { Task { try await server.stop() } }
/// // point a client at server.baseURL
/// ```
public final class ScriptedServer: Sendable {
    public typealias Script = @Sendable (ScriptedRequest) async -> ScriptedReply

    public let port: Int
    public let statistics: ServerStatistics
    private let channel: any Channel

    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    private init(port: Int, channel: any Channel, statistics: ServerStatistics) {
        self.port = port
        self.channel = channel
        self.statistics = statistics
    }

    /// Binds an ephemeral port on 127.0.0.1 and starts answering with `script`.
    public static func start(_ script: @escaping Script) async throws -> ScriptedServer {
        let statistics = ServerStatistics()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(ScriptedHandler(script: script, statistics: statistics))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw CancellationError() }
        return ScriptedServer(port: port, channel: channel, statistics: statistics)
    }

    /// Stops accepting connections.
    public func stop() async throws {
        try await channel.close()
    }
}

/// What the script sees of a request.
public struct ScriptedRequest: Sendable {
    public var method: String
    public var uri: String
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data
    /// 0-based arrival order.
    public var index: Int

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// How the server answers one request.
public struct ScriptedReply: Sendable {
    public var status: Int = 200
    public var headers: [(String, String)] = [("Content-Type", "application/json")]
    public var body: Data = Data()
    public var delay: Duration = .zero
    /// Declare a longer body than is sent, then close the connection.
    public var truncate = false

    public init(
        status: Int = 200, headers: [(String, String)] = [("Content-Type", "application/json")], body: Data = Data(),
        delay: Duration = .zero, truncate: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.truncate = truncate
    }

    public static func json(_ text: String, status: Int = 200) -> ScriptedReply {
        ScriptedReply(status: status, body: Data(text.utf8))
    }

    /// A chat-completions answer whose message content is `content`.
    public static func chat(_ content: String, promptTokens: Int = 10, completionTokens: Int = 5) -> ScriptedReply {
        var escaped = ""
        for scalar in content.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 {
                    escaped += String(format: "\\u%04x", scalar.value)
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return .json(
            """
            {"id":"x","object":"chat.completion","model":"scripted","choices":[{"index":0,"message":{"role":"assistant","content":"\(escaped)"},"finish_reason":"stop"}],"usage":{"prompt_tokens":\(promptTokens),"completion_tokens":\(completionTokens),"total_tokens":\(promptTokens + completionTokens)}}
            """)
    }
}

/// Counters the server keeps; safe to read from any task.
public final class ServerStatistics: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var current = 0
    private var peak = 0
    private var bodies: [String] = []

    /// Requests received.
    public var requestCount: Int { lock.withLock { count } }
    /// The most requests in flight at once.
    public var maxInFlight: Int { lock.withLock { peak } }
    /// Every request body received, in arrival order.
    public var requestBodies: [String] { lock.withLock { bodies } }

    func begin(body: String) -> Int {
        lock.withLock {
            count += 1
            current += 1
            peak = max(peak, current)
            bodies.append(body)
            return count - 1
        }
    }

    func end() { lock.withLock { current -= 1 } }
}

/// Collects one request, asks the script, writes the reply.
private final class ScriptedHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let script: ScriptedServer.Script
    let statistics: ServerStatistics
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(script: @escaping ScriptedServer.Script, statistics: ServerStatistics) {
        self.script = script
        self.statistics = statistics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            let bytes = Data(body.readableBytesView)
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let index = statistics.begin(body: String(decoding: bytes, as: UTF8.self))
            let request = ScriptedRequest(
                method: head.method.rawValue, uri: head.uri, headers: headers, body: bytes, index: index)
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let script = script
            let statistics = statistics
            Task {
                let reply = await script(request)
                if reply.delay > .zero { try? await Task.sleep(for: reply.delay) }
                statistics.end()
                eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.write(reply, context: context)
                }
            }
        }
    }

    private func write(_ reply: ScriptedReply, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        for (name, value) in reply.headers { headers.add(name: name, value: value) }
        let declared = reply.truncate ? reply.body.count + 500 : reply.body.count
        headers.replaceOrAdd(name: "Content-Length", value: String(declared))
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if reply.truncate {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))))
                .whenComplete { _ in bound.value.close(promise: nil) }
        } else {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
