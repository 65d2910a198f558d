import HummingbirdCore
import NIOCore

/// Closes a connection whose request body does not arrive whole within a deadline of its head.
///
/// Hummingbird's idle timeout (``ServerConfiguration/idleTimeout``) closes a connection that sends no
/// complete request part for a while, which ends a head sent a byte at a time; but every body chunk
/// counts as activity, so a body dribbled one byte every few seconds would hold the connection
/// open for as long as the client likes. This handler gives each request, from its head to the end
/// of its body, ``ServerConfiguration/requestBodyTimeout`` in all. It sits in the HTTP pipeline
/// after decoding, one instance per connection.
final class RequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPConnectionStateHandler.InboundIn
    typealias InboundOut = HTTPConnectionStateHandler.InboundIn

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: Duration) {
        self.timeout = TimeAmount(timeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let channel = context.channel
            deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}
