import NIOCore

/// Closes a connection whose client has not read its responses for `timeout`: the socket stayed full (the channel
/// unwritable) all that time.
///
/// Hummingbird's idle timeout (``AppConfiguration/idleTimeout``) leaves alone a connection with a request read and
/// not yet answered, and a client that sends requests and never reads the answers keeps one there for good, its
/// response stuck behind a full socket: black-box testing held both slots of a server limited to two connections
/// with two such clients, and every other client waited. This closes such a connection once it has been
/// unwritable for `timeout`, the idle timeout's length.
final class UnreadResponsesTimeout: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    /// A handler for one connection, closing it once it has stayed unwritable for `timeout`.
    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.deadline?.cancel()
            self.deadline = nil
        } else if self.deadline == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            self.deadline = context.eventLoop.scheduleTask(in: self.timeout) {
                loopBound.value.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.deadline?.cancel()
        self.deadline = nil
    }
}
