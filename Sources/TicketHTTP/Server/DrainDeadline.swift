import NIOCore

/// Closes a connection that is still open `timeout` after the server began to stop.
///
/// On a graceful stop (SIGTERM) Hummingbird lets every connection finish the request it is on, and waits for all
/// of them before the services behind it stop: the Redis client, and the fallback store that settles its journal
/// and gives its escrow back. A client that sends half a body and then nothing, or never reads its responses, held
/// that stop for as long as it stayed connected; an orchestrator then kills the process, and its escrow stays out of
/// the pool until the instance comes back. So a connection gets `timeout` after the stop began (the server's
/// `ChannelShouldQuiesceEvent`), then it is closed, whatever it is doing. A purchase already sent to Redis is
/// recorded there all the same; only that client's answer is lost.
final class DrainDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    /// A handler for one connection, closing it `timeout` after the stop began.
    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, self.deadline == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            self.deadline = context.eventLoop.scheduleTask(in: self.timeout) {
                loopBound.value.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.deadline?.cancel()
        self.deadline = nil
    }
}
