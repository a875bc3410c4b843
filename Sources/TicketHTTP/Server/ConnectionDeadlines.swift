import NIOCore

/// Closes a connection that a client holds without making progress, where Hummingbird's idle timeout
/// (``AppConfiguration/idleTimeout``) would not: one handler for both cases, so each connection pays for one.
///
/// - **A stop that a client holds.** On a graceful stop (SIGTERM) Hummingbird lets every connection finish the
///   request it is on, and waits for all of them before the services behind it stop: the Redis client, and the
///   fallback store that settles its journal and gives its escrow back. A client that sent half a body and then
///   nothing, or never read its responses, held that stop for as long as it stayed connected; an orchestrator then
///   killed the process, and its escrow stayed out of the pool until the instance came back. So a connection still
///   open `drainTimeout` after the stop began (the server's `ChannelShouldQuiesceEvent`) is closed, whatever it is
///   doing. A purchase already sent to Redis is recorded there all the same; only that client's answer is lost.
/// - **Responses never read.** The idle timeout leaves alone a connection with a request read and not yet answered,
///   and a client that sends requests and never reads the answers keeps one there for good, its response stuck
///   behind a full socket: black-box testing held both slots of a server limited to two connections with two such
///   clients, and every other client waited. So a connection that stays unwritable for `unreadTimeout` is closed.
final class ConnectionDeadlines: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let drainTimeout: TimeAmount
    private let unreadTimeout: TimeAmount?
    private var drainDeadline: Scheduled<Void>?
    private var unreadDeadline: Scheduled<Void>?

    /// A handler for one connection: closed `drainTimeout` after a stop began, and once unwritable for
    /// `unreadTimeout` (`nil`: never).
    init(drainTimeout: TimeAmount, unreadTimeout: TimeAmount?) {
        self.drainTimeout = drainTimeout
        self.unreadTimeout = unreadTimeout
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, self.drainDeadline == nil {
            self.drainDeadline = Self.close(context, in: self.drainTimeout)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.unreadDeadline?.cancel()
            self.unreadDeadline = nil
        } else if let timeout = self.unreadTimeout, self.unreadDeadline == nil {
            self.unreadDeadline = Self.close(context, in: timeout)
        }
        context.fireChannelWritabilityChanged()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.drainDeadline?.cancel()
        self.unreadDeadline?.cancel()
        self.drainDeadline = nil
        self.unreadDeadline = nil
    }

    private static func close(_ context: ChannelHandlerContext, in timeout: TimeAmount) -> Scheduled<Void> {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        return context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
    }
}
