import NIOCore
import NIOHTTP1

/// One buyer's connection: sends the purchase its ``LoadShard`` hands it, reads the answer, reports it back.
///
/// HTTP/1.1 with keep-alive and one request in flight at a time. Lives on its channel's event loop, which is
/// the shard's; every call into the shard happens there.
final class BuyerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// The request being answered, when it was due and when it went out (uptime nanoseconds).
    struct InFlight {
        var request: PlannedRequest
        var intendedAt: UInt64
        var sentAt: UInt64
    }

    /// The answer read so far.
    struct Answer {
        var status = 0
        var replayed = false
        var keepAlive = true
        /// The body; usually one chunk, kept as it came.
        var body: ByteBuffer?
    }

    /// The shard's slot this connection fills.
    let slot: Int
    private let shard: LoadShard
    private var context: ChannelHandlerContext?
    private var answer = Answer()
    private var timedOut = false
    /// The request awaiting its answer, if any.
    private(set) var inFlight: InFlight?
    /// Whether the connection is up.
    private(set) var isOpen = false

    init(shard: LoadShard, slot: Int) {
        self.shard = shard
        self.slot = slot
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.isOpen = true
        context.fireChannelActive()
        self.shard.connected(self)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let wasOpen = self.isOpen
        self.isOpen = false
        let lost = self.inFlight
        self.inFlight = nil
        context.fireChannelInactive()
        if wasOpen { self.shard.disconnected(self, lost: lost?.request, timedOut: self.timedOut) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.answer = Answer(
                status: Int(head.status.code),
                replayed: head.headers.first(name: "Idempotent-Replayed") == "true",
                // HTTP/1.1 without a Connection header is keep-alive; `isKeepAlive` parses the header generically,
                // which costs more than the rest of the answer, so it is only asked when there is one.
                keepAlive: head.version == .http1_1 && !head.headers.contains(name: "connection") ? true : head.isKeepAlive,
                body: nil
            )
        case .body(var chunk):
            if self.answer.body == nil {
                self.answer.body = chunk
            } else {
                self.answer.body!.writeBuffer(&chunk)
            }
        case .end:
            guard let inFlight = self.inFlight else {
                // An answer to nothing: the connection can no longer be trusted to pair answers with requests.
                context.close(promise: nil)
                return
            }
            self.inFlight = nil
            let answer = self.answer
            self.answer = Answer()
            self.shard.answered(inFlight, answer)
            if answer.keepAlive {
                self.shard.assign(self)
            } else {
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Writes `request` with `head`; `intendedAt` is when it was due (now in closed-loop mode).
    func send(_ request: PlannedRequest, head: HTTPRequestHead, intendedAt: UInt64, now: UInt64) {
        guard let context = self.context else { return }
        self.inFlight = InFlight(request: request, intendedAt: intendedAt, sentAt: now)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Gives up on the request in flight: closes the connection, and the request counts as a timeout.
    func timeOut() {
        self.timedOut = true
        self.context?.close(promise: nil)
    }

    /// Closes the connection.
    func close() {
        self.context?.close(promise: nil)
    }
}
