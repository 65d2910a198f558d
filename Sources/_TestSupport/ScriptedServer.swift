import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP server on 127.0.0.1 that answers from a script, for testing clients end to end.
///
/// Each request is handed to the script, which returns a ``ScriptedReply``: a status, headers, a
/// body, an optional delay before answering, whether to cut the body short (the declared
/// `Content-Length` is larger than what is sent before the connection closes), and whether to
/// drip it out in small chunks with pauses. The server counts requests, the most it saw in flight
/// at once, and the replies it delivered whole (``ServerStatistics/deliveries``).
///
/// ```swift
/// let server = try await ScriptedServer.start { request in .json(["choices": …]) }
/// defer { Task { try await server.stop() } }
/// // point a client at server.baseURL
/// ```
public final class ScriptedServer: Sendable {
    public typealias Script = @Sendable (ScriptedRequest) async -> ScriptedReply
    /// A script that answers at once. Its replies, delays and drips included, run on the server's
    /// event loop and never wait for the Swift concurrency pool, so a busy test process (the suite
    /// runs in parallel) cannot make them late.
    public typealias ImmediateScript = @Sendable (ScriptedRequest) -> ScriptedReply

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
        try await start(responder: .deferred(script))
    }

    /// Binds an ephemeral port on 127.0.0.1 and starts answering with `script`, on the event loop.
    public static func start(immediate script: @escaping ImmediateScript) async throws -> ScriptedServer {
        try await start(responder: .immediate(script))
    }

    private static func start(responder: ScriptedHandler.Responder) async throws -> ScriptedServer {
        let statistics = ServerStatistics()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(ScriptedHandler(responder: responder, statistics: statistics))
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
    /// Send the body in chunks of this many bytes with a pause before each (a slow, dripping
    /// server); `nil` sends it at once.
    public var drip: Drip?

    /// Chunk size and pause for a dripping reply.
    public struct Drip: Sendable {
        public var chunkBytes: Int
        public var pause: Duration

        public init(chunkBytes: Int, pause: Duration) {
            self.chunkBytes = max(1, chunkBytes)
            self.pause = pause
        }
    }

    public init(
        status: Int = 200, headers: [(String, String)] = [("Content-Type", "application/json")], body: Data = Data(),
        delay: Duration = .zero, truncate: Bool = false, drip: Drip? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.truncate = truncate
        self.drip = drip
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

/// A reply the server wrote whole (its last byte accepted by the socket), with the request it answered.
public struct ScriptedDelivery: Sendable {
    /// The request's 0-based arrival order.
    public var index: Int
    public var requestBody: String
    public var status: Int
    public var replyBody: Data
    /// From the request's arrival to the reply's last byte written.
    public var elapsed: Duration
    let arrived: ContinuousClock.Instant
}

/// Counters the server keeps; safe to read from any task.
public final class ServerStatistics: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var current = 0
    private var peak = 0
    private var bodies: [String] = []
    private var headers: [[String: String]] = []
    private var delivered: [ScriptedDelivery] = []

    /// Requests received.
    public var requestCount: Int { lock.withLock { count } }
    /// The most requests in flight at once.
    public var maxInFlight: Int { lock.withLock { peak } }
    /// Every request body received, in arrival order.
    public var requestBodies: [String] { lock.withLock { bodies } }
    /// Every request's headers (names lower-cased), in arrival order.
    public var requestHeaders: [[String: String]] { lock.withLock { headers } }
    /// The replies written whole (not truncated, the connection still open), in the order they finished.
    public var deliveries: [ScriptedDelivery] { lock.withLock { delivered } }

    func deliver(_ delivery: ScriptedDelivery) { lock.withLock { delivered.append(delivery) } }

    func begin(body: String, headers requestHeaders: [String: String] = [:]) -> Int {
        lock.withLock {
            count += 1
            current += 1
            peak = max(peak, current)
            bodies.append(body)
            headers.append(requestHeaders)
            return count - 1
        }
    }

    func end() { lock.withLock { current -= 1 } }
}

/// Collects one request, asks the script, writes the reply.
private final class ScriptedHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    enum Responder: Sendable {
        case deferred(ScriptedServer.Script)
        case immediate(ScriptedServer.ImmediateScript)
    }

    let responder: Responder
    let statistics: ServerStatistics
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(responder: Responder, statistics: ServerStatistics) {
        self.responder = responder
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
            let index = statistics.begin(body: String(decoding: bytes, as: UTF8.self), headers: headers)
            let request = ScriptedRequest(
                method: head.method.rawValue, uri: head.uri, headers: headers, body: bytes, index: index)
            let arrived = ContinuousClock.now
            switch responder {
            case .immediate(let script):
                respond(script(request), to: request, arrived: arrived, context: context)
            case .deferred(let script):
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                let eventLoop = context.eventLoop
                Task {
                    let reply = await script(request)
                    eventLoop.execute {
                        let (handler, context) = loopBound.value
                        handler.respond(reply, to: request, arrived: arrived, context: context)
                    }
                }
            }
        }
    }

    /// Writes `reply` after its delay, at once or dripped, all on the event loop.
    private func respond(_ reply: ScriptedReply, to request: ScriptedRequest, arrived: ContinuousClock.Instant, context: ChannelHandlerContext) {
        let delivery = ScriptedDelivery(
            index: request.index, requestBody: request.bodyText, status: reply.status, replyBody: reply.body,
            elapsed: .zero, arrived: arrived)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let statistics = statistics
        let send: @Sendable () -> Void = {
            statistics.end()
            let (handler, context) = loopBound.value
            guard let drip = reply.drip, !reply.truncate else {
                handler.write(reply, context: context, delivery: delivery)
                return
            }
            handler.writeHead(reply, context: context)
            let chunks = stride(from: 0, to: reply.body.count, by: drip.chunkBytes).map { offset in
                Data(reply.body.dropFirst(offset).prefix(drip.chunkBytes))
            }
            handler.drip(chunks, next: 0, pause: drip.pause, context: context, delivery: delivery)
        }
        if reply.delay > .zero {
            context.eventLoop.scheduleTask(in: TimeAmount(reply.delay)) { send() }
        } else {
            send()
        }
    }

    /// Writes `chunks[next...]`, each after `pause`, then ends the reply.
    private func drip(_ chunks: [Data], next: Int, pause: Duration, context: ChannelHandlerContext, delivery: ScriptedDelivery) {
        guard next < chunks.count else {
            end(context: context, delivery: delivery)
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: TimeAmount(pause)) {
            let (handler, context) = loopBound.value
            context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: chunks[next])))), promise: nil)
            handler.drip(chunks, next: next + 1, pause: pause, context: context, delivery: delivery)
        }
    }

    private func writeHead(_ reply: ScriptedReply, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        for (name, value) in reply.headers { headers.add(name: name, value: value) }
        let declared = reply.truncate ? reply.body.count + 500 : reply.body.count
        headers.replaceOrAdd(name: "Content-Length", value: String(declared))
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
    }

    /// Ends the reply; records it as delivered once the socket took its last byte.
    private func end(context: ChannelHandlerContext, delivery: ScriptedDelivery) {
        let statistics = statistics
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenSuccess {
            var delivered = delivery
            delivered.elapsed = ContinuousClock.now - delivery.arrived
            statistics.deliver(delivered)
        }
    }

    private func write(_ reply: ScriptedReply, context: ChannelHandlerContext, delivery: ScriptedDelivery) {
        writeHead(reply, context: context)
        if reply.truncate {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))))
                .whenComplete { _ in bound.value.close(promise: nil) }
        } else {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))), promise: nil)
            end(context: context, delivery: delivery)
        }
    }
}
