import NIOCore
import NIOHTTP1

/// Answers `Expect: 100-continue` with `100 Continue` (RFC 9110 §10.1.1), which Hummingbird never sends: a client
/// that asks waits for it before sending its body, and curl gave up waiting only after a second, so every such
/// purchase took a second longer.
///
/// The interim answer goes out at once when no earlier request on the connection is still unanswered, so that it
/// never cuts into another response; a pipelined request with the expectation (which a client waiting for `100`
/// does not send) gets none, and its client sends the body when it tires of waiting, as before. A request that is
/// then refused (a body over the size limit: `413`) is refused after its body, which the answer allows.
///
/// It sits with ``HTTP10Persistence`` before Hummingbird's HTTP/1 codec, where a request's version is still known;
/// ``HTTP10Persistence/Installer`` puts it there.
final class ExpectContinue: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Requests read whose final answer has not started.
    private var unanswered = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = self.unwrapInboundIn(data) {
            self.unanswered += 1
            let expects = head.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
            if expects, head.version != .http1_0, self.unanswered == 1 {
                let interim = HTTPResponseHead(version: .http1_1, status: .continue)
                context.writeAndFlush(self.wrapOutboundOut(.head(interim)), promise: nil)
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head(let head) = self.unwrapOutboundIn(data), head.status.code >= 200 {
            self.unanswered = max(self.unanswered - 1, 0)
        }
        context.write(data, promise: promise)
    }
}
